//! The person's inbox of notices.

macro_rules! inbox_from_row {
    ($r:expr) => {{
        let r = &$r;
        $crate::InboxItem {
            id: r.try_get("id")?,
            account_id: r.try_get("account_id")?,
            kind: r.try_get("kind")?,
            subject_key: r.try_get("subject_key")?,
            body_key: r.try_get("body_key")?,
            args: r.try_get("args")?,
            link: r.try_get("link")?,
            source: r.try_get("source")?,
            created_at: r.try_get("created_at")?,
            read_at: r.try_get("read_at")?,
        }
    }};
}
pub(crate) use inbox_from_row;

/// A notice kept and its `jobs` deliveries queued, in one round trip:
/// statements in turn on SQLite's writer (each its own, as a retry of the
/// notice finds either by its key), one statement on PostgreSQL.
pub(crate) fn add_item_sql(dialect: crate::shared::Dialect, jobs: usize) -> String {
    const ITEM: &str = "INSERT INTO inbox (id, account_id, kind, subject_key, body_key, args, link, source, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (source) DO NOTHING";
    if jobs == 0 {
        return ITEM.to_owned();
    }
    let outbox = crate::shared::insert_jobs_sql_from(jobs, 9);
    match dialect {
        crate::shared::Dialect::Sqlite => format!("{ITEM}; {outbox}"),
        crate::shared::Dialect::Postgres => format!("WITH i AS ({ITEM}) {outbox}"),
    }
}

macro_rules! impl_inbox_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::InboxStore for $store {
            async fn add_inbox_item(
                &self,
                i: $crate::InboxItem,
                deliveries: Vec<$crate::NewJob>,
            ) -> $crate::Result<()> {
                let sql = sqlx::AssertSqlSafe($crate::shared::inbox::add_item_sql(
                    Self::DIALECT,
                    deliveries.len(),
                ));
                let q = sqlx::query(sql)
                    .bind(i.id)
                    .bind(i.account_id)
                    .bind(i.kind)
                    .bind(i.subject_key)
                    .bind(i.body_key)
                    .bind(i.args)
                    .bind(i.link)
                    .bind(i.source)
                    .bind(i.created_at);
                $crate::shared::bind_jobs!(q, deliveries, i.created_at)
                    .execute(&self.writer)
                    .await?;
                Ok(())
            }

            async fn inbox(
                &self,
                account_id: uuid::Uuid,
                unread_only: bool,
                kind: Option<&str>,
                before: Option<uuid::Uuid>,
                limit: u32,
            ) -> $crate::Result<Vec<$crate::InboxItem>> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT id, account_id, kind, subject_key, body_key, args, link, source, created_at, read_at \
                     FROM inbox WHERE account_id = $1 AND (NOT $2 OR read_at IS NULL) \
                     AND ($3 IS NULL OR kind = $3) AND ($4 IS NULL OR id < $4) \
                     ORDER BY id DESC LIMIT $5",
                )
                .bind(account_id)
                .bind(unread_only)
                .bind(kind)
                .bind(before)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(|r| Ok($crate::shared::inbox_from_row!(r))).collect()
            }

            async fn inbox_unread(&self, account_id: uuid::Uuid) -> $crate::Result<Vec<(String, i64)>> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT kind, COUNT(*) AS unread FROM inbox WHERE account_id = $1 AND read_at IS NULL \
                     GROUP BY kind ORDER BY kind",
                )
                .bind(account_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| Ok((r.try_get("kind")?, r.try_get("unread")?)))
                    .collect()
            }

            async fn mark_inbox_read(&self, account_id: uuid::Uuid, id: Option<uuid::Uuid>, now: i64) -> $crate::Result<u64> {
                let done = sqlx::query(
                    "UPDATE inbox SET read_at = $3 WHERE account_id = $1 AND ($2 IS NULL OR id = $2) AND read_at IS NULL",
                )
                .bind(account_id)
                .bind(id)
                .bind(now)
                .execute(&self.writer)
                .await?;
                Ok(done.rows_affected())
            }
        }
    };
}
pub(crate) use impl_inbox_store;
