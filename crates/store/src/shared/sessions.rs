/// A `SessionRecord` from a row; `$created` names the session's
/// `created_at` column (aliased where it is joined with its account).
macro_rules! session_from_row {
    ($r:expr, $created:expr) => {
        $crate::SessionRecord {
            token_hash: $r.try_get("token_hash")?,
            account_id: $r.try_get("account_id")?,
            kind: $r.try_get("kind")?,
            csrf_token: $r.try_get("csrf_token")?,
            user_agent: $r.try_get("user_agent")?,
            created_at: $r.try_get($created)?,
            last_seen_at: $r.try_get("last_seen_at")?,
            expires_at: $r.try_get("expires_at")?,
        }
    };
}
pub(crate) use session_from_row;

macro_rules! impl_session_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::SessionStore for $store {
            async fn create_session(
                &self,
                s: $crate::NewSession,
                device_key: &str,
                new_device_notice: Option<$crate::NewJob>,
                now: i64,
            ) -> $crate::Result<bool> {
                let mut tx = self.begin_write().await?;
                let account_id = s.account_id;
                sqlx::query(
                    "INSERT INTO sessions (token_hash, account_id, kind, csrf_token, user_agent, \
                     created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $6, $7)",
                )
                .bind(s.token_hash)
                .bind(s.account_id)
                .bind(s.kind.as_str())
                .bind(s.csrf_token)
                .bind(s.user_agent)
                .bind(now)
                .bind(s.expires_at)
                .execute(&mut *tx)
                .await?;
                let new_device = sqlx::query(
                    "INSERT INTO known_devices (account_id, device_key, first_seen_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (account_id, device_key) DO NOTHING",
                )
                .bind(account_id)
                .bind(device_key)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    == 1;
                if new_device && let Some(job) = new_device_notice {
                    $crate::shared::enqueue!(tx, job, now);
                }
                let details = if new_device { "new_device" } else { "" };
                $crate::shared::audit!(self, tx, now, Some(account_id), "session.started", Some(account_id), details);
                tx.commit().await?;
                Ok(new_device)
            }

            async fn list_sessions(
                &self,
                account_id: uuid::Uuid,
                now: i64,
            ) -> $crate::Result<Vec<$crate::SessionRecord>> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT token_hash, account_id, kind, csrf_token, user_agent, created_at, \
                     last_seen_at, expires_at FROM sessions WHERE account_id = $1 AND expires_at > $2 \
                     ORDER BY created_at DESC",
                )
                .bind(account_id)
                .bind(now)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| Ok($crate::shared::session_from_row!(r, "created_at")))
                    .collect()
            }

            async fn delete_account_sessions(
                &self,
                account_id: uuid::Uuid,
                keep: Option<&str>,
                notice: $crate::NewJob,
                now: i64,
            ) -> $crate::Result<u64> {
                let mut tx = self.begin_write().await?;
                let n = sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND token_hash <> $2")
                    .bind(account_id)
                    .bind(keep.unwrap_or(""))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                $crate::shared::enqueue!(tx, notice, now);
                $crate::shared::audit!(self, tx, now, Some(account_id), "sessions.ended_all", Some(account_id), format!("count={n}"));
                tx.commit().await?;
                Ok(n)
            }

            async fn find_session(
                &self,
                token_hash: &str,
                now: i64,
            ) -> $crate::Result<Option<$crate::SessionRecord>> {
                use sqlx::Row;
                let row = sqlx::query(
                    "SELECT token_hash, account_id, kind, csrf_token, user_agent, created_at, \
                     last_seen_at, expires_at FROM sessions WHERE token_hash = $1 AND expires_at > $2",
                )
                .bind(token_hash)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?;
                let Some(r) = row else { return Ok(None) };
                Ok(Some($crate::shared::session_from_row!(r, "created_at")))
            }

            async fn find_session_account(
                &self,
                token_hash: &str,
                now: i64,
            ) -> $crate::Result<Option<($crate::SessionRecord, $crate::Account)>> {
                use sqlx::Row;
                let row = sqlx::query(
                    "SELECT s.token_hash, s.account_id, s.kind, s.csrf_token, s.user_agent, \
                     s.created_at AS session_created_at, s.last_seen_at, s.expires_at, a.id, a.surname, \
                     a.given_name, a.patronymic, a.phone, a.email, a.status, a.level, a.role, a.office_id, \
                     a.created_at \
                     FROM sessions s JOIN accounts a ON a.id = s.account_id \
                     WHERE s.token_hash = $1 AND s.expires_at > $2",
                )
                .bind(token_hash)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?;
                let Some(r) = row else { return Ok(None) };
                let session = $crate::shared::session_from_row!(r, "session_created_at");
                let account = $crate::shared::account_from_row!(r);
                Ok(Some((session, account)))
            }

            async fn touch_session(
                &self,
                token_hash: &str,
                now: i64,
                expires_at: i64,
            ) -> $crate::Result<()> {
                sqlx::query(
                    "UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE token_hash = $1",
                )
                .bind(token_hash)
                .bind(now)
                .bind(expires_at)
                .execute(&self.writer)
                .await?;
                Ok(())
            }

            async fn delete_session(&self, token_hash: &str, now: i64) -> $crate::Result<()> {
                use sqlx::Row;
                let mut tx = self.begin_write().await?;
                let row = sqlx::query("DELETE FROM sessions WHERE token_hash = $1 RETURNING account_id")
                    .bind(token_hash)
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some(r) = row {
                    let account_id: uuid::Uuid = r.try_get("account_id")?;
                    $crate::shared::audit!(self, tx, now, Some(account_id), "session.ended", Some(account_id), "");
                }
                tx.commit().await?;
                Ok(())
            }

            async fn purge_expired_sessions(&self, now: i64) -> $crate::Result<u64> {
                let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                    .bind(now)
                    .execute(&self.writer)
                    .await?;
                Ok(done.rows_affected())
            }

            async fn purge_stale(&self, before: $crate::PurgeBefore) -> $crate::Result<u64> {
                let mut n = sqlx::query(
                    "UPDATE jobs SET done_at = $1, outcome = 'dead', last_error = 'abandoned on its last attempt', \
                     locked_by = NULL, locked_until = NULL \
                     WHERE done_at IS NULL AND attempts >= max_attempts AND locked_until < $1",
                )
                .bind(before.now)
                .execute(&self.writer)
                .await?
                .rows_affected();
                for (sql, at) in [
                    ("DELETE FROM otp_challenges WHERE created_at < $1", before.challenges),
                    ("DELETE FROM jobs WHERE done_at IS NOT NULL AND done_at < $1", before.finished_jobs),
                    ("DELETE FROM login_failures WHERE last_failure_at < $1", before.failures),
                ] {
                    n += sqlx::query(sql).bind(at).execute(&self.writer).await?.rows_affected();
                }
                Ok(n)
            }
        }
    };
}
pub(crate) use impl_session_store;
