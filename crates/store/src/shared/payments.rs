//! State fees: editions of the schedule, charges, payments and the log of
//! the provider's callbacks.

pub(crate) const SELECT_CHARGE: &str = "SELECT id, uin, application_id, account_id, fee_key, category, kopecks, \
     discount_percent, portal_kopecks, due_stage, accrued_on, status, paid_by, created_at, paid_at FROM charges";

pub(crate) const SELECT_PAYMENT: &str = "SELECT id, charge_id, channel, reference, kopecks, paid_kopecks, status, \
     note, recorded_by, created_at, confirmed_at, refunded_at FROM payments";

pub(crate) fn charge_from_row<R: sqlx::Row>(r: &R) -> Result<crate::ChargeRecord, crate::StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> uuid::Uuid: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<uuid::Uuid>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let status: String = r.try_get("status")?;
    Ok(crate::ChargeRecord {
        id: r.try_get("id")?,
        uin: r.try_get("uin")?,
        application_id: r.try_get("application_id")?,
        account_id: r.try_get("account_id")?,
        fee_key: r.try_get("fee_key")?,
        category: r.try_get("category")?,
        kopecks: r.try_get("kopecks")?,
        discount_percent: r.try_get("discount_percent")?,
        portal_kopecks: r.try_get("portal_kopecks")?,
        due_stage: r.try_get("due_stage")?,
        accrued_on: r.try_get("accrued_on")?,
        status: crate::ChargeStatus::parse(&status)
            .ok_or_else(|| crate::StoreError::Corrupt(format!("charge status {status}")))?,
        paid_by: r.try_get("paid_by")?,
        created_at: r.try_get("created_at")?,
        paid_at: r.try_get("paid_at")?,
    })
}

pub(crate) fn payment_from_row<R: sqlx::Row>(
    r: &R,
) -> Result<crate::PaymentRecord, crate::StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> uuid::Uuid: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<uuid::Uuid>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let status: String = r.try_get("status")?;
    let channel: String = r.try_get("channel")?;
    Ok(crate::PaymentRecord {
        id: r.try_get("id")?,
        charge_id: r.try_get("charge_id")?,
        channel: crate::PaymentChannel::parse(&channel)
            .ok_or_else(|| crate::StoreError::Corrupt(format!("payment channel {channel}")))?,
        reference: r.try_get("reference")?,
        kopecks: r.try_get("kopecks")?,
        paid_kopecks: r.try_get("paid_kopecks")?,
        status: crate::PaymentStatus::parse(&status)
            .ok_or_else(|| crate::StoreError::Corrupt(format!("payment status {status}")))?,
        note: r.try_get("note")?,
        recorded_by: r.try_get("recorded_by")?,
        created_at: r.try_get("created_at")?,
        confirmed_at: r.try_get("confirmed_at")?,
        refunded_at: r.try_get("refunded_at")?,
    })
}

/// Inserts the charge of a first submission inside the caller's
/// transaction, its UIN from the next serial.
macro_rules! insert_charge {
    ($self:expr, $tx:expr, $application:expr, $account:expr, $c:expr, $now:expr) => {{
        let c: $crate::NewCharge = $c;
        let serial: i64 = sqlx::query_scalar(Self::NEXT_UIN_SQL)
            .fetch_one(&mut *$tx)
            .await?;
        let uin = domain::identifiers::Uin::issue(
            domain::identifiers::MVD_ADMINISTRATOR,
            u64::try_from(serial).unwrap_or(u64::MAX),
        )
        .ok_or_else(|| $crate::StoreError::Corrupt(format!("uin serial {serial}")))?;
        sqlx::query(
            "INSERT INTO charges (id, uin, application_id, account_id, fee_key, category, kopecks, \
             discount_percent, portal_kopecks, due_stage, accrued_on, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'due', $12)",
        )
        .bind(c.id)
        .bind(uin.as_str().to_owned())
        .bind($application)
        .bind($account)
        .bind(c.fee_key)
        .bind(c.category)
        .bind(c.kopecks)
        .bind(c.discount_percent)
        .bind(c.portal_kopecks)
        .bind(c.due_stage)
        .bind(c.accrued_on)
        .bind($now)
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use insert_charge;

/// What an application's end does to its charge, inside the step's
/// transaction: a due one is cancelled; a paid one of a cancelled
/// application is given back (its payment due back, the refund job queued).
macro_rules! end_charge {
    ($tx:expr, $application:expr, $to:expr, $now:expr) => {{
        let to: domain::application::Status = $to;
        sqlx::query("UPDATE charges SET status = 'cancelled' WHERE application_id = $1 AND status = 'due'")
            .bind($application)
            .execute(&mut *$tx)
            .await?;
        if to == domain::application::Status::Cancelled {
            let paid_by: Option<Option<uuid::Uuid>> = sqlx::query_scalar(
                "SELECT paid_by FROM charges WHERE application_id = $1 AND status = 'paid'",
            )
            .bind($application)
            .fetch_optional(&mut *$tx)
            .await?;
            if let Some(Some(payment)) = paid_by {
                let due = sqlx::query(
                    "UPDATE payments SET status = 'refund_due' WHERE id = $1 AND status = 'confirmed'",
                )
                .bind(payment)
                .execute(&mut *$tx)
                .await?
                .rows_affected();
                if due == 1 {
                    let job = $crate::NewJob::now(
                        $crate::job_kind::PAYMENT_REFUND,
                        payment.to_string(),
                        $now,
                    )
                    .dedup(format!("refund:{payment}"));
                    $crate::shared::enqueue!($tx, job, $now);
                }
            }
        }
    }};
}
pub(crate) use end_charge;

/// The provider's (or a bank's) word on a payment, inside the caller's
/// transaction: the payment row locked first, then the charge taken in a
/// conditional UPDATE, so a repeat or a second payment finds it paid.
macro_rules! settle {
    ($self:expr, $tx:expr, $payment:expr, $paid:expr, $on_paid:expr, $on_refund:expr, $now:expr, $actor:expr) => {{
        use sqlx::Row;
        let payment: uuid::Uuid = $payment;
        let paid: Option<i64> = $paid;
        let now: i64 = $now;
        let row = sqlx::query(
            "UPDATE payments SET status = status WHERE id = $1 RETURNING status, kopecks, charge_id",
        )
        .bind(payment)
        .fetch_optional(&mut *$tx)
        .await?;
        let Some(row) = row else {
            return Err($crate::StoreError::NotFound);
        };
        let status: String = row.try_get("status")?;
        let asked: i64 = row.try_get("kopecks")?;
        let charge: uuid::Uuid = row.try_get("charge_id")?;
        let set = |status: &'static str| {
            sqlx::query(
                "UPDATE payments SET status = $2, paid_kopecks = $3, \
                 confirmed_at = CASE WHEN $3 IS NULL THEN NULL ELSE $4 END WHERE id = $1",
            )
            .bind(payment)
            .bind(status)
            .bind(paid)
            .bind(now)
        };
        // The provider's success wins over a failure assumed on our side.
        let open = status == "created" || (status == "failed" && paid.is_some());
        let outcome = if !open {
            $crate::Settled::Repeated
        } else {
            match paid {
                None => {
                    set("failed").execute(&mut *$tx).await?;
                    $crate::Settled::Failed
                }
                Some(k) if k != asked => {
                    set("mismatch").execute(&mut *$tx).await?;
                    $crate::Settled::Mismatch
                }
                Some(_) => {
                    let application: Option<uuid::Uuid> = sqlx::query_scalar(
                        "UPDATE charges SET status = 'paid', paid_by = $2, paid_at = $3 \
                         WHERE id = $1 AND status = 'due' RETURNING application_id",
                    )
                    .bind(charge)
                    .bind(payment)
                    .bind(now)
                    .fetch_optional(&mut *$tx)
                    .await?;
                    match application {
                        Some(application_id) => {
                            set("confirmed").execute(&mut *$tx).await?;
                            for job in $on_paid {
                                $crate::shared::enqueue!($tx, job, now);
                            }
                            $crate::Settled::Paid { application_id }
                        }
                        None => {
                            set("refund_due").execute(&mut *$tx).await?;
                            for job in $on_refund {
                                $crate::shared::enqueue!($tx, job, now);
                            }
                            $crate::Settled::RefundDue
                        }
                    }
                }
            }
        };
        if outcome != $crate::Settled::Repeated {
            let action = format!("payment.{}", outcome.as_str());
            let details = format!("charge {charge} asked {asked} paid {}", paid.map_or("-".into(), |k| k.to_string()));
            $crate::shared::audit!($self, $tx, now, $actor, action, Some(payment), details);
        }
        outcome
    }};
}
pub(crate) use settle;

macro_rules! log_callback {
    ($tx:expr, $payment:expr, $outcome:expr, $body:expr, $now:expr) => {{
        let body: &str = $body;
        // At most 4 KB kept, cut on a character boundary.
        let mut end = body.len().min(4096);
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        sqlx::query(
            "INSERT INTO payment_callbacks (id, received_at, payment_id, outcome, body) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(uuid::Uuid::now_v7())
        .bind($now)
        .bind($payment)
        .bind($outcome)
        .bind(body[..end].to_owned())
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use log_callback;

macro_rules! impl_payment_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::PaymentStore for $store {
            async fn fee_editions(&self) -> $crate::Result<Vec<$crate::FeeEditionRow>> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT effective_from, discount_percent, rates, created_by, created_at FROM fee_editions \
                     ORDER BY effective_from",
                )
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok($crate::FeeEditionRow {
                            from: r.try_get("effective_from")?,
                            discount_percent: r.try_get("discount_percent")?,
                            rates: r.try_get("rates")?,
                            created_by: r.try_get("created_by")?,
                            created_at: r.try_get("created_at")?,
                        })
                    })
                    .collect()
            }

            async fn seed_fee_editions(&self, rows: Vec<$crate::FeeEditionRow>) -> $crate::Result<u64> {
                let mut tx = self.begin_write().await?;
                let mut added = 0;
                for e in rows {
                    added += sqlx::query(
                        "INSERT INTO fee_editions (effective_from, discount_percent, rates, created_by, created_at) \
                         VALUES ($1, $2, $3, NULL, $4) ON CONFLICT (effective_from) DO NOTHING",
                    )
                    .bind(e.from)
                    .bind(e.discount_percent)
                    .bind(e.rates)
                    .bind(e.created_at)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                }
                tx.commit().await?;
                Ok(added)
            }

            async fn put_fee_edition(&self, e: $crate::FeeEditionRow, today: &str, now: i64) -> $crate::Result<()> {
                let mut tx = self.begin_write().await?;
                // Dates as ISO text compare as dates; one in force is never replaced.
                let done = sqlx::query(
                    "INSERT INTO fee_editions (effective_from, discount_percent, rates, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (effective_from) DO UPDATE SET \
                     discount_percent = excluded.discount_percent, rates = excluded.rates, \
                     created_by = excluded.created_by, created_at = excluded.created_at \
                     WHERE fee_editions.effective_from > $6",
                )
                .bind(e.from.clone())
                .bind(e.discount_percent)
                .bind(e.rates)
                .bind(e.created_by)
                .bind(now)
                .bind(today)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if done == 0 || e.from.as_str() <= today {
                    return Err($crate::StoreError::Conflict("fee.in_force"));
                }
                $crate::shared::audit!(self, tx, now, e.created_by, "fee.edition_set", None::<uuid::Uuid>, e.from);
                tx.commit().await?;
                Ok(())
            }

            async fn withdraw_fee_edition(&self, from: &str, by: uuid::Uuid, today: &str, now: i64) -> $crate::Result<()> {
                let mut tx = self.begin_write().await?;
                let gone = sqlx::query("DELETE FROM fee_editions WHERE effective_from = $1 AND effective_from > $2")
                    .bind(from)
                    .bind(today)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if gone == 0 {
                    let there: Option<String> =
                        sqlx::query_scalar("SELECT effective_from FROM fee_editions WHERE effective_from = $1")
                            .bind(from)
                            .fetch_optional(&mut *tx)
                            .await?;
                    return Err(match there {
                        Some(_) => $crate::StoreError::Conflict("fee.in_force"),
                        None => $crate::StoreError::NotFound,
                    });
                }
                $crate::shared::audit!(self, tx, now, Some(by), "fee.edition_withdrawn", None::<uuid::Uuid>, from);
                tx.commit().await?;
                Ok(())
            }

            async fn charges_of(&self, application_id: uuid::Uuid) -> $crate::Result<Vec<$crate::ChargeRecord>> {
                let sql = sqlx::AssertSqlSafe(format!(
                    "{} WHERE application_id = $1 ORDER BY created_at",
                    $crate::shared::payments::SELECT_CHARGE
                ));
                let rows = sqlx::query(sql).bind(application_id).fetch_all(&self.pool).await?;
                rows.iter().map($crate::shared::payments::charge_from_row).collect()
            }

            async fn charge_by_uin(&self, uin: &str) -> $crate::Result<Option<$crate::ChargeRecord>> {
                let sql = sqlx::AssertSqlSafe(format!("{} WHERE uin = $1", $crate::shared::payments::SELECT_CHARGE));
                let row = sqlx::query(sql).bind(uin).fetch_optional(&self.pool).await?;
                row.as_ref().map($crate::shared::payments::charge_from_row).transpose()
            }

            async fn charge(&self, id: uuid::Uuid) -> $crate::Result<Option<$crate::ChargeRecord>> {
                let sql = sqlx::AssertSqlSafe(format!("{} WHERE id = $1", $crate::shared::payments::SELECT_CHARGE));
                let row = sqlx::query(sql).bind(id).fetch_optional(&self.pool).await?;
                row.as_ref().map($crate::shared::payments::charge_from_row).transpose()
            }

            async fn payments_of(&self, charge_id: uuid::Uuid) -> $crate::Result<Vec<$crate::PaymentRecord>> {
                let sql = sqlx::AssertSqlSafe(format!(
                    "{} WHERE charge_id = $1 ORDER BY created_at, id",
                    $crate::shared::payments::SELECT_PAYMENT
                ));
                let rows = sqlx::query(sql).bind(charge_id).fetch_all(&self.pool).await?;
                rows.iter().map($crate::shared::payments::payment_from_row).collect()
            }

            async fn payment(&self, id: uuid::Uuid) -> $crate::Result<Option<$crate::PaymentRecord>> {
                let sql = sqlx::AssertSqlSafe(format!("{} WHERE id = $1", $crate::shared::payments::SELECT_PAYMENT));
                let row = sqlx::query(sql).bind(id).fetch_optional(&self.pool).await?;
                row.as_ref().map($crate::shared::payments::payment_from_row).transpose()
            }

            async fn start_payment(
                &self,
                p: $crate::NewPayment,
                jobs: Vec<$crate::NewJob>,
                idem: Option<$crate::IdempotencyKey>,
                now: i64,
            ) -> $crate::Result<$crate::Once<$crate::PaymentRecord>> {
                use sqlx::Row;
                let mut tx = self.begin_write().await?;
                $crate::shared::claim_key!(tx, p.account_id, idem, p.id, now);
                // The charge's row lock: a settlement in between waits.
                let row = sqlx::query(
                    "UPDATE charges SET status = status WHERE uin = $1 AND account_id = $2 \
                     RETURNING id, status, portal_kopecks, application_id",
                )
                .bind(p.uin.clone())
                .bind(p.account_id)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(row) = row else {
                    return Err($crate::StoreError::NotFound);
                };
                let charge: uuid::Uuid = row.try_get("id")?;
                let status: String = row.try_get("status")?;
                let kopecks: i64 = row.try_get("portal_kopecks")?;
                let application: uuid::Uuid = row.try_get("application_id")?;
                let app_status: String = sqlx::query_scalar("SELECT status FROM applications WHERE id = $1")
                    .bind(application)
                    .fetch_one(&mut *tx)
                    .await?;
                if !$crate::shared::app_status(&app_status)?.is_open() {
                    return Err($crate::StoreError::Conflict("charge.application_closed"));
                }
                if status != "due" {
                    return Err($crate::StoreError::Conflict("charge.not_due"));
                }
                sqlx::query(
                    "INSERT INTO payments (id, charge_id, channel, kopecks, status, created_at) \
                     VALUES ($1, $2, 'portal', $3, 'created', $4)",
                )
                .bind(p.id)
                .bind(charge)
                .bind(kopecks)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                for job in jobs {
                    $crate::shared::enqueue!(tx, job, now);
                }
                $crate::shared::audit!(self, tx, now, Some(p.account_id), "payment.started", Some(p.id), p.uin);
                let sql = sqlx::AssertSqlSafe(format!("{} WHERE id = $1", $crate::shared::payments::SELECT_PAYMENT));
                let row = sqlx::query(sql).bind(p.id).fetch_one(&mut *tx).await?;
                let record = $crate::shared::payments::payment_from_row(&row)?;
                tx.commit().await?;
                Ok($crate::Once::Done(record))
            }

            async fn settle_payment(&self, s: $crate::Settlement, now: i64) -> $crate::Result<$crate::Settled> {
                let mut tx = self.begin_write().await?;
                let outcome = $crate::shared::payments::settle!(
                    self, tx, s.payment_id, s.paid_kopecks, s.on_paid, s.on_refund, now, None::<uuid::Uuid>
                );
                if let Some(body) = &s.callback {
                    $crate::shared::payments::log_callback!(tx, Some(s.payment_id), outcome.as_str(), body, now);
                }
                tx.commit().await?;
                Ok(outcome)
            }

            async fn record_bank_payment(
                &self,
                b: $crate::BankPayment,
                on_paid: Vec<$crate::NewJob>,
                on_refund: Vec<$crate::NewJob>,
                now: i64,
            ) -> $crate::Result<$crate::Settled> {
                use sqlx::Row;
                let Some(office) = b.by.office_id else {
                    return Err($crate::StoreError::NotFound);
                };
                let mut tx = self.begin_write().await?;
                let row = sqlx::query(
                    "SELECT c.id, c.kopecks FROM charges c JOIN applications a ON a.id = c.application_id \
                     WHERE c.uin = $1 AND a.office_id = $2",
                )
                .bind(b.uin.clone())
                .bind(office)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(row) = row else {
                    return Err($crate::StoreError::NotFound);
                };
                let charge: uuid::Uuid = row.try_get("id")?;
                let asked: i64 = row.try_get("kopecks")?;
                sqlx::query(
                    "INSERT INTO payments (id, charge_id, channel, reference, kopecks, status, recorded_by, created_at) \
                     VALUES ($1, $2, 'bank', $3, $4, 'created', $5, $6)",
                )
                .bind(b.id)
                .bind(charge)
                .bind(b.reference)
                .bind(asked)
                .bind(b.by.id)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(|e| match &e {
                    sqlx::Error::Database(db) if db.is_unique_violation() => {
                        $crate::StoreError::Conflict("payment.reference_used")
                    }
                    _ => $crate::StoreError::Database(e),
                })?;
                let outcome = $crate::shared::payments::settle!(
                    self, tx, b.id, Some(b.kopecks), on_paid, on_refund, now, Some(b.by.id)
                );
                tx.commit().await?;
                Ok(outcome)
            }

            async fn log_callback(
                &self,
                payment_id: Option<uuid::Uuid>,
                outcome: &str,
                body: &str,
                now: i64,
            ) -> $crate::Result<()> {
                let mut tx = self.begin_write().await?;
                $crate::shared::payments::log_callback!(tx, payment_id, outcome, body, now);
                tx.commit().await?;
                Ok(())
            }

            async fn callbacks(&self, limit: i64) -> $crate::Result<Vec<$crate::CallbackRecord>> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT id, received_at, payment_id, outcome, body FROM payment_callbacks \
                     ORDER BY received_at DESC, id DESC LIMIT $1",
                )
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok($crate::CallbackRecord {
                            id: r.try_get("id")?,
                            received_at: r.try_get("received_at")?,
                            payment_id: r.try_get("payment_id")?,
                            outcome: r.try_get("outcome")?,
                            body: r.try_get("body")?,
                        })
                    })
                    .collect()
            }

            async fn mark_refunded(&self, payment_id: uuid::Uuid, jobs: Vec<$crate::NewJob>, now: i64) -> $crate::Result<bool> {
                let mut tx = self.begin_write().await?;
                let charge: Option<uuid::Uuid> = sqlx::query_scalar(
                    "UPDATE payments SET status = 'refunded', refunded_at = $2 WHERE id = $1 AND status = 'refund_due' \
                     RETURNING charge_id",
                )
                .bind(payment_id)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(charge) = charge else {
                    return Ok(false);
                };
                sqlx::query("UPDATE charges SET status = 'refunded' WHERE id = $1 AND paid_by = $2 AND status = 'paid'")
                    .bind(charge)
                    .bind(payment_id)
                    .execute(&mut *tx)
                    .await?;
                for job in jobs {
                    $crate::shared::enqueue!(tx, job, now);
                }
                $crate::shared::audit!(self, tx, now, None::<uuid::Uuid>, "payment.refunded", Some(payment_id), charge);
                tx.commit().await?;
                Ok(true)
            }
        }
    };
}
pub(crate) use impl_payment_store;
