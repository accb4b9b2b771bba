macro_rules! letter_from_row {
    ($r:expr) => {
        $crate::Letter {
            id: $r.try_get("id")?,
            account_id: $r.try_get("account_id")?,
            address: $r.try_get("address")?,
            code_hash: $r.try_get("code_hash")?,
            attempts: $crate::shared::count($r.try_get("attempts")?),
            created_at: $r.try_get("created_at")?,
            expires_at: $r.try_get("expires_at")?,
            used_at: $r.try_get("used_at")?,
            identity_version: $r.try_get("identity_version")?,
            voided_at: $r.try_get("voided_at")?,
        }
    };
}
pub(crate) use letter_from_row;

macro_rules! impl_letter_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::LetterStore for $store {
            async fn request_letter(&self, l: $crate::Letter, print: $crate::NewJob, not_since: i64, now: i64) -> $crate::Result<()> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query(
                    "INSERT INTO letters (id, account_id, address, code_hash, attempts, created_at, expires_at, used_at, \
                     identity_version, voided_at) \
                     SELECT $1, $2, $3, $4, 0, $5, $6, NULL, $8, NULL WHERE NOT EXISTS \
                     (SELECT 1 FROM letters WHERE account_id = $2 AND created_at > $7)",
                )
                .bind(l.id)
                .bind(l.account_id)
                .bind(l.address)
                .bind(l.code_hash)
                .bind(l.created_at)
                .bind(l.expires_at)
                .bind(not_since)
                .bind(l.identity_version)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() != 1 {
                    return Err($crate::StoreError::Stale);
                }
                $crate::shared::enqueue!(tx, print, now);
                $crate::shared::audit!(self, tx, now, Some(l.account_id), "confirmation.letter_requested", Some(l.account_id), format!("letter={}", l.id));
                tx.commit().await?;
                Ok(())
            }

            async fn last_letter(&self, account_id: uuid::Uuid) -> $crate::Result<Option<$crate::Letter>> {
                use sqlx::Row;
                let row = sqlx::query(
                    "SELECT id, account_id, address, code_hash, attempts, created_at, expires_at, used_at, identity_version, voided_at FROM letters \
                     WHERE account_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1",
                )
                .bind(account_id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(match row {
                    Some(r) => Some($crate::shared::letter_from_row!(r)),
                    None => None,
                })
            }

            async fn get_letter(&self, id: uuid::Uuid) -> $crate::Result<Option<$crate::Letter>> {
                use sqlx::Row;
                let row = sqlx::query(
                    "SELECT id, account_id, address, code_hash, attempts, created_at, expires_at, used_at, identity_version, voided_at FROM letters WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(match row {
                    Some(r) => Some($crate::shared::letter_from_row!(r)),
                    None => None,
                })
            }

            async fn queue_for_post(&self, item: $crate::PostItem) -> $crate::Result<()> {
                sqlx::query(
                    "INSERT INTO outbound_post (letter_id, address, key_id, sealed_body, queued_at, exported_at) \
                     VALUES ($1, $2, $3, $4, $5, NULL) ON CONFLICT (letter_id) DO NOTHING",
                )
                .bind(item.letter_id)
                .bind(item.address)
                .bind(item.key_id)
                .bind(item.sealed_body)
                .bind(item.queued_at)
                .execute(&self.writer)
                .await?;
                Ok(())
            }

            async fn outbound_post(&self, limit: u32) -> $crate::Result<Vec<$crate::PostItem>> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT letter_id, address, key_id, sealed_body, queued_at FROM outbound_post \
                     WHERE exported_at IS NULL ORDER BY queued_at, letter_id LIMIT $1",
                )
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok($crate::PostItem {
                            letter_id: r.try_get("letter_id")?,
                            address: r.try_get("address")?,
                            key_id: r.try_get("key_id")?,
                            sealed_body: r.try_get::<Option<Vec<u8>>, _>("sealed_body")?.unwrap_or_default(),
                            queued_at: r.try_get("queued_at")?,
                        })
                    })
                    .collect()
            }

            async fn mark_posted(&self, letter_id: uuid::Uuid, now: i64) -> $crate::Result<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query("UPDATE outbound_post SET exported_at = $2, sealed_body = NULL WHERE letter_id = $1 AND exported_at IS NULL")
                    .bind(letter_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                $crate::shared::audit!(self, tx, now, None::<uuid::Uuid>, "confirmation.letter_posted", Some(letter_id), "");
                tx.commit().await?;
                Ok(())
            }

            async fn attempt_letter(&self, account_id: uuid::Uuid, max_attempts: u32, now: i64) -> $crate::Result<Option<$crate::Letter>> {
                use sqlx::Row;
                // Counted before the code is compared, in the statement that checks the limit.
                let row = sqlx::query(
                    "UPDATE letters SET attempts = attempts + 1 WHERE id = \
                     (SELECT id FROM letters WHERE account_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1) \
                     AND used_at IS NULL AND voided_at IS NULL AND attempts < $2 AND expires_at >= $3 \
                     RETURNING id, account_id, address, code_hash, attempts, created_at, expires_at, used_at, \
                     identity_version, voided_at",
                )
                .bind(account_id)
                .bind(i64::from(max_attempts))
                .bind(now)
                .fetch_optional(&self.writer)
                .await?;
                Ok(match row {
                    Some(r) => Some($crate::shared::letter_from_row!(r)),
                    None => None,
                })
            }

            async fn confirm_by_letter(&self, id: uuid::Uuid, notice: $crate::NewJob, now: i64) -> $crate::Result<()> {
                use sqlx::Row;
                let mut tx = self.begin_write().await?;
                // The account row first, as every identity change does: one lock order, no deadlock.
                let owner: Option<uuid::Uuid> = sqlx::query("SELECT account_id FROM letters WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|r| r.try_get("account_id"))
                    .transpose()?;
                let Some(owner) = owner else { return Err($crate::StoreError::Stale) };
                $crate::shared::lock_account!(tx, owner, now);
                let row = sqlx::query(
                    "UPDATE letters SET used_at = $2 WHERE id = $1 AND used_at IS NULL AND voided_at IS NULL \
                     RETURNING account_id, identity_version",
                )
                .bind(id)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(row) = row else { return Err($crate::StoreError::Stale) };
                let account_id: uuid::Uuid = row.try_get("account_id")?;
                let version: i64 = row.try_get("identity_version")?;
                $crate::shared::raise_to_confirmed!(tx, account_id, version, now);
                $crate::shared::enqueue!(tx, notice, now);
                $crate::shared::audit!(self, tx, now, Some(account_id), "identity.confirmed", Some(account_id), format!("method=registered_letter version={version}"));
                tx.commit().await?;
                Ok(())
            }
        }
    };
}
pub(crate) use impl_letter_store;
