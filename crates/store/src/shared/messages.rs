//! The thread of an application: messages with files, read receipts.

macro_rules! impl_message_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::MessageStore for $store {
            async fn add_message(&self, m: $crate::NewMessage, now: i64) -> $crate::Result<()> {
                let mut tx = self.begin_write().await?;
                // The row lock: a message and a closing step are ordered.
                let status: Option<String> = sqlx::query_scalar(
                    "UPDATE applications SET updated_at = updated_at WHERE id = $1 RETURNING status",
                )
                .bind(m.application_id)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(status) = status else {
                    return Err($crate::StoreError::NotFound);
                };
                if !$crate::shared::app_status(&status)?.is_open() {
                    return Err($crate::StoreError::Conflict("message.closed"));
                }
                sqlx::query(
                    "INSERT INTO messages (id, application_id, from_office, author_id, office_id, key_id, sealed, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(m.id)
                .bind(m.application_id)
                .bind(m.from_office)
                .bind(m.author_id)
                .bind(m.office_id)
                .bind(m.key_id)
                .bind(m.sealed)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                for f in &m.files {
                    sqlx::query(
                        "INSERT INTO message_files (id, message_id, media_type, size, sha256, file_name, object_key, key_id) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(f.id.clone())
                    .bind(m.id)
                    .bind(f.media_type.clone())
                    .bind(f.size)
                    .bind(f.sha256.clone())
                    .bind(f.file_name.clone())
                    .bind(f.object_key.clone())
                    .bind(f.key_id.clone())
                    .execute(&mut *tx)
                    .await?;
                }
                let role = if m.from_office { "office" } else { "applicant" };
                $crate::shared::audit!(self, tx, now, Some(m.author_id), Some(role), m.office_id, "message.sent", Some(m.application_id), format!("files={}", m.files.len()));
                if let Some(job) = m.notice {
                    $crate::shared::enqueue!(tx, job, now);
                }
                tx.commit().await?;
                Ok(())
            }

            async fn thread(&self, application_id: uuid::Uuid) -> $crate::Result<Vec<$crate::MessageRecord>> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT id, application_id, from_office, author_id, office_id, key_id, sealed, created_at, read_at \
                     FROM messages WHERE application_id = $1 ORDER BY created_at, id",
                )
                .bind(application_id)
                .fetch_all(&self.pool)
                .await?;
                let files = sqlx::query(
                    "SELECT f.message_id, f.id, f.media_type, f.size, f.sha256, f.file_name, f.object_key, f.key_id \
                     FROM message_files f JOIN messages m ON m.id = f.message_id \
                     WHERE m.application_id = $1 ORDER BY f.id",
                )
                .bind(application_id)
                .fetch_all(&self.pool)
                .await?;
                let mut by_message: std::collections::HashMap<uuid::Uuid, Vec<$crate::MessageFile>> =
                    std::collections::HashMap::new();
                for f in files {
                    let message: uuid::Uuid = f.try_get("message_id")?;
                    by_message.entry(message).or_default().push($crate::MessageFile {
                        id: f.try_get("id")?,
                        media_type: f.try_get("media_type")?,
                        size: f.try_get("size")?,
                        sha256: f.try_get("sha256")?,
                        file_name: f.try_get("file_name")?,
                        object_key: f.try_get("object_key")?,
                        key_id: f.try_get("key_id")?,
                    });
                }
                rows.iter()
                    .map(|r| {
                        let id: uuid::Uuid = r.try_get("id")?;
                        Ok($crate::MessageRecord {
                            id,
                            application_id: r.try_get("application_id")?,
                            from_office: r.try_get("from_office")?,
                            author_id: r.try_get("author_id")?,
                            office_id: r.try_get("office_id")?,
                            key_id: r.try_get("key_id")?,
                            sealed: r.try_get("sealed")?,
                            created_at: r.try_get("created_at")?,
                            read_at: r.try_get("read_at")?,
                            files: by_message.remove(&id).unwrap_or_default(),
                        })
                    })
                    .collect()
            }

            async fn mark_read(&self, application_id: uuid::Uuid, from_office: bool, now: i64) -> $crate::Result<u64> {
                let done = sqlx::query(
                    "UPDATE messages SET read_at = $3 WHERE application_id = $1 AND from_office = $2 AND read_at IS NULL",
                )
                .bind(application_id)
                .bind(from_office)
                .bind(now)
                .execute(&self.writer)
                .await?;
                Ok(done.rows_affected())
            }

            async fn unread_for_person(&self, account_id: uuid::Uuid) -> $crate::Result<Vec<(uuid::Uuid, i64)>> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT m.application_id, COUNT(*) AS unread FROM messages m \
                     JOIN applications a ON a.id = m.application_id \
                     WHERE a.account_id = $1 AND m.from_office AND m.read_at IS NULL \
                     GROUP BY m.application_id",
                )
                .bind(account_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| Ok((r.try_get("application_id")?, r.try_get("unread")?)))
                    .collect()
            }
        }
    };
}
pub(crate) use impl_message_store;
