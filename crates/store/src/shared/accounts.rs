/// A challenge from a row of `otp_challenges`, owned by `account_id`.
macro_rules! challenge_from_row {
    ($r:expr, $account_id:expr) => {
        $crate::Challenge {
            id: $r.try_get("id")?,
            account_id: $account_id,
            purpose: $crate::shared::purpose($r.try_get("purpose")?)?,
            channel: $crate::shared::channel($r.try_get("channel")?)?,
            destination: $r.try_get("destination")?,
            code_hash: $r.try_get("code_hash")?,
            sent_at: $r.try_get("sent_at")?,
            sends: $crate::shared::count($r.try_get("sends")?),
            attempts: $crate::shared::count($r.try_get("attempts")?),
            consumed: $r.try_get("consumed")?,
            identity_version: $r.try_get("identity_version")?,
        }
    };
}
pub(crate) use challenge_from_row;

macro_rules! impl_account_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::AccountStore for $store {
            async fn register_account(
                &self,
                account: $crate::NewAccount,
                challenge: $crate::NewChallenge,
                deliver: $crate::NewJob,
                now: i64,
            ) -> $crate::Result<()> {
                let mut tx = self.begin_write().await?;
                let id = account.id;
                // Someone who never entered the code may register again with the
                // same contact: the abandoned attempt gives way.
                let stale = "SELECT id FROM accounts WHERE status = 'pending_contact' AND (phone = $1 OR email = $2)";
                sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM otp_challenges WHERE account_id IN ({stale})")))
                    .bind(&account.phone)
                    .bind(&account.email)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM accounts WHERE id IN ({stale})")))
                    .bind(&account.phone)
                    .bind(&account.email)
                    .execute(&mut *tx)
                    .await?;
                insert_account(&mut tx, account, now).await?;
                sqlx::query($crate::shared::INSERT_CHALLENGE)
                .bind(challenge.id)
                .bind(challenge.account_id)
                .bind(challenge.purpose.as_str())
                .bind(challenge.channel.as_str())
                .bind(challenge.destination)
                .bind(challenge.code_hash)
                .bind(now)
                .bind(challenge.identity_version)
                .execute(&mut *tx)
                .await?;
                $crate::shared::enqueue!(tx, deliver, now);
                $crate::shared::audit!(self, tx, now, Some(id), "account.registered", Some(id), "");
                tx.commit().await?;
                Ok(())
            }

            async fn create_account(
                &self,
                account: $crate::NewAccount,
                actor: Option<uuid::Uuid>,
                now: i64,
            ) -> $crate::Result<()> {
                let mut tx = self.begin_write().await?;
                let id = account.id;
                let details = format!("role={}", account.role.as_str());
                insert_account(&mut tx, account, now).await?;
                $crate::shared::audit!(self, tx, now, actor, "account.created", Some(id), details);
                tx.commit().await?;
                Ok(())
            }

            async fn get_account(&self, id: uuid::Uuid) -> $crate::Result<Option<$crate::Account>> {
                use sqlx::Row;
                let row = sqlx::query(
                    "SELECT id, surname, given_name, patronymic, phone, email, status, level, \
                     role, office_id, created_at FROM accounts WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                let Some(r) = row else { return Ok(None) };
                Ok(Some($crate::shared::account_from_row!(r)))
            }

            async fn find_auth(
                &self,
                lookup: &$crate::LoginLookup,
            ) -> $crate::Result<Option<$crate::AuthRecord>> {
                use sqlx::Row;
                let (sql, value) = match lookup {
                    $crate::LoginLookup::Phone(v) => (
                        "SELECT id, password_hash, status, role FROM accounts WHERE phone = $1",
                        v,
                    ),
                    $crate::LoginLookup::Email(v) => (
                        "SELECT id, password_hash, status, role FROM accounts WHERE email = $1",
                        v,
                    ),
                    $crate::LoginLookup::SnilsLookup(v) => (
                        "SELECT a.id, a.password_hash, a.status, a.role FROM accounts a \
                         JOIN identities i ON i.account_id = a.id \
                         WHERE i.snils_lookup = $1 AND i.state = 'verified'",
                        v,
                    ),
                };
                let row = sqlx::query(sql).bind(value).fetch_optional(&self.pool).await?;
                let Some(r) = row else { return Ok(None) };
                Ok(Some($crate::AuthRecord {
                    id: r.try_get("id")?,
                    password_hash: r.try_get("password_hash")?,
                    status: $crate::shared::status(r.try_get("status")?)?,
                    role: $crate::shared::role(r.try_get("role")?)?,
                }))
            }

            async fn get_challenge(
                &self,
                id: uuid::Uuid,
            ) -> $crate::Result<Option<$crate::Challenge>> {
                use sqlx::Row;
                let row = sqlx::query(
                    "SELECT id, account_id, purpose, channel, destination, code_hash, sent_at, \
                     sends, attempts, consumed, identity_version FROM otp_challenges \
                     WHERE id = $1 AND account_id IS NOT NULL",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                let Some(r) = row else { return Ok(None) };
                let account_id = r.try_get("account_id")?;
                Ok(Some($crate::shared::challenge_from_row!(r, account_id)))
            }

            async fn attempt_challenge(
                &self,
                id: uuid::Uuid,
                purpose: domain::otp::Purpose,
                owner: Option<uuid::Uuid>,
                max_attempts: u32,
                sent_after: i64,
            ) -> $crate::Result<Option<$crate::ChallengeAttempt>> {
                use sqlx::Row;
                // Counted in the statement that checks the limit: the row lock
                // orders concurrent guesses, and the guard re-reads the count.
                let row = sqlx::query(
                    "UPDATE otp_challenges SET attempts = attempts + 1 \
                     WHERE id = $1 AND purpose = $2 AND ($3 IS NULL OR account_id = $3) \
                     AND consumed = FALSE AND attempts < $4 AND sent_at >= $5 \
                     RETURNING id, account_id, purpose, channel, destination, code_hash, attempts, identity_version",
                )
                .bind(id)
                .bind(purpose.as_str())
                .bind(owner)
                .bind(i64::from(max_attempts))
                .bind(sent_after)
                .fetch_optional(&self.writer)
                .await?;
                let Some(r) = row else { return Ok(None) };
                Ok(Some($crate::ChallengeAttempt {
                    id: r.try_get("id")?,
                    account_id: r.try_get("account_id")?,
                    purpose: $crate::shared::purpose(r.try_get("purpose")?)?,
                    channel: $crate::shared::channel(r.try_get("channel")?)?,
                    destination: r.try_get("destination")?,
                    code_hash: r.try_get("code_hash")?,
                    attempts: $crate::shared::count(r.try_get("attempts")?),
                    identity_version: r.try_get("identity_version")?,
                }))
            }

            async fn confirm_challenge(
                &self,
                id: uuid::Uuid,
                now: i64,
            ) -> $crate::Result<()> {
                use sqlx::Row;
                let mut tx = self.begin_write().await?;
                let row = sqlx::query(
                    "UPDATE otp_challenges SET consumed = TRUE \
                     WHERE id = $1 AND consumed = FALSE AND account_id IS NOT NULL RETURNING account_id, purpose",
                )
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(row) = row else { return Err($crate::StoreError::Stale) };
                let account_id: uuid::Uuid = row.try_get("account_id")?;
                let purpose = $crate::shared::purpose(row.try_get("purpose")?)?;
                if purpose == domain::otp::Purpose::Contact {
                    sqlx::query(
                        "UPDATE accounts SET status = 'active', updated_at = $2 \
                         WHERE id = $1 AND status = 'pending_contact'",
                    )
                    .bind(account_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                let action = format!("challenge.confirmed.{}", purpose.as_str());
                $crate::shared::audit!(self, tx, now, Some(account_id), action, Some(account_id), "");
                tx.commit().await?;
                Ok(())
            }

            async fn start_decoy_challenge(
                &self,
                id: uuid::Uuid,
                purpose: domain::otp::Purpose,
                now: i64,
            ) -> $crate::Result<()> {
                // A random hash that no code can match.
                let hash = uuid::Uuid::new_v4().simple().to_string();
                sqlx::query(
                    "INSERT INTO otp_challenges (id, account_id, purpose, channel, destination, \
                     code_hash, sent_at, sends, attempts, consumed, created_at, identity_version) \
                     VALUES ($1, NULL, $2, 'sms', '', $3, $4, 1, 0, FALSE, $4, NULL)",
                )
                .bind(id)
                .bind(purpose.as_str())
                .bind(hash)
                .bind(now)
                .execute(&self.writer)
                .await?;
                Ok(())
            }

            async fn resend_challenge(
                &self,
                id: uuid::Uuid,
                seen_sends: u32,
                code_hash: String,
                deliver: Option<$crate::NewJob>,
                now: i64,
            ) -> $crate::Result<()> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query(
                    "UPDATE otp_challenges SET code_hash = $3, sends = sends + 1, \
                     sent_at = $4 WHERE id = $1 AND sends = $2 AND consumed = FALSE",
                )
                .bind(id)
                .bind(i64::from(seen_sends))
                .bind(code_hash)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() != 1 {
                    return Err($crate::StoreError::Stale);
                }
                if let Some(deliver) = deliver {
                    $crate::shared::enqueue!(tx, deliver, now);
                }
                tx.commit().await?;
                Ok(())
            }

            async fn get_decoy(
                &self,
                id: uuid::Uuid,
            ) -> $crate::Result<Option<$crate::Challenge>> {
                use sqlx::Row;
                let row = sqlx::query(
                    "SELECT id, purpose, channel, destination, code_hash, sent_at, sends, attempts, consumed, \
                     identity_version FROM otp_challenges WHERE id = $1 AND account_id IS NULL",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                let Some(r) = row else { return Ok(None) };
                Ok(Some($crate::shared::challenge_from_row!(r, uuid::Uuid::nil())))
            }

            async fn change_password(
                &self,
                account_id: uuid::Uuid,
                password_hash: String,
                keep: Option<&str>,
                notice: $crate::NewJob,
                now: i64,
            ) -> $crate::Result<()> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query("UPDATE accounts SET password_hash = $2, updated_at = $3 WHERE id = $1")
                    .bind(account_id)
                    .bind(password_hash)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() != 1 {
                    return Err($crate::StoreError::NotFound);
                }
                sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND token_hash <> $2")
                    .bind(account_id)
                    .bind(keep.unwrap_or(""))
                    .execute(&mut *tx)
                    .await?;
                $crate::shared::enqueue!(tx, notice, now);
                $crate::shared::audit!(self, tx, now, Some(account_id), "account.password_changed", Some(account_id), "");
                tx.commit().await?;
                Ok(())
            }

            async fn start_challenge(
                &self,
                challenge: $crate::NewChallenge,
                deliver: Option<$crate::NewJob>,
                now: i64,
            ) -> $crate::Result<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query($crate::shared::INSERT_CHALLENGE)
                .bind(challenge.id)
                .bind(challenge.account_id)
                .bind(challenge.purpose.as_str())
                .bind(challenge.channel.as_str())
                .bind(challenge.destination)
                .bind(challenge.code_hash)
                .bind(now)
                .bind(challenge.identity_version)
                .execute(&mut *tx)
                .await?;
                if let Some(job) = deliver {
                    $crate::shared::enqueue!(tx, job, now);
                }
                tx.commit().await?;
                Ok(())
            }

            async fn complete_reset(
                &self,
                challenge_id: uuid::Uuid,
                password_hash: String,
                notice: $crate::NewJob,
                now: i64,
            ) -> $crate::Result<uuid::Uuid> {
                use sqlx::Row;
                let mut tx = self.begin_write().await?;
                let row = sqlx::query(
                    "UPDATE otp_challenges SET consumed = TRUE WHERE id = $1 \
                     AND consumed = FALSE AND purpose = 'reset' AND account_id IS NOT NULL RETURNING account_id",
                )
                .bind(challenge_id)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(row) = row else { return Err($crate::StoreError::Stale) };
                let account_id: uuid::Uuid = row.try_get("account_id")?;
                sqlx::query("UPDATE accounts SET password_hash = $2, updated_at = $3 WHERE id = $1")
                    .bind(account_id)
                    .bind(password_hash)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM sessions WHERE account_id = $1")
                    .bind(account_id)
                    .execute(&mut *tx)
                    .await?;
                $crate::shared::enqueue!(tx, notice, now);
                $crate::shared::audit!(self, tx, now, Some(account_id), "account.password_reset", Some(account_id), "");
                tx.commit().await?;
                Ok(account_id)
            }

            async fn login_failures(
                &self,
                key: &str,
            ) -> $crate::Result<domain::throttle::FailureRecord> {
                use sqlx::Row;
                let row = sqlx::query(
                    "SELECT failures, last_failure_at FROM login_failures WHERE login_key = $1",
                )
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
                Ok(match row {
                    Some(r) => domain::throttle::FailureRecord {
                        failures: $crate::shared::count(r.try_get("failures")?),
                        last_failure_ms: r.try_get("last_failure_at")?,
                    },
                    None => domain::throttle::FailureRecord::default(),
                })
            }

            async fn bump_failures(
                &self,
                key: &str,
                seen: domain::throttle::FailureRecord,
                next: domain::throttle::FailureRecord,
            ) -> $crate::Result<bool> {
                // A missing row reads as (0, 0); a row someone inserted meanwhile
                // has failures >= 1, so the guard refuses it as well.
                let done = sqlx::query(
                    "INSERT INTO login_failures (login_key, failures, last_failure_at) \
                     VALUES ($1, $2, $3) ON CONFLICT (login_key) \
                     DO UPDATE SET failures = excluded.failures, last_failure_at = excluded.last_failure_at \
                     WHERE login_failures.failures = $4 AND login_failures.last_failure_at = $5",
                )
                .bind(key)
                .bind(i64::from(next.failures))
                .bind(next.last_failure_ms)
                .bind(i64::from(seen.failures))
                .bind(seen.last_failure_ms)
                .execute(&self.writer)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn clear_login_failures(&self, key: &str) -> $crate::Result<()> {
                sqlx::query("DELETE FROM login_failures WHERE login_key = $1")
                    .bind(key)
                    .execute(&self.writer)
                    .await?;
                Ok(())
            }

        }

        async fn insert_account(
            tx: &mut <$store as $crate::Backend>::WriteTx,
            a: $crate::NewAccount,
            now: i64,
        ) -> $crate::Result<()> {
            sqlx::query(
                "INSERT INTO accounts (id, surname, given_name, patronymic, phone, email, \
                 password_hash, status, level, role, office_id, lang, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)",
            )
            .bind(a.id)
            .bind(a.surname)
            .bind(a.given_name)
            .bind(a.patronymic)
            .bind(a.phone)
            .bind(a.email)
            .bind(a.password_hash)
            .bind(a.status.as_str())
            .bind(a.level.as_str())
            .bind(a.role.as_str())
            .bind(a.office_id)
            .bind(a.lang)
            .bind(now)
            .execute(&mut **tx)
            .await
            .map_err($crate::StoreError::from_insert)?;
            Ok(())
        }
    };
}
pub(crate) use impl_account_store;
