//! Documents issued to people.

pub(crate) const SELECT_DOCUMENT: &str = "SELECT id, account_id, application_id, kind, title, number, object_key, key_id, \
     size, standard, source, created_at, words FROM documents";

/// A list's columns: without the sealed words (a few KB a row), which only
/// the first opening of one document needs.
pub(crate) const LIST_DOCUMENTS: &str = "SELECT id, account_id, application_id, kind, title, number, object_key, key_id, \
     size, standard, source, created_at FROM documents";

/// A row of `SELECT_DOCUMENT`, or of `LIST_DOCUMENTS` with `listed`.
macro_rules! document_from_row {
    ($r:expr, listed) => {{
        let r = &$r;
        $crate::DocumentRecord {
            id: r.try_get("id")?,
            account_id: r.try_get("account_id")?,
            application_id: r.try_get("application_id")?,
            kind: r.try_get("kind")?,
            title: r.try_get("title")?,
            number: r.try_get("number")?,
            object_key: r.try_get("object_key")?,
            key_id: r.try_get("key_id")?,
            size: r.try_get("size")?,
            standard: r.try_get("standard")?,
            source: r.try_get("source")?,
            created_at: r.try_get("created_at")?,
            words: None,
        }
    }};
    ($r:expr) => {{
        let mut d = $crate::shared::documents::document_from_row!($r, listed);
        d.words = $r.try_get("words")?;
        d
    }};
}
pub(crate) use document_from_row;

/// A document's issue in one round trip: its row (nothing for a source
/// issued before) and the audit lane's head locked for its event. Rows:
/// `added` (1 when the row went in) and the head's `lane`, `seq`, `hash` —
/// on SQLite a row per statement, on PostgreSQL one with every column (the
/// head locked in a sub-select, as the insert runs). A document not added
/// leaves the head locked, on SQLite bumped: the caller rolls back.
pub(crate) fn issue_sql(dialect: crate::shared::Dialect, head_lock: &str) -> String {
    const INSERT: &str = "INSERT INTO documents (id, account_id, application_id, kind, title, number, \
         object_key, key_id, size, standard, source, created_at, words) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (source) DO NOTHING RETURNING 1 AS added";
    match dialect {
        crate::shared::Dialect::Sqlite => format!("{INSERT}; {head_lock}"),
        crate::shared::Dialect::Postgres => format!(
            "WITH d AS ({INSERT}) SELECT h.lane, h.seq, h.hash, (SELECT COUNT(*) FROM d) AS added \
             FROM ({head_lock}) h"
        ),
    }
}

macro_rules! impl_document_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::DocumentStore for $store {
            async fn add_document(&self, d: $crate::DocumentRecord) -> $crate::Result<bool> {
                use sqlx::Row;
                let mut tx = self.begin_write().await?;
                let sql = sqlx::AssertSqlSafe($crate::shared::documents::issue_sql(
                    Self::DIALECT,
                    Self::AUDIT_HEAD_LOCK_SQL,
                ));
                let rows = sqlx::query(sql)
                    .bind(d.id)
                    .bind(d.account_id)
                    .bind(d.application_id)
                    .bind(d.kind.clone())
                    .bind(d.title)
                    .bind(d.number)
                    .bind(d.object_key)
                    .bind(d.key_id)
                    .bind(d.size)
                    .bind(d.standard)
                    .bind(d.source)
                    .bind(d.created_at)
                    .bind(d.words)
                    .fetch_all(&mut *tx)
                    .await?;
                let added = $crate::shared::number_in(&rows, "added")?.is_some_and(|n| n > 0);
                // The head's row, whether or not the document went in: none
                // means the audit lane is missing, not "issued before".
                let head = rows
                    .into_iter()
                    .find(|r| r.try_column("lane").is_ok())
                    .ok_or_else(|| $crate::StoreError::Corrupt("no audit head".into()))?;
                if !added {
                    // Issued before: the head taken for nothing is let go.
                    tx.rollback().await?;
                    return Ok(false);
                }
                $crate::shared::audit_after_head!(
                    self,
                    tx,
                    head,
                    d.created_at,
                    None::<uuid::Uuid>,
                    None::<String>,
                    None::<uuid::Uuid>,
                    "document.issued",
                    Some(d.id),
                    d.kind
                );
                tx.commit().await?;
                Ok(true)
            }

            async fn document_by_source(
                &self,
                source: &str,
            ) -> $crate::Result<Option<$crate::DocumentRecord>> {
                use sqlx::Row;
                let sql = sqlx::AssertSqlSafe(format!(
                    "{} WHERE source = $1",
                    $crate::shared::documents::SELECT_DOCUMENT
                ));
                let row = sqlx::query(sql)
                    .bind(source)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(match row {
                    Some(r) => Some($crate::shared::documents::document_from_row!(r)),
                    None => None,
                })
            }

            async fn documents_of(
                &self,
                account_id: uuid::Uuid,
            ) -> $crate::Result<Vec<$crate::DocumentRecord>> {
                use sqlx::Row;
                let sql = sqlx::AssertSqlSafe(format!(
                    "{} WHERE account_id = $1 ORDER BY created_at DESC, id DESC LIMIT 500",
                    $crate::shared::documents::LIST_DOCUMENTS
                ));
                let rows = sqlx::query(sql)
                    .bind(account_id)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| Ok($crate::shared::documents::document_from_row!(r, listed)))
                    .collect()
            }

            async fn documents_of_application(
                &self,
                application_id: uuid::Uuid,
            ) -> $crate::Result<Vec<$crate::DocumentRecord>> {
                use sqlx::Row;
                let sql = sqlx::AssertSqlSafe(format!(
                    "{} WHERE application_id = $1 ORDER BY created_at, id",
                    $crate::shared::documents::LIST_DOCUMENTS
                ));
                let rows = sqlx::query(sql)
                    .bind(application_id)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| Ok($crate::shared::documents::document_from_row!(r, listed)))
                    .collect()
            }

            async fn document(
                &self,
                id: uuid::Uuid,
            ) -> $crate::Result<Option<$crate::DocumentRecord>> {
                use sqlx::Row;
                let sql = sqlx::AssertSqlSafe(format!(
                    "{} WHERE id = $1",
                    $crate::shared::documents::SELECT_DOCUMENT
                ));
                let row = sqlx::query(sql).bind(id).fetch_optional(&self.pool).await?;
                Ok(match row {
                    Some(r) => Some($crate::shared::documents::document_from_row!(r)),
                    None => None,
                })
            }

            async fn document_typeset(
                &self,
                id: uuid::Uuid,
                pdf: $crate::TypesetPdf,
            ) -> $crate::Result<bool> {
                // The first typesetting records where its file is and under which
                // key; a second (two opened at once) changes nothing and is told so.
                let done = sqlx::query(
                    "UPDATE documents SET object_key = $2, key_id = $3, size = $4, standard = $5 \
                     WHERE id = $1 AND size = 0",
                )
                .bind(id)
                .bind(pdf.object_key)
                .bind(pdf.key_id)
                .bind(pdf.size)
                .bind(pdf.standard)
                .execute(&self.writer)
                .await?
                .rows_affected();
                Ok(done == 1)
            }
        }
    };
}
pub(crate) use impl_document_store;
