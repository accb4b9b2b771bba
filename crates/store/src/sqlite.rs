//! The embedded default: one SQLite file in WAL mode.

use crate::shared;
use crate::sqlite_group::{FlusherStop, GroupWriter, WriteTx};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

#[derive(Clone)]
pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
    /// Where every write goes: one connection, so this process's writers
    /// queue for it in turn instead of sleeping in SQLite's busy handler
    /// (which backs off up to 100 ms a try: a writer woke long after the
    /// lock was free, and p99 under load was the backoff, not the work);
    /// the writes of those queued meanwhile are committed together
    /// (`sqlite_group`). Another process sharing the file still meets the
    /// busy timeout.
    pub(crate) writer: GroupWriter,
    /// Keys the audit chain; never stored in the database.
    pub(crate) audit_key: crate::audit::AuditKey,
    /// Held while any clone of the store lives: the checkpointer and the
    /// writer's flusher stop when the last one is dropped.
    _alive: std::sync::Arc<FlusherStop>,
}

impl crate::Backend for SqliteStore {
    type Db = Sqlite;
    type WriteTx = WriteTx;
}

impl SqliteStore {
    pub(crate) const DIALECT: shared::Dialect = shared::Dialect::Sqlite;

    /// No SKIP LOCKED here: SQLite has one writer at a time. A write
    /// statement takes the write lock before it reads (and, beginning no
    /// transaction before it, waits in the busy handler rather than fail
    /// on a stale snapshot), so it needs no `BEGIN IMMEDIATE` around it.
    pub(crate) const CLAIM_JOBS_SQL: &'static str = "UPDATE jobs SET locked_by = $1, locked_until = $2, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM jobs WHERE done_at IS NULL AND run_at <= $3 \
         AND (locked_until IS NULL OR locked_until < $3) AND attempts < max_attempts \
         ORDER BY run_at, id LIMIT $4) \
         RETURNING id, kind, payload, attempts, max_attempts";

    /// The officer's search by surname prefix: the applicant's surname kept
    /// on the application (migration 0025). SQLite's LIKE ignores (ASCII)
    /// case, so no index serves a prefix; the queue is walked in order,
    /// without reading the accounts.
    pub(crate) const SURNAME_MATCH: &'static str = "a.applicant_surname LIKE $4";

    /// The UIN's serial: the counter row is bumped under the one write
    /// lock `BEGIN IMMEDIATE` holds.
    pub(crate) const NEXT_UIN_SQL: &'static str =
        "UPDATE counters SET value = value + 1 WHERE name = 'uin' RETURNING value";

    /// No write-ahead log to follow: SQLite has no standby.
    pub(crate) const WAL_POSITION_SQL: Option<&'static str> = None;

    /// The audit chain's head and the next seq; an UPDATE, so the write lock
    /// is held from here even in a transaction not begun `IMMEDIATE`. One
    /// writer at a time: SQLite keeps the one lane (migration 0021).
    pub(crate) const AUDIT_HEAD_LOCK_SQL: &'static str =
        "UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING id AS lane, seq, hash";

    /// Opens (creating if missing, with its directory) the database file.
    pub async fn connect(url: &str) -> crate::Result<Self> {
        // WAL is set once below, not per connection: the pragma needs a lock,
        // and a new pooled connection must not fail while another process writes.
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // The WAL is copied back by the checkpointer (below), off the
            // writer's path; the writer itself only past this many pages,
            // should the checkpointer fall behind.
            .pragma("wal_autocheckpoint", WRITER_CHECKPOINT_PAGES.to_string());
        if let Some(dir) = options.get_filename().parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| {
                crate::StoreError::Config(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options.clone())
            .await?;
        // WAL is a property of the file: once set, every connection uses it.
        // Setting it again takes an exclusive lock, so only set it when needed.
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&pool)
            .await?;
        if !mode.eq_ignore_ascii_case("wal") {
            let mut attempt = 0;
            loop {
                match sqlx::query_scalar::<_, String>("PRAGMA journal_mode = WAL")
                    .fetch_one(&pool)
                    .await
                {
                    Ok(now) if now.eq_ignore_ascii_case("wal") => break,
                    // SQLite answers a change it could not make with the
                    // mode it kept, not an error: try again, as for busy.
                    Ok(_) if attempt < BUSY_RETRIES => attempt += 1,
                    Ok(kept) => {
                        return Err(crate::StoreError::Config(format!(
                            "cannot turn on WAL: the database stays in {kept} mode"
                        )));
                    }
                    Err(e) if is_busy(&e) && attempt < BUSY_RETRIES => attempt += 1,
                    Err(e) => return Err(e.into()),
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        let (writer, flusher) = GroupWriter::open(options).await?;
        let alive = std::sync::Arc::new(flusher);
        spawn_checkpointer(pool.clone(), std::sync::Arc::downgrade(&alive));
        Ok(Self {
            pool,
            writer,
            audit_key: crate::audit::AuditKey::derive(b"unkeyed"),
            _alive: alive,
        })
    }

    /// Sets the secret that keys the audit chain (from outside the database).
    pub fn with_audit_key(mut self, key: crate::audit::AuditKey) -> Self {
        self.audit_key = key;
        self
    }

    pub async fn migrate(&self) -> crate::Result<()> {
        sqlx::migrate!("./migrations/sqlite")
            .run(&self.pool)
            .await?;
        Ok(())
    }

    /// A member of the writer's current group (`sqlite_group`), whose
    /// transaction took the write lock up front (`BEGIN IMMEDIATE`), so two
    /// writers never deadlock upgrading a read lock (SQLITE_BUSY
    /// mid-transaction); another process holding it past the busy timeout is
    /// waited for again.
    pub(crate) async fn begin_write(&self) -> crate::Result<WriteTx> {
        Ok(self.writer.begin().await?)
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

pub(crate) const BUSY_RETRIES: u32 = 20;

/// How often the WAL is copied back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

/// WAL pages past which the writer checkpoints on its own (SQLite's default
/// is 1 000: under load that was a checkpoint every few dozen commits, each
/// copying and syncing in the commit that crossed it, while a request waited).
const WRITER_CHECKPOINT_PAGES: u32 = 16_000;

/// Copies the WAL back into the database file every [`CHECKPOINT_EVERY`]
/// from a reader connection, on another thread than the writer's: a
/// PASSIVE checkpoint takes no write lock, copies what no reader still
/// needs, and leaves the writer committing meanwhile. Stops when `alive`
/// (the store) is gone.
fn spawn_checkpointer(pool: SqlitePool, alive: std::sync::Weak<FlusherStop>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if alive.upgrade().is_none() || pool.is_closed() {
                return;
            }
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await
            {
                tracing::warn!(error = %e, "WAL checkpoint failed; the writer checkpoints past its limit");
            }
        }
    });
}

/// A burst (a thousand people for the same visit time) queues for the
/// writer rather than fail; requests are cut at 30 s anyway.
pub(crate) const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(20);

/// SQLITE_BUSY (5) and its extended codes: the database is locked by someone else.
pub(crate) fn is_busy(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| c == "5" || c.parse::<i32>().is_ok_and(|n| n & 0xff == 5)),
        _ => false,
    }
}

shared::impl_account_store!(SqliteStore);
shared::impl_application_store!(SqliteStore);
shared::impl_case_store!(SqliteStore);
shared::impl_message_store!(SqliteStore);
shared::impl_inbox_store!(SqliteStore);
shared::impl_consent_store!(SqliteStore);
shared::impl_payment_store!(SqliteStore);
shared::impl_document_store!(SqliteStore);
shared::impl_visit_store!(SqliteStore);
shared::impl_session_store!(SqliteStore);
shared::impl_identity_store!(SqliteStore);
shared::impl_job_store!(SqliteStore);
shared::impl_misc_stores!(SqliteStore);
shared::impl_staff_store!(SqliteStore);
shared::impl_letter_store!(SqliteStore);
shared::impl_profile_store!(SqliteStore);
