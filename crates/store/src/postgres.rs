//! PostgreSQL: production, several instances sharing one database.

use crate::shared;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};
use std::str::FromStr;
use std::time::Duration;

#[derive(Clone)]
pub struct PgStore {
    pub(crate) pool: PgPool,
    /// Where writes go: the same pool (PostgreSQL locks rows, not the
    /// database); SQLite's store has one connection here.
    pub(crate) writer: PgPool,
    /// Keys the audit chain; never stored in the database.
    pub(crate) audit_key: crate::audit::AuditKey,
}

impl crate::Backend for PgStore {
    type Db = Postgres;
    type WriteTx = Transaction<'static, Postgres>;
}

impl PgStore {
    pub(crate) const DIALECT: shared::Dialect = shared::Dialect::Postgres;

    /// SKIP LOCKED lets instances claim different jobs without waiting on each
    /// other; `ARRAY(…)` picks the batch once, before the update.
    pub(crate) const CLAIM_JOBS_SQL: &'static str = "UPDATE jobs SET locked_by = $1, locked_until = $2, attempts = attempts + 1 \
         WHERE id = ANY(ARRAY(SELECT id FROM jobs WHERE done_at IS NULL AND run_at <= $3 \
         AND (locked_until IS NULL OR locked_until < $3) AND attempts < max_attempts \
         ORDER BY run_at, id LIMIT $4 FOR UPDATE SKIP LOCKED)) \
         RETURNING id, kind, payload, attempts, max_attempts";

    /// The officer's search by surname prefix: the applicant's surname kept
    /// on the application (migrations 0025, 0026), so a rare prefix is read
    /// from the index of the office's open applications by surname and a
    /// common one along the queue without reading any account.
    pub(crate) const SURNAME_MATCH: &'static str = "a.applicant_surname LIKE $4";

    /// Bytes of WAL written (primary) or replayed (standby), which of the
    /// two this is, and the cluster's identity.
    pub(crate) const WAL_POSITION_SQL: Option<&'static str> = Some(
        "SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() \
         ELSE pg_current_wal_lsn() END - '0/0'::pg_lsn)::BIGINT AS bytes, \
         pg_is_in_recovery() AS standby, \
         (SELECT system_identifier FROM pg_control_system()) AS system",
    );

    /// A sequence: numbers never wait on another transaction.
    pub(crate) const NEXT_UIN_SQL: &'static str = "SELECT nextval('uin_serials')";
    /// The head of this connection's audit lane (one of the 8 of migration
    /// 0021), locked for this transaction, and the next seq. One connection,
    /// one lane: a transaction appending twice stays in its lane, so two
    /// transactions never hold lanes the other waits for.
    pub(crate) const AUDIT_HEAD_LOCK_SQL: &'static str = "SELECT id AS lane, seq + 1 AS seq, hash FROM audit_head \
         WHERE id = pg_backend_pid() % 8 + 1 FOR UPDATE";

    pub async fn connect(url: &str) -> crate::Result<Self> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            // A burst (a thousand people for the same visit time) queues for
            // a connection rather than fail; requests are cut at 30 s anyway.
            .acquire_timeout(Duration::from_secs(20))
            .connect_with(options)
            .await?;
        Ok(Self {
            writer: pool.clone(),
            pool,
            audit_key: crate::audit::AuditKey::derive(b"unkeyed"),
        })
    }

    /// Sets the secret that keys the audit chain (from outside the database).
    pub fn with_audit_key(mut self, key: crate::audit::AuditKey) -> Self {
        self.audit_key = key;
        self
    }

    pub async fn migrate(&self) -> crate::Result<()> {
        sqlx::migrate!("./migrations/postgres")
            .run(&self.pool)
            .await?;
        Ok(())
    }

    pub(crate) async fn begin_write(&self) -> crate::Result<Transaction<'static, Postgres>> {
        Ok(self.writer.begin().await?)
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

shared::impl_account_store!(PgStore);
shared::impl_application_store!(PgStore);
shared::impl_case_store!(PgStore);
shared::impl_message_store!(PgStore);
shared::impl_inbox_store!(PgStore);
shared::impl_consent_store!(PgStore);
shared::impl_payment_store!(PgStore);
shared::impl_document_store!(PgStore);
shared::impl_visit_store!(PgStore);
shared::impl_session_store!(PgStore);
shared::impl_identity_store!(PgStore);
shared::impl_job_store!(PgStore);
shared::impl_misc_stores!(PgStore);
shared::impl_staff_store!(PgStore);
shared::impl_letter_store!(PgStore);
shared::impl_profile_store!(PgStore);
