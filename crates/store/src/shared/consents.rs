//! Owners' consents to registration at their dwelling.

/// Inserts a consent request and its jobs inside the caller's transaction.
macro_rules! insert_consent {
    ($tx:expr, $application:expr, $c:expr, $now:expr) => {{
        let c: $crate::NewConsent = $c;
        sqlx::query(
            "INSERT INTO consents (id, application_id, owner_account_id, code_lookup, key_id, code_sealed, \
             status, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8)",
        )
        .bind(c.id)
        .bind($application)
        .bind(c.owner_account_id)
        .bind(c.code_lookup)
        .bind(c.key_id)
        .bind(c.code_sealed)
        .bind($now)
        .bind(c.expires_at)
        .execute(&mut *$tx)
        .await?;
        for job in c.jobs {
            $crate::shared::enqueue!($tx, job, $now);
        }
    }};
}
pub(crate) use insert_consent;

pub(crate) const SELECT_CONSENT: &str = "SELECT id, application_id, owner_account_id, key_id, code_sealed, \
     status, created_at, expires_at, answered_at FROM consents";

macro_rules! consent_from_row {
    ($r:expr) => {{
        let r = &$r;
        let status: String = r.try_get("status")?;
        $crate::ConsentRecord {
            id: r.try_get("id")?,
            application_id: r.try_get("application_id")?,
            owner_account_id: r.try_get("owner_account_id")?,
            key_id: r.try_get("key_id")?,
            code_sealed: r.try_get("code_sealed")?,
            status: $crate::ConsentStatus::parse(&status)
                .ok_or_else(|| $crate::StoreError::Corrupt(format!("consent status {status}")))?,
            created_at: r.try_get("created_at")?,
            expires_at: r.try_get("expires_at")?,
            answered_at: r.try_get("answered_at")?,
        }
    }};
}
pub(crate) use consent_from_row;

macro_rules! impl_consent_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::ConsentStore for $store {
            async fn consent_of(&self, application_id: uuid::Uuid) -> $crate::Result<Option<$crate::ConsentRecord>> {
                use sqlx::Row;
                let sql = sqlx::AssertSqlSafe(format!(
                    "{} WHERE application_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1",
                    $crate::shared::consents::SELECT_CONSENT
                ));
                let row = sqlx::query(sql).bind(application_id).fetch_optional(&self.pool).await?;
                Ok(match row {
                    Some(r) => Some($crate::shared::consents::consent_from_row!(r)),
                    None => None,
                })
            }

            async fn consent(&self, id: uuid::Uuid) -> $crate::Result<Option<$crate::ConsentRecord>> {
                use sqlx::Row;
                let sql = sqlx::AssertSqlSafe(format!("{} WHERE id = $1", $crate::shared::consents::SELECT_CONSENT));
                let row = sqlx::query(sql).bind(id).fetch_optional(&self.pool).await?;
                Ok(match row {
                    Some(r) => Some($crate::shared::consents::consent_from_row!(r)),
                    None => None,
                })
            }

            async fn consents_for(&self, owner_id: uuid::Uuid) -> $crate::Result<Vec<$crate::ConsentRecord>> {
                use sqlx::Row;
                let sql = sqlx::AssertSqlSafe(format!(
                    "{} WHERE owner_account_id = $1 ORDER BY created_at DESC, id DESC LIMIT 100",
                    $crate::shared::consents::SELECT_CONSENT
                ));
                let rows = sqlx::query(sql).bind(owner_id).fetch_all(&self.pool).await?;
                rows.iter().map(|r| Ok($crate::shared::consents::consent_from_row!(r))).collect()
            }

            async fn claim_consent(&self, code_lookup: &str, owner_id: uuid::Uuid, now: i64) -> $crate::Result<uuid::Uuid> {
                let mut tx = self.begin_write().await?;
                // Not one's own application: the owner is someone else.
                let claimed: Option<uuid::Uuid> = sqlx::query_scalar(
                    "UPDATE consents SET owner_account_id = $2 WHERE code_lookup = $1 AND owner_account_id IS NULL \
                     AND status = 'pending' AND expires_at > $3 \
                     AND application_id NOT IN (SELECT id FROM applications WHERE account_id = $2) RETURNING id",
                )
                .bind(code_lookup)
                .bind(owner_id)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(id) = claimed else {
                    return Err($crate::StoreError::NotFound);
                };
                $crate::shared::audit!(self, tx, now, Some(owner_id), "consent.claimed", Some(id), "");
                tx.commit().await?;
                Ok(id)
            }

            async fn answer_consent(
                &self,
                id: uuid::Uuid,
                owner_id: uuid::Uuid,
                approve: bool,
                jobs: Vec<$crate::NewJob>,
                now: i64,
            ) -> $crate::Result<uuid::Uuid> {
                let mut tx = self.begin_write().await?;
                let status = if approve { "approved" } else { "refused" };
                // Counted in the statement that checks it: answered once, in time.
                let application: Option<uuid::Uuid> = sqlx::query_scalar(
                    "UPDATE consents SET status = $3, answered_at = $4 WHERE id = $1 AND owner_account_id = $2 \
                     AND status = 'pending' AND expires_at > $4 RETURNING application_id",
                )
                .bind(id)
                .bind(owner_id)
                .bind(status)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(application) = application else {
                    let mine: Option<uuid::Uuid> = sqlx::query_scalar(
                        "SELECT id FROM consents WHERE id = $1 AND owner_account_id = $2",
                    )
                    .bind(id)
                    .bind(owner_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    return Err(match mine {
                        Some(_) => $crate::StoreError::Conflict("consent.answered"),
                        None => $crate::StoreError::NotFound,
                    });
                };
                $crate::shared::audit!(self, tx, now, Some(owner_id), format!("consent.{status}"), Some(application), id.to_string());
                for job in jobs {
                    $crate::shared::enqueue!(tx, job, now);
                }
                tx.commit().await?;
                Ok(application)
            }

            async fn expire_consent(&self, id: uuid::Uuid, now: i64) -> $crate::Result<bool> {
                let done = sqlx::query(
                    "UPDATE consents SET status = 'expired', answered_at = $2 WHERE id = $1 \
                     AND status = 'pending' AND expires_at <= $2",
                )
                .bind(id)
                .bind(now)
                .execute(&self.writer)
                .await?;
                Ok(done.rows_affected() == 1)
            }
        }
    };
}
pub(crate) use impl_consent_store;
