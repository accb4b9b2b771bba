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
                let (level, role) = $crate::shared::lock_account!(tx, account_id, now);
                // Staff are named by administrators, not by identity documents.
                if role != domain::account::Role::Applicant {
                    return Err($crate::StoreError::Conflict("identity.applicants_only"));
                }
                // A confirmed person's data is locked: it was proven in person
                // (or by signature) and changes only through the office.
                if level == domain::account::AssuranceLevel::Confirmed {
                    return Err($crate::StoreError::Conflict("identity.locked"));
                }
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
                     submitted_at = $8, checked_at = NULL, pending_confirmation = $9 WHERE account_id = $1"
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
                    .bind(None::<String>)
                    .execute(&mut *tx)
                    .await
                    .map_err($crate::StoreError::from_insert)?;
                // The name follows the documents; unverified data supports no
                // more than the simplified level.
                sqlx::query(
                    "UPDATE accounts SET surname = $3, given_name = $4, patronymic = $5, updated_at = $2, \
                     level = 'simplified' WHERE id = $1",
                )
                .bind(account_id)
                .bind(now)
                .bind(identity.surname)
                .bind(identity.given_name)
                .bind(identity.patronymic)
                .execute(&mut *tx)
                .await?;
                // Confirmations issued for the old version are void (domain::confirmation).
                let letters = sqlx::query(
                    "UPDATE letters SET voided_at = $2 WHERE account_id = $1 AND used_at IS NULL AND voided_at IS NULL",
                )
                .bind(account_id)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                let challenges = sqlx::query(
                    "UPDATE otp_challenges SET consumed = TRUE WHERE account_id = $1 AND purpose = 'qes' AND consumed = FALSE",
                )
                .bind(account_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                let payload = serde_json::json!({ "account_id": account_id, "version": version });
                let job = $crate::NewJob::now($crate::job_kind::VERIFY_IDENTITY, payload.to_string(), now)
                    .dedup(format!("verify:{account_id}:{version}"))
                    // A registry outage must never lose the check: retry for days.
                    .max_attempts(10_000);
                $crate::shared::enqueue!(tx, job, now);
                let details = format!("version={version} voided_letters={letters} voided_challenges={challenges}");
                $crate::shared::audit!(self, tx, now, Some(account_id), "identity.submitted", Some(account_id), details);
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
                     state, failure_reason, submitted_at, checked_at, pending_confirmation \
                     FROM identities WHERE account_id = $1",
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
                    pending_confirmation: r.try_get("pending_confirmation")?,
                }))
            }

            async fn finish_identity_check(
                &self,
                account_id: uuid::Uuid,
                version: i64,
                outcome: domain::account::Verification,
                notice: &(dyn Fn(domain::account::Verification) -> $crate::NewJob + Send + Sync),
                now: i64,
            ) -> $crate::Result<domain::account::Verification> {
                use domain::account::{FailureReason, Verification};
                use sqlx::Row;
                let mut tx = self.begin_write().await?;
                $crate::shared::lock_account!(tx, account_id, now);
                let row = sqlx::query(
                    "SELECT snils_lookup, pending_confirmation FROM identities \
                     WHERE account_id = $1 AND version = $2 AND state = 'pending'",
                )
                .bind(account_id)
                .bind(version)
                .fetch_optional(&mut *tx)
                .await?;
                // The person resubmitted meanwhile: the result of an old check must not win.
                let Some(row) = row else { return Err($crate::StoreError::Stale) };
                let lookup: String = row.try_get("snils_lookup")?;
                let pending_confirmation: Option<String> = row.try_get("pending_confirmation")?;
                let mut outcome = outcome;
                let mut holder: Option<uuid::Uuid> = None;
                if outcome == Verification::Verified {
                    // Only a verified identity holds its key; the first verified keeps it.
                    holder = sqlx::query(
                        "SELECT account_id FROM identities WHERE snils_lookup = $1 AND state = 'verified' AND account_id <> $2",
                    )
                    .bind(&lookup)
                    .bind(account_id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|r| r.try_get("account_id"))
                    .transpose()?;
                    if holder.is_some() {
                        outcome = Verification::Failed(FailureReason::HeldByAnother);
                    }
                }
                let (state, reason) = match outcome {
                    Verification::Verified => ("verified", None),
                    Verification::Failed(r) => ("failed", Some(r.code())),
                };
                sqlx::query(
                    "UPDATE identities SET state = $3, failure_reason = $4, checked_at = $5, pending_confirmation = NULL \
                     WHERE account_id = $1 AND version = $2",
                )
                .bind(account_id)
                .bind(version)
                .bind(state)
                .bind(reason)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err($crate::StoreError::from_insert)?;
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
                $crate::shared::enqueue!(tx, notice(outcome), now);
                let mut details = format!("version={version} result={}", reason.unwrap_or(state));
                if let Some(other) = holder {
                    // For the service centre, never for the person.
                    details.push_str(&format!(" held_by={other}"));
                }
                $crate::shared::audit!(self, tx, now, None::<uuid::Uuid>, "identity.checked", Some(account_id), details);
                if let (Some(method), "verified") = (pending_confirmation, state) {
                    $crate::shared::raise_to_confirmed!(tx, account_id, version, now);
                    $crate::shared::audit!(self, tx, now, None::<uuid::Uuid>, "identity.confirmed", Some(account_id), method);
                }
                tx.commit().await?;
                Ok(outcome)
            }

            #[allow(clippy::too_many_arguments)]
            async fn confirm_identity(
                &self,
                person_id: uuid::Uuid,
                identity_version: i64,
                consume: Option<uuid::Uuid>,
                by: &$crate::StaffActor,
                method: &str,
                notice: $crate::NewJob,
                now: i64,
            ) -> $crate::Result<()> {
                let mut tx = self.begin_write().await?;
                // The account row first, as every identity change does: one lock order, no deadlock.
                $crate::shared::lock_account!(tx, person_id, now);
                if let Some(challenge) = consume {
                    let done = sqlx::query(
                        "UPDATE otp_challenges SET consumed = TRUE WHERE id = $1 AND account_id = $2 AND consumed = FALSE",
                    )
                    .bind(challenge)
                    .bind(person_id)
                    .execute(&mut *tx)
                    .await?;
                    if done.rows_affected() != 1 {
                        return Err($crate::StoreError::Stale);
                    }
                }
                $crate::shared::raise_to_confirmed!(tx, person_id, identity_version, now);
                $crate::shared::enqueue!(tx, notice, now);
                $crate::shared::audit!(self, tx, now, Some(by.id), Some(by.role.as_str()), by.office_id, "identity.confirmed", Some(person_id), format!("method={method} version={identity_version}"));
                tx.commit().await?;
                Ok(())
            }
        }
    };
}
pub(crate) use impl_identity_store;
