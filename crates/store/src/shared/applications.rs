//! Applications: drafts, saves bound to a version, submission with a number.

pub(crate) const SELECT_APPLICATION: &str = "SELECT id, account_id, service, status, version, key_id, sealed, \
     number, late, created_at, updated_at, submitted_at, office_id, deadline FROM applications";

pub(crate) fn application_from_row<R: sqlx::Row>(
    r: &R,
) -> Result<crate::ApplicationRecord, crate::StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> uuid::Uuid: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> bool: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<uuid::Uuid>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Vec<u8>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let status: String = r.try_get("status")?;
    Ok(crate::ApplicationRecord {
        id: r.try_get("id")?,
        account_id: r.try_get("account_id")?,
        service: r.try_get("service")?,
        status: app_status(&status)?,
        version: r.try_get("version")?,
        key_id: r.try_get("key_id")?,
        sealed: r.try_get("sealed")?,
        number: r.try_get("number")?,
        late: r.try_get("late")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        submitted_at: r.try_get("submitted_at")?,
        office_id: r.try_get("office_id")?,
        deadline: r.try_get("deadline")?,
    })
}

/// The sending of a draft, the first of its transaction's two calls: the
/// idempotency key claimed (when `keyed`), the draft sent — bound to its
/// owner, its status and its version — and the next number taken, in one
/// round trip. Parameters: `$1` application, `$2` owner, `$3` version,
/// `$4` one-open key, `$5` late, `$6` key id, `$7` sealed answers, `$8`
/// time, `$9` office, `$10` deadline, then `$11` the idempotency key and
/// `$12` its fingerprint. Rows, read by [`Sending::of`]: `fresh` (1 when the
/// key was new), `version` (the draft's new one when it was sent), `value`
/// (the number's serial). A refusal or a used key leaves writes that the
/// caller undoes by rolling back (the counter too, on SQLite). PostgreSQL's
/// sequence is not rolled back: it is drawn only for a row sent with a new
/// key, so a refusal here takes no number; a later one in the transaction
/// (a file replaced meanwhile) or a failed commit leaves a gap, as any
/// sequence does.
pub(crate) fn sending_sql(dialect: crate::shared::Dialect, keyed: bool) -> String {
    const KEY: &str = "INSERT INTO idempotency_keys (account_id, key, fingerprint, resource_id, created_at) \
         VALUES ($2, $11, $12, $1, $8) ON CONFLICT (account_id, key) DO NOTHING RETURNING 1 AS fresh";
    const SEND: &str = "UPDATE applications SET status = 'submitted', open_key = $4, late = $5, \
         key_id = $6, sealed = $7, version = version + 1, submitted_at = $8, updated_at = $8, \
         office_id = $9, deadline = $10 \
         WHERE id = $1 AND account_id = $2 AND version = $3 AND status = 'draft' RETURNING version";
    match dialect {
        // Statements in turn on the writer's thread; the counter row is
        // bumped under the one write lock `BEGIN IMMEDIATE` holds.
        crate::shared::Dialect::Sqlite => {
            let number = "UPDATE counters SET value = value + 1 WHERE name = 'application_number' \
                 RETURNING value";
            let key = if keyed {
                format!("{KEY}; ")
            } else {
                String::new()
            };
            format!("{key}{SEND}; {number}")
        }
        // One statement, one row: a sequence, so numbers never wait on
        // another sending's transaction, drawn only for a row sent (and,
        // with a key, only when the key was new).
        crate::shared::Dialect::Postgres => {
            let (key, fresh, sent) = if keyed {
                (
                    format!("k AS ({KEY}), "),
                    "(SELECT COUNT(*) FROM k) AS fresh, ",
                    "s, k",
                )
            } else {
                (String::new(), "", "s")
            };
            format!(
                "WITH {key}s AS ({SEND}) SELECT {fresh}(SELECT version FROM s) AS version, \
                 (SELECT nextval('application_numbers') FROM {sent}) AS value"
            )
        }
    }
}

/// What [`sending_sql`]'s rows say.
pub(crate) struct Sending {
    /// With a key: whether it was new (else a request made before used it).
    pub fresh: bool,
    /// The version and the number's serial, when the draft was sent.
    pub sent: Option<(i64, i64)>,
}

impl Sending {
    pub(crate) fn of<R: sqlx::Row>(rows: &[R]) -> Result<Self, crate::StoreError>
    where
        for<'a> &'a str: sqlx::ColumnIndex<R>,
        for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    {
        use crate::shared::number_in;
        let fresh = number_in(rows, "fresh")?;
        Ok(Self {
            fresh: fresh.is_some_and(|n| n > 0),
            sent: number_in(rows, "version")?.zip(number_in(rows, "value")?),
        })
    }
}

/// The unique index that keeps one open application per person and
/// service, told apart from any other unique violation.
pub(crate) fn one_open(e: sqlx::Error) -> crate::StoreError {
    if let sqlx::Error::Database(db) = &e
        && db.is_unique_violation()
        && format!("{} {}", db.constraint().unwrap_or(""), db.message()).contains("open")
    {
        return crate::StoreError::Conflict("application.one_open");
    }
    crate::StoreError::Database(e)
}

/// A history entry from its row.
pub(crate) fn event_from_row<R: sqlx::Row>(
    r: &R,
) -> Result<crate::ApplicationEvent, crate::StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<uuid::Uuid>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let from: Option<String> = r.try_get("from_status")?;
    let to: String = r.try_get("to_status")?;
    Ok(crate::ApplicationEvent {
        at: r.try_get("at")?,
        actor_id: r.try_get("actor_id")?,
        from: from.as_deref().map(app_status).transpose()?,
        to: app_status(&to)?,
        note: r.try_get("note")?,
    })
}

pub(crate) fn app_status(s: &str) -> Result<domain::application::Status, crate::StoreError> {
    domain::application::Status::parse(s)
        .ok_or_else(|| crate::StoreError::Corrupt(format!("application status {s}")))
}

/// Claims an idempotency key inside the caller's transaction, first of its
/// work. When the key is already used, returns early from the caller with
/// the replay (same request) or `idempotency.mismatch` (another request);
/// the caller's transaction is dropped, so nothing is done twice.
macro_rules! claim_key {
    ($tx:expr, $account:expr, $idem:expr, $resource:expr, $now:expr) => {{
        if let Some(k) = &$idem {
            let taken = sqlx::query(
                "INSERT INTO idempotency_keys (account_id, key, fingerprint, resource_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id, key) DO NOTHING",
            )
            .bind($account)
            .bind(k.key.clone())
            .bind(k.fingerprint.clone())
            .bind($resource)
            .bind($now)
            .execute(&mut *$tx)
            .await?
            .rows_affected()
                == 0;
            if taken {
                $crate::shared::applications::replay_key!($tx, $account, k);
            }
        }
    }};
}
pub(crate) use claim_key;

/// Returns from the caller with what a used idempotency key `k` made
/// (`Replayed`), or `idempotency.mismatch` when it was used for another
/// request; read in the caller's transaction.
macro_rules! replay_key {
    ($tx:expr, $account:expr, $k:expr) => {{
        use sqlx::Row;
        let r = sqlx::query(
            "SELECT fingerprint, resource_id FROM idempotency_keys WHERE account_id = $1 AND key = $2",
        )
        .bind($account)
        .bind($k.key.clone())
        .fetch_one(&mut *$tx)
        .await?;
        let fingerprint: String = r.try_get("fingerprint")?;
        if fingerprint != $k.fingerprint {
            return Err($crate::StoreError::Conflict("idempotency.mismatch"));
        }
        return Ok($crate::Once::Replayed(r.try_get("resource_id")?));
    }};
}
pub(crate) use replay_key;

macro_rules! impl_application_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::ApplicationStore for $store {
            async fn create_draft(
                &self,
                d: $crate::NewDraft,
                idem: Option<$crate::IdempotencyKey>,
                now: i64,
            ) -> $crate::Result<$crate::Once<uuid::Uuid>> {
                let mut tx = self.begin_write().await?;
                $crate::shared::claim_key!(tx, d.account_id, idem, d.id, now);
                // The account row lock: two concurrent starts count each other.
                $crate::shared::lock_account!(tx, d.account_id, now);
                let drafts: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM applications WHERE account_id = $1 AND status = 'draft'",
                )
                .bind(d.account_id)
                .fetch_one(&mut *tx)
                .await?;
                if drafts >= $crate::MAX_DRAFTS {
                    return Err($crate::StoreError::Conflict("application.too_many_drafts"));
                }
                sqlx::query(
                    "INSERT INTO applications (id, account_id, service, status, version, key_id, sealed, \
                     created_at, updated_at) VALUES ($1, $2, $3, 'draft', 1, $4, $5, $6, $6)",
                )
                .bind(d.id)
                .bind(d.account_id)
                .bind(d.service.clone())
                .bind(d.key_id)
                .bind(d.sealed)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO application_events (id, application_id, at, actor_id, from_status, to_status, note) \
                     VALUES ($1, $2, $3, $4, NULL, 'draft', NULL)",
                )
                .bind(uuid::Uuid::now_v7())
                .bind(d.id)
                .bind(now)
                .bind(d.account_id)
                .execute(&mut *tx)
                .await?;
                $crate::shared::audit!(self, tx, now, Some(d.account_id), "application.created", Some(d.id), d.service);
                tx.commit().await?;
                Ok($crate::Once::Done(d.id))
            }

            async fn get_application(
                &self,
                id: uuid::Uuid,
                account_id: uuid::Uuid,
            ) -> $crate::Result<$crate::ApplicationRecord> {
                let sql = sqlx::AssertSqlSafe(format!("{} WHERE id = $1 AND account_id = $2", $crate::shared::SELECT_APPLICATION));
                let row = sqlx::query(sql)
                    .bind(id)
                    .bind(account_id)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or($crate::StoreError::NotFound)?;
                $crate::shared::application_from_row(&row)
            }

            async fn list_applications(
                &self,
                account_id: uuid::Uuid,
                before: Option<uuid::Uuid>,
                limit: u32,
            ) -> $crate::Result<Vec<$crate::ApplicationRecord>> {
                // Ids are UUIDv7, so id order is creation order: a keyset, not an offset.
                let sql = sqlx::AssertSqlSafe(format!(
                    "{} WHERE account_id = $1 AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3",
                    $crate::shared::SELECT_APPLICATION
                ));
                let rows = sqlx::query(sql)
                    .bind(account_id)
                    .bind(before)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map($crate::shared::application_from_row).collect()
            }

            async fn latest_application(
                &self,
                account_id: uuid::Uuid,
                service: &str,
                except: uuid::Uuid,
            ) -> $crate::Result<Option<$crate::ApplicationRecord>> {
                let sql = sqlx::AssertSqlSafe(format!(
                    "{} WHERE account_id = $1 AND service = $2 AND id <> $3 ORDER BY id DESC LIMIT 1",
                    $crate::shared::SELECT_APPLICATION
                ));
                let row = sqlx::query(sql)
                    .bind(account_id)
                    .bind(service)
                    .bind(except)
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map($crate::shared::application_from_row).transpose()
            }

            async fn save_answers(
                &self,
                id: uuid::Uuid,
                account_id: uuid::Uuid,
                version: i64,
                key_id: &str,
                sealed: Vec<u8>,
                now: i64,
            ) -> $crate::Result<i64> {
                // One statement compares and sets: of two saves on one version, one wins.
                let saved: Option<i64> = sqlx::query_scalar(
                    "UPDATE applications SET key_id = $4, sealed = $5, version = version + 1, updated_at = $6 \
                     WHERE id = $1 AND account_id = $2 AND version = $3 AND status IN ('draft', 'returned') \
                     RETURNING version",
                )
                .bind(id)
                .bind(account_id)
                .bind(version)
                .bind(key_id)
                .bind(sealed)
                .bind(now)
                .fetch_optional(&self.writer)
                .await?;
                if let Some(v) = saved {
                    return Ok(v);
                }
                let current = self.get_application(id, account_id).await?;
                if !current.status.is_editable() {
                    return Err($crate::StoreError::Conflict("application.not_editable"));
                }
                Err($crate::StoreError::Stale)
            }

            async fn delete_draft(&self, id: uuid::Uuid, account_id: uuid::Uuid, now: i64) -> $crate::Result<Vec<String>> {
                use sqlx::Row;
                let mut tx = self.begin_write().await?;
                // The row lock first: a submission or an upload of this
                // application waits, or has committed and is seen here.
                let status: Option<String> = sqlx::query_scalar(
                    "UPDATE applications SET updated_at = $3 WHERE id = $1 AND account_id = $2 RETURNING status",
                )
                .bind(id)
                .bind(account_id)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                match status.as_deref() {
                    None => return Err($crate::StoreError::NotFound),
                    Some("draft") => {}
                    Some(_) => return Err($crate::StoreError::Conflict("application.not_draft")),
                }
                let keys = sqlx::query("DELETE FROM attachments WHERE application_id = $1 RETURNING object_key")
                    .bind(id)
                    .fetch_all(&mut *tx)
                    .await?
                    .iter()
                    .map(|r| r.try_get::<String, _>("object_key"))
                    .collect::<Result<Vec<_>, _>>()?;
                sqlx::query("DELETE FROM application_events WHERE application_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                let gone = sqlx::query("DELETE FROM applications WHERE id = $1 AND status = 'draft'")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if gone != 1 {
                    return Err($crate::StoreError::Conflict("application.not_draft"));
                }
                $crate::shared::audit!(self, tx, now, Some(account_id), "application.draft_deleted", Some(id), "");
                tx.commit().await?;
                Ok(keys)
            }

            async fn fill_applicant_surnames(&self, after: uuid::Uuid, batch: u32) -> $crate::Result<Option<uuid::Uuid>> {
                // The batch's end first, then its rows by id range: one
                // short statement each, in the dialects alike (SQLite has no
                // UPDATE in a WITH, PostgreSQL no MAX of a uuid).
                let last: Option<uuid::Uuid> = sqlx::query_scalar(
                    "SELECT id FROM (SELECT id FROM applications WHERE id > $1 ORDER BY id LIMIT $2) b \
                     ORDER BY id DESC LIMIT 1",
                )
                .bind(after)
                .bind(i64::from(batch.max(1)))
                .fetch_optional(&self.pool)
                .await?;
                let Some(last) = last else {
                    return Ok(None);
                };
                sqlx::query(
                    "UPDATE applications SET applicant_surname = \
                     (SELECT c.surname FROM accounts c WHERE c.id = applications.account_id) \
                     WHERE id > $1 AND id <= $2 AND applicant_surname IS NULL",
                )
                .bind(after)
                .bind(last)
                .execute(&self.writer)
                .await?;
                Ok(Some(last))
            }

            async fn submit_application(
                &self,
                s: $crate::Submission,
                idem: Option<$crate::IdempotencyKey>,
                now: i64,
            ) -> $crate::Result<$crate::Once<$crate::Submitted>> {
                let mut tx = self.begin_write().await?;
                // The key, the sending and the number in one round trip. The
                // sending locks the row, bound to the owner, the status and
                // the version: a save or a second submission waits here.
                let sql = sqlx::AssertSqlSafe($crate::shared::applications::sending_sql(
                    Self::DIALECT,
                    idem.is_some(),
                ));
                let mut sending = sqlx::query(sql)
                    .bind(s.id)
                    .bind(s.account_id)
                    .bind(s.version)
                    .bind(s.open_key)
                    .bind(s.late)
                    .bind(s.key_id)
                    .bind(s.sealed)
                    .bind(now)
                    .bind(s.office_id)
                    .bind(s.deadline);
                if let Some(k) = &idem {
                    sending = sending.bind(k.key.clone()).bind(k.fingerprint.clone());
                }
                let rows = sending
                    .fetch_all(&mut *tx)
                    .await
                    .map_err($crate::shared::one_open)?;
                let sending = $crate::shared::applications::Sending::of(&rows)?;
                if let Some(k) = &idem
                    && !sending.fresh
                {
                    // A request before used the key: its answer, not this
                    // sending (undone with the transaction as it drops).
                    $crate::shared::applications::replay_key!(tx, s.account_id, k);
                }
                let Some((version, serial)) = sending.sent else {
                    // Why not, read in the same transaction: gone, sent already, or stale.
                    let status: Option<String> = sqlx::query_scalar(
                        "SELECT status FROM applications WHERE id = $1 AND account_id = $2",
                    )
                    .bind(s.id)
                    .bind(s.account_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    return Err(match status {
                        None => $crate::StoreError::NotFound,
                        Some(st) if $crate::shared::app_status(&st)? != domain::application::Status::Draft => {
                            $crate::StoreError::Conflict("application.not_draft")
                        }
                        Some(_) => $crate::StoreError::Stale,
                    });
                };
                // A file replaced after the check (an upload in between) is not
                // sent unseen; the row is locked, so none can come in now.
                for file in &s.files {
                    let there: Option<String> = sqlx::query_scalar(
                        "SELECT id FROM attachments WHERE application_id = $1 AND id = $2",
                    )
                    .bind(s.id)
                    .bind(file)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if there.is_none() {
                        return Err($crate::StoreError::Conflict("application.files_changed"));
                    }
                }
                let number = domain::application::number(s.year, serial);
                if let Some(c) = s.consent {
                    $crate::shared::insert_consent!(tx, s.id, c, now);
                }
                if let Some(c) = s.charge {
                    $crate::shared::payments::insert_charge!(self, tx, s.id, s.account_id, c, now);
                }
                // The number, the history event, the outbox and the audit
                // lane's head in one round trip (a sending is some ten
                // statements, and on SQLite each is a hop to the writer's
                // thread and back). Last but for the event: the chain's head
                // stays locked only through these writes, the event and the
                // commit.
                let mut jobs = s.jobs;
                jobs.extend(s.notice);
                let sql = sqlx::AssertSqlSafe($crate::shared::submission_tail(
                    Self::DIALECT,
                    jobs.len(),
                    Self::AUDIT_HEAD_LOCK_SQL,
                ));
                let tail = sqlx::query(sql)
                    .bind(s.id)
                    .bind(number.clone())
                    .bind(uuid::Uuid::now_v7())
                    .bind(now)
                    .bind(s.account_id);
                let head = $crate::shared::bind_jobs!(tail, jobs, now)
                    .fetch_one(&mut *tx)
                    .await?;
                $crate::shared::audit_after_head!(self, tx, head, now, Some(s.account_id), None::<String>, None::<uuid::Uuid>, "application.submitted", Some(s.id), number.clone());
                tx.commit().await?;
                Ok($crate::Once::Done($crate::Submitted { number, version }))
            }

            async fn add_attachment(
                &self,
                a: $crate::Attachment,
                idem: Option<$crate::IdempotencyKey>,
                now: i64,
            ) -> $crate::Result<$crate::Once<Vec<String>>> {
                use sqlx::Row;
                let mut tx = self.begin_write().await?;
                // The file's id is 16 random bytes: as a UUID it is the key's resource.
                let resource = hex::decode(&a.id)
                    .ok()
                    .and_then(|b| uuid::Uuid::from_slice(&b).ok())
                    .ok_or_else(|| $crate::StoreError::Corrupt(format!("attachment id {}", a.id)))?;
                $crate::shared::claim_key!(tx, a.account_id, idem, resource, now);
                // The row lock: a submission or a deletion cannot slip in between.
                let status: Option<String> = sqlx::query_scalar(
                    "UPDATE applications SET updated_at = $3 WHERE id = $1 AND account_id = $2 RETURNING status",
                )
                .bind(a.application_id)
                .bind(a.account_id)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(status) = status else {
                    return Err($crate::StoreError::NotFound);
                };
                if !$crate::shared::app_status(&status)?.is_editable() {
                    return Err($crate::StoreError::Conflict("application.not_editable"));
                }
                // A new file for a field replaces the one before.
                let replaced = sqlx::query(
                    "DELETE FROM attachments WHERE application_id = $1 AND field = $2 RETURNING object_key",
                )
                .bind(a.application_id)
                .bind(a.field.clone())
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| r.try_get::<String, _>("object_key"))
                .collect::<Result<Vec<_>, _>>()?;
                let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM attachments WHERE application_id = $1")
                    .bind(a.application_id)
                    .fetch_one(&mut *tx)
                    .await?;
                if count >= $crate::MAX_FILES {
                    return Err($crate::StoreError::Conflict("file.too_many"));
                }
                let details = format!("{} {} {}", a.id, a.field, a.sha256);
                sqlx::query(
                    "INSERT INTO attachments (id, application_id, account_id, field, media_type, size, sha256, \
                     file_name, object_key, key_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(a.id)
                .bind(a.application_id)
                .bind(a.account_id)
                .bind(a.field)
                .bind(a.media_type)
                .bind(a.size)
                .bind(a.sha256)
                .bind(a.file_name)
                .bind(a.object_key)
                .bind(a.key_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                $crate::shared::audit!(self, tx, now, Some(a.account_id), "application.file_added", Some(a.application_id), details);
                tx.commit().await?;
                Ok($crate::Once::Done(replaced))
            }

            async fn attachments(
                &self,
                application_id: uuid::Uuid,
                account_id: uuid::Uuid,
            ) -> $crate::Result<Vec<$crate::Attachment>> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT id, application_id, account_id, field, media_type, size, sha256, file_name, object_key, \
                     key_id, created_at FROM attachments WHERE application_id = $1 AND account_id = $2 ORDER BY created_at, id",
                )
                .bind(application_id)
                .bind(account_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok($crate::Attachment {
                            id: r.try_get("id")?,
                            application_id: r.try_get("application_id")?,
                            account_id: r.try_get("account_id")?,
                            field: r.try_get("field")?,
                            media_type: r.try_get("media_type")?,
                            size: r.try_get("size")?,
                            sha256: r.try_get("sha256")?,
                            file_name: r.try_get("file_name")?,
                            object_key: r.try_get("object_key")?,
                            key_id: r.try_get("key_id")?,
                            created_at: r.try_get("created_at")?,
                        })
                    })
                    .collect()
            }

            async fn idempotent_resource(
                &self,
                account_id: uuid::Uuid,
                key: &str,
            ) -> $crate::Result<Option<(String, uuid::Uuid)>> {
                use sqlx::Row;
                let row = sqlx::query(
                    "SELECT fingerprint, resource_id FROM idempotency_keys WHERE account_id = $1 AND key = $2",
                )
                .bind(account_id)
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|r| Ok((r.try_get("fingerprint")?, r.try_get("resource_id")?)))
                    .transpose()
            }

            async fn application_history(
                &self,
                id: uuid::Uuid,
                account_id: uuid::Uuid,
            ) -> $crate::Result<Vec<$crate::ApplicationEvent>> {
                let rows = sqlx::query(
                    "SELECT e.at, e.actor_id, e.from_status, e.to_status, e.note FROM application_events e \
                     JOIN applications a ON a.id = e.application_id \
                     WHERE e.application_id = $1 AND a.account_id = $2 ORDER BY e.at, e.id",
                )
                .bind(id)
                .bind(account_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map($crate::shared::event_from_row).collect()
            }
        }
    };
}
pub(crate) use impl_application_store;
