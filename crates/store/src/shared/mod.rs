//! SQL shared by both backends. Each macro expands to one trait impl for a
//! backend type that provides `self.pool`, `self.begin_write()` and `CLAIM_JOB_SQL`.
//! Placeholders are `$n`, which both SQLite and PostgreSQL accept.

mod accounts;
mod identity;
mod jobs;
mod misc;
mod sessions;

pub(crate) use accounts::impl_account_store;
pub(crate) use identity::impl_identity_store;
pub(crate) use jobs::impl_job_store;
pub(crate) use misc::impl_misc_stores;
pub(crate) use sessions::impl_session_store;

use crate::StoreError;
use domain::account::{AccountStatus, AssuranceLevel, Role};

pub(crate) const INSERT_AUDIT: &str = "INSERT INTO audit_events (id, at, actor_id, action, subject_id, details) \
     VALUES ($1, $2, $3, $4, $5, $6)";

pub(crate) const INSERT_JOB: &str = "INSERT INTO jobs (id, kind, payload, dedup_key, run_at, attempts, max_attempts, created_at) \
     VALUES ($1, $2, $3, $4, $5, 0, $6, $7) ON CONFLICT (dedup_key) DO NOTHING";

/// Appends an audit event inside the caller's transaction.
macro_rules! audit {
    ($tx:expr, $now:expr, $actor:expr, $action:expr, $subject:expr, $details:expr) => {
        sqlx::query($crate::shared::INSERT_AUDIT)
            .bind(uuid::Uuid::now_v7())
            .bind($now)
            .bind($actor)
            .bind($action)
            .bind($subject)
            .bind($details)
            .execute(&mut *$tx)
            .await?
    };
}
pub(crate) use audit;

/// Enqueues an outbox job inside the caller's transaction.
macro_rules! enqueue {
    ($tx:expr, $job:expr, $now:expr) => {{
        let job: $crate::NewJob = $job;
        sqlx::query($crate::shared::INSERT_JOB)
            .bind(job.id)
            .bind(job.kind)
            .bind(job.payload)
            .bind(job.dedup_key)
            .bind(job.run_at)
            .bind(i64::from(job.max_attempts))
            .bind($now)
            .execute(&mut *$tx)
            .await?
    }};
}
pub(crate) use enqueue;

pub(crate) fn status(s: &str) -> Result<AccountStatus, StoreError> {
    AccountStatus::parse(s).ok_or_else(|| StoreError::Corrupt(format!("account status {s}")))
}

pub(crate) fn level(s: &str) -> Result<AssuranceLevel, StoreError> {
    AssuranceLevel::parse(s).ok_or_else(|| StoreError::Corrupt(format!("level {s}")))
}

pub(crate) fn role(s: &str) -> Result<Role, StoreError> {
    Role::parse(s).map_err(|_| StoreError::Corrupt(format!("role {s}")))
}

/// Counters are stored as BIGINT; they never exceed u32 in practice.
pub(crate) fn count(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}
