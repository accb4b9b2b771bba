macro_rules! impl_identity_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::IdentityStore for $store {
            async fn submit_identity(
                &self,
                identity: $crate::NewIdentity,
                now: i64,
            ) -> $crate::Result<i64> {
                use sqlx::Row;
                let mut tx = self.begin_write().await?;
                let account_id = identity.account_id;
                let previous: Option<i64> =
                    sqlx::query("SELECT version FROM identities WHERE account_id = $1")
                        .bind(account_id)
                        .fetch_optional(&mut *tx)
                        .await?
                        .map(|r| r.try_get("version"))
                        .transpose()?;
                let version = previous.unwrap_or(0) + 1;
                let sql = if previous.is_some() {
                    "UPDATE identities SET version = $2, document_kind = $3, snils_lookup = $4, \
                     key_id = $5, sealed = $6, masked = $7, state = 'pending', failure_reason = NULL, \
                     submitted_at = $8, checked_at = NULL WHERE account_id = $1"
                } else {
$crate::shared::INSERT_IDENTITY
                };
                sqlx::query(sql)
                    .bind(account_id)
                    .bind(version)
                    .bind(identity.document_kind)
                    .bind(identity.snils_lookup)
                    .bind(identity.key_id)
                    .bind(identity.sealed)
                    .bind(identity.masked)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err($crate::StoreError::from_insert)?;
                // The name follows the documents; unverified data no longer
                // supports the standard level.
                sqlx::query(
                    "UPDATE accounts SET surname = $3, given_name = $4, patronymic = $5, updated_at = $2, \
                     level = CASE WHEN level = 'standard' THEN 'simplified' ELSE level END WHERE id = $1",
                )
                .bind(account_id)
                .bind(now)
                .bind(identity.surname)
                .bind(identity.given_name)
                .bind(identity.patronymic)
                .execute(&mut *tx)
                .await?;
                let payload = serde_json::json!({ "account_id": account_id, "version": version });
                let job = $crate::NewJob::now($crate::job_kind::VERIFY_IDENTITY, payload.to_string(), now)
                    .dedup(format!("verify:{account_id}:{version}"))
                    // A registry outage must never lose the check: retry for days.
                    .max_attempts(10_000);
                $crate::shared::enqueue!(tx, job, now);
                let details = format!("version={version}");
                $crate::shared::audit!(tx, now, Some(account_id), "identity.submitted", Some(account_id), details);
                tx.commit().await?;
                Ok(version)
            }

            async fn get_identity(
                &self,
                account_id: uuid::Uuid,
            ) -> $crate::Result<Option<$crate::IdentityRecord>> {
                use sqlx::Row;
                let row = sqlx::query(
                    "SELECT account_id, version, document_kind, snils_lookup, key_id, sealed, masked, \
                     state, failure_reason, submitted_at, checked_at FROM identities WHERE account_id = $1",
                )
                .bind(account_id)
                .fetch_optional(&self.pool)
                .await?;
                let Some(r) = row else { return Ok(None) };
                let state: String = r.try_get("state")?;
                let reason: Option<String> = r.try_get("failure_reason")?;
                Ok(Some($crate::IdentityRecord {
                    account_id: r.try_get("account_id")?,
                    version: r.try_get("version")?,
                    document_kind: r.try_get("document_kind")?,
                    snils_lookup: r.try_get("snils_lookup")?,
                    key_id: r.try_get("key_id")?,
                    sealed: r.try_get("sealed")?,
                    masked: r.try_get("masked")?,
                    state: domain::account::VerificationState::parse(&state)
                        .ok_or_else(|| $crate::StoreError::Corrupt(format!("state {state}")))?,
                    failure_reason: match reason {
                        None => None,
                        Some(code) => Some(
                            domain::account::FailureReason::parse(&code)
                                .ok_or_else(|| $crate::StoreError::Corrupt(format!("reason {code}")))?,
                        ),
                    },
                    submitted_at: r.try_get("submitted_at")?,
                    checked_at: r.try_get("checked_at")?,
                }))
            }

            async fn finish_identity_check(
                &self,
                account_id: uuid::Uuid,
                version: i64,
                outcome: domain::account::Verification,
                notice: $crate::NewJob,
                now: i64,
            ) -> $crate::Result<()> {
                use domain::account::Verification;
                let (state, reason) = match outcome {
                    Verification::Verified => ("verified", None),
                    Verification::Failed(r) => ("failed", Some(r.code())),
                };
                let mut tx = self.begin_write().await?;
                let done = sqlx::query(
                    "UPDATE identities SET state = $3, failure_reason = $4, checked_at = $5 \
                     WHERE account_id = $1 AND version = $2 AND state = 'pending'",
                )
                .bind(account_id)
                .bind(version)
                .bind(state)
                .bind(reason)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() != 1 {
                    return Err($crate::StoreError::Stale);
                }
                if state == "verified" {
                    sqlx::query(
                        "UPDATE accounts SET level = 'standard', updated_at = $2 \
                         WHERE id = $1 AND level = 'simplified'",
                    )
                    .bind(account_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                $crate::shared::enqueue!(tx, notice, now);
                let details = format!("version={version} result={}", reason.unwrap_or(state));
                $crate::shared::audit!(tx, now, None::<uuid::Uuid>, "identity.checked", Some(account_id), details);
                tx.commit().await?;
                Ok(())
            }
        }
    };
}
pub(crate) use impl_identity_store;
