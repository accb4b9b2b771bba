//! SQLite's one writer connection, its commits grouped.
//!
//! Each commit writes every page it changed to the WAL, and consecutive
//! commits change the same pages (the rightmost leaves of the jobs', the
//! audit log's and the history's B-trees, the audit head, the counters): a
//! sending and what follows it wrote some 155 pages a request. Here the
//! writes of the requests that queue for the writer meanwhile share one
//! transaction: each runs in a savepoint of it (`SAVEPOINT w` … `RELEASE
//! w`, or `ROLLBACK TO w` when it fails or is dropped), and one `COMMIT`
//! ends the group. A request's `commit` returns only after that `COMMIT`:
//! nothing is acknowledged before it is durable, and what the request
//! reads afterwards on any connection includes its writes. A failed
//! `COMMIT`, or a statement that ended the transaction (SQLite rolls a
//! whole transaction back on some errors), fails every member of the group.
//!
//! The writer is a fair queue (tokio's mutex): the flusher, woken by each
//! member that finished, takes its turn behind the members already waiting,
//! so a group is whoever came while the one before was being written.

use futures_util::TryStreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use sqlx::sqlite::{SqliteConnectOptions, SqliteQueryResult, SqliteRow};
use sqlx::{Connection, Either, Executor, Sqlite, SqliteConnection};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::{Mutex, Notify, OwnedMutexGuard, oneshot};

/// The writer connection and the state of its open group.
pub(crate) struct Writer {
    conn: SqliteConnection,
    /// A group transaction is open (`BEGIN IMMEDIATE` sent, no `COMMIT` yet).
    open: bool,
    /// A member was dropped inside its savepoint: undone by the next holder.
    dirty: bool,
    /// Members whose savepoint is released, waiting for the group's `COMMIT`.
    pending: Vec<oneshot::Sender<Result<(), String>>>,
}

/// The queue to the writer, shared by the store's clones.
#[derive(Clone)]
pub(crate) struct GroupWriter {
    writer: Arc<Mutex<Writer>>,
    flush: Arc<Notify>,
}

impl std::fmt::Debug for GroupWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GroupWriter")
    }
}

/// Wakes the flusher one last time when the store is gone, so it ends.
pub(crate) struct FlusherStop(Arc<Notify>);

impl Drop for FlusherStop {
    fn drop(&mut self) {
        self.0.notify_one();
    }
}

impl GroupWriter {
    /// Opens the writer connection and starts its flusher, which ends after
    /// the returned [`FlusherStop`] (kept by the store) is dropped.
    pub(crate) async fn open(
        options: SqliteConnectOptions,
    ) -> Result<(Self, FlusherStop), sqlx::Error> {
        let conn = SqliteConnection::connect_with(&options).await?;
        let writer = Arc::new(Mutex::new(Writer {
            conn,
            open: false,
            dirty: false,
            pending: Vec::new(),
        }));
        let flush = Arc::new(Notify::new());
        tokio::spawn(flusher(Arc::downgrade(&writer), flush.clone()));
        Ok((
            Self {
                writer,
                flush: flush.clone(),
            },
            FlusherStop(flush),
        ))
    }

    /// A member of the current group (one is opened if none is): the
    /// writer is this caller's until `commit`, `rollback` or drop.
    pub(crate) async fn begin(&self) -> Result<WriteTx, sqlx::Error> {
        // On a task of its own, so a caller cut off meanwhile (a request
        // dropped) cannot leave a `BEGIN` sent and not recorded as sent: the
        // member is made whole, then dropped, and the next holder undoes it.
        let (writer, flush) = (self.writer.clone(), self.flush.clone());
        tokio::spawn(async move {
            // A burst (a thousand people for the same visit time) queues
            // rather than fail; requests are cut at 30 s anyway.
            let mut w = tokio::time::timeout(crate::sqlite::ACQUIRE_TIMEOUT, writer.lock_owned())
                .await
                .map_err(|_| sqlx::Error::PoolTimedOut)?;
            undo_dropped(&mut w).await;
            if !w.open {
                begin_immediate(&mut w.conn).await?;
                w.open = true;
            }
            if let Err(e) = sqlx::query("SAVEPOINT w").execute(&mut w.conn).await {
                fail_group(&mut w, &e.to_string()).await;
                return Err(e);
            }
            Ok(WriteTx {
                writer: w,
                finished: false,
                flush,
            })
        })
        .await
        .map_err(|e| sqlx::Error::Protocol(format!("the writer's task failed: {e}")))?
    }
}

/// One request's writes: a savepoint of the group's transaction.
pub(crate) struct WriteTx {
    writer: OwnedMutexGuard<Writer>,
    finished: bool,
    flush: Arc<Notify>,
}

impl std::ops::Deref for WriteTx {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        &self.writer.conn
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.writer.conn
    }
}

impl WriteTx {
    /// Keeps these writes in the group and waits for the group's `COMMIT`.
    pub(crate) async fn commit(mut self) -> Result<(), sqlx::Error> {
        sqlx::query("RELEASE w")
            .execute(&mut self.writer.conn)
            .await?;
        let (done, committed) = oneshot::channel();
        self.writer.pending.push(done);
        self.finished = true;
        drop(self);
        match committed.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(why)) => Err(sqlx::Error::Protocol(format!(
                "the group's commit failed: {why}"
            ))),
            Err(_) => Err(sqlx::Error::PoolClosed),
        }
    }

    /// Undoes these writes; the group goes on.
    pub(crate) async fn rollback(mut self) -> Result<(), sqlx::Error> {
        let undone = undo_savepoint(&mut self.writer).await;
        self.finished = true;
        undone
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        if !self.finished {
            // Dropped mid-way (an error returned early, a request cut off):
            // the next holder undoes the savepoint before anything else.
            self.writer.dirty = true;
        }
        // The flusher commits the group (or closes it, when nobody is left).
        self.flush.notify_one();
    }
}

/// `ROLLBACK TO w; RELEASE w`; when the savepoint is gone (the transaction
/// ended by an error), the whole group fails.
async fn undo_savepoint(w: &mut Writer) -> Result<(), sqlx::Error> {
    match sqlx::query("ROLLBACK TO w; RELEASE w")
        .execute(&mut w.conn)
        .await
    {
        Ok(_) => Ok(()),
        Err(e) => {
            fail_group(w, &e.to_string()).await;
            Err(e)
        }
    }
}

async fn undo_dropped(w: &mut Writer) {
    if w.dirty {
        w.dirty = false;
        let _ = undo_savepoint(w).await;
    }
}

/// Ends the group's transaction without keeping anything and tells its
/// waiting members why.
async fn fail_group(w: &mut Writer, why: &str) {
    let _ = sqlx::query("ROLLBACK").execute(&mut w.conn).await;
    w.open = false;
    for member in w.pending.drain(..) {
        let _ = member.send(Err(why.to_owned()));
    }
}

/// Another process holding the lock past the busy timeout is waited for
/// again: nothing has been done yet, so beginning again is safe.
async fn begin_immediate(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    let mut attempt = 0u32;
    loop {
        match sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await {
            Ok(_) => return Ok(()),
            Err(e) if crate::sqlite::is_busy(&e) && attempt < crate::sqlite::BUSY_RETRIES => {
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
        tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await;
    }
}

/// Commits each group once its members are done; ends with the store.
async fn flusher(writer: Weak<Mutex<Writer>>, flush: Arc<Notify>) {
    loop {
        flush.notified().await;
        let Some(writer) = writer.upgrade() else {
            return;
        };
        let mut w = writer.lock_owned().await;
        undo_dropped(&mut w).await;
        if !w.open {
            continue;
        }
        match sqlx::query("COMMIT").execute(&mut w.conn).await {
            Ok(_) => {
                w.open = false;
                for member in w.pending.drain(..) {
                    let _ = member.send(Ok(()));
                }
            }
            Err(e) => fail_group(&mut w, &e.to_string()).await,
        }
    }
}

/// A statement on the writer outside any transaction of the caller's: a
/// member of the group of its own, answered after the group's `COMMIT`.
impl<'w> Executor<'w> for &'w GroupWriter {
    type Database = Sqlite;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, Result<Either<SqliteQueryResult, SqliteRow>, sqlx::Error>>
    where
        'w: 'e,
        E: 'q + sqlx::Execute<'q, Sqlite>,
    {
        Box::pin(
            futures_util::stream::once(async move {
                let mut tx = self.begin().await?;
                let items: Vec<_> = (&mut *tx).fetch_many(query).try_collect().await?;
                tx.commit().await?;
                Ok::<_, sqlx::Error>(futures_util::stream::iter(
                    items.into_iter().map(Ok::<_, sqlx::Error>),
                ))
            })
            .try_flatten(),
        )
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, Result<Option<SqliteRow>, sqlx::Error>>
    where
        'w: 'e,
        E: 'q + sqlx::Execute<'q, Sqlite>,
    {
        Box::pin(async move {
            let mut tx = self.begin().await?;
            let row = (&mut *tx).fetch_optional(query).await?;
            tx.commit().await?;
            Ok(row)
        })
    }

    fn prepare_with<'e>(
        self,
        sql: sqlx::SqlStr,
        parameters: &'e [sqlx::sqlite::SqliteTypeInfo],
    ) -> BoxFuture<'e, Result<sqlx::sqlite::SqliteStatement, sqlx::Error>>
    where
        'w: 'e,
    {
        Box::pin(async move {
            let mut w = self.writer.clone().lock_owned().await;
            (&mut w.conn).prepare_with(sql, parameters).await
        })
    }

    fn describe<'e>(
        self,
        sql: sqlx::SqlStr,
    ) -> BoxFuture<'e, Result<sqlx::Describe<Sqlite>, sqlx::Error>>
    where
        'w: 'e,
    {
        Box::pin(async move {
            let mut w = self.writer.clone().lock_owned().await;
            (&mut w.conn).describe(sql).await
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use sqlx::Row;
    use std::str::FromStr;

    async fn fresh() -> (
        std::path::PathBuf,
        SqliteConnectOptions,
        GroupWriter,
        FlusherStop,
    ) {
        let dir = std::env::temp_dir().join(format!("migportal-group-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let options =
            SqliteConnectOptions::from_str(&format!("sqlite://{}", dir.join("t.db").display()))
                .unwrap()
                .create_if_missing(true)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(10));
        let (writer, stop) = GroupWriter::open(options.clone()).await.unwrap();
        sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)")
            .execute(&writer)
            .await
            .unwrap();
        (dir, options, writer, stop)
    }

    async fn values(options: &SqliteConnectOptions) -> Vec<String> {
        let mut c = SqliteConnection::connect_with(options).await.unwrap();
        sqlx::query("SELECT v FROM t ORDER BY v")
            .fetch_all(&mut c)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<String, _>("v"))
            .collect()
    }

    async fn insert(tx: &mut WriteTx, v: &str) -> Result<(), sqlx::Error> {
        sqlx::query("INSERT INTO t (v) VALUES ($1)")
            .bind(v)
            .execute(&mut **tx)
            .await
            .map(|_| ())
    }

    /// Members that come together are committed together, each answered
    /// only once its writes are visible to another connection.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn each_commit_returns_after_its_writes_are_durable_and_visible() {
        let (_dir, options, writer, _stop) = fresh().await;
        let mut tasks = Vec::new();
        for i in 0..40 {
            let (writer, options) = (writer.clone(), options.clone());
            tasks.push(tokio::spawn(async move {
                let v = format!("v{i:02}");
                let mut tx = writer.begin().await.unwrap();
                insert(&mut tx, &v).await.unwrap();
                tx.commit().await.unwrap();
                assert!(
                    values(&options).await.contains(&v),
                    "{v} not visible after commit"
                );
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(values(&options).await.len(), 40);
    }

    /// Callers cut off while they wait for the writer, begin, write or wait
    /// for the commit (a request dropped at any point) leave it usable and
    /// unlocked. (The one race `begin`'s task closes — a cut during `BEGIN`
    /// itself — was not met by this test when the task was taken out.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn members_cut_off_at_any_point_leave_the_writer_whole() {
        let (_dir, options, writer, _stop) = fresh().await;
        let mut tasks = Vec::new();
        for i in 0..60u64 {
            let writer = writer.clone();
            tasks.push(tokio::spawn(async move {
                let v = format!("v{i:02}");
                let work = async {
                    let mut tx = writer.begin().await.unwrap();
                    insert(&mut tx, &v).await.unwrap();
                    tx.commit().await.unwrap();
                };
                // Cut off after 0–590 µs: before, during or after its turn.
                let _ = tokio::time::timeout(Duration::from_micros(i * 10), work).await;
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let mut tx = writer.begin().await.unwrap();
        insert(&mut tx, "last").await.unwrap();
        tx.commit().await.unwrap();
        let all = values(&options).await;
        assert!(all.contains(&"last".to_owned()), "{all:?}");
        // Another connection can write: no transaction was left open.
        let mut other = SqliteConnection::connect_with(&options).await.unwrap();
        sqlx::query("INSERT INTO t (v) VALUES ('other')")
            .execute(&mut other)
            .await
            .unwrap();
    }

    /// A member that fails, rolls back or is dropped mid-way undoes only its
    /// own writes; the others of its group are kept.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_rolled_back_or_dropped_member_undoes_only_itself() {
        let (_dir, options, writer, _stop) = fresh().await;
        let mut tasks = Vec::new();
        for i in 0..30 {
            let writer = writer.clone();
            tasks.push(tokio::spawn(async move {
                let mut tx = writer.begin().await.unwrap();
                insert(&mut tx, &format!("v{i:02}")).await.unwrap();
                match i % 3 {
                    0 => tx.commit().await.unwrap(),
                    // The same value twice: a unique violation, returned early.
                    1 => assert!(insert(&mut tx, &format!("v{i:02}")).await.is_err()),
                    _ => tx.rollback().await.unwrap(),
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let kept: Vec<String> = (0..30)
            .filter(|i| i % 3 == 0)
            .map(|i| format!("v{i:02}"))
            .collect();
        assert_eq!(values(&options).await, kept);
        // Cut off mid-way (a request dropped): undone, and the lock let go
        // for another connection.
        let mut tx = writer.begin().await.unwrap();
        insert(&mut tx, "dropped").await.unwrap();
        drop(tx);
        sqlx::query("INSERT INTO t (v) VALUES ('after')")
            .execute(&writer)
            .await
            .unwrap();
        let mut other = SqliteConnection::connect_with(&options).await.unwrap();
        sqlx::query("INSERT INTO t (v) VALUES ('other')")
            .execute(&mut other)
            .await
            .unwrap();
        let all = values(&options).await;
        assert!(!all.contains(&"dropped".to_owned()), "{all:?}");
        assert!(all.contains(&"after".to_owned()) && all.contains(&"other".to_owned()));
    }
}
