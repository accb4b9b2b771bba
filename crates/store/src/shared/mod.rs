//! SQL shared by both backends. Each macro expands to one trait impl for a
//! backend type that provides `self.pool`, `self.begin_write()` and `CLAIM_JOB_SQL`.
//! Placeholders are `$n`, which both SQLite and PostgreSQL accept.

mod accounts;
pub(crate) mod applications;
pub(crate) mod cases;
pub(crate) mod consents;
pub(crate) mod documents;
mod identity;
pub(crate) mod inbox;
mod jobs;
mod letters;
mod messages;
mod misc;
pub(crate) mod payments;
mod profile;
mod sessions;
mod staff;
pub(crate) mod visits;

pub(crate) use accounts::{challenge_from_row, impl_account_store};
pub(crate) use applications::{
    SELECT_APPLICATION, app_status, application_from_row, claim_key, event_from_row,
    impl_application_store, one_open,
};
pub(crate) use cases::impl_case_store;
pub(crate) use consents::{impl_consent_store, insert_consent};
pub(crate) use documents::impl_document_store;
pub(crate) use identity::impl_identity_store;
pub(crate) use inbox::{impl_inbox_store, inbox_from_row};
pub(crate) use jobs::{complete_jobs_sql, impl_job_store};
pub(crate) use letters::{impl_letter_store, letter_from_row};
pub(crate) use messages::impl_message_store;
pub(crate) use misc::impl_misc_stores;
pub(crate) use payments::impl_payment_store;
pub(crate) use profile::impl_profile_store;
pub(crate) use sessions::{impl_session_store, session_from_row};
pub(crate) use staff::{account_from_row, impl_staff_store};
pub(crate) use visits::impl_visit_store;

use crate::StoreError;
use domain::account::{AccountStatus, AssuranceLevel, Role};

pub(crate) const INSERT_AUDIT: &str = "INSERT INTO audit_events (id, lane, seq, at, actor_id, actor_role, office_id, \
     action, subject_id, details, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

pub(crate) const INSERT_IDENTITY: &str = "INSERT INTO identities (account_id, version, document_kind, snils_lookup, key_id, \
     sealed, masked, state, failure_reason, submitted_at, checked_at, pending_confirmation) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', NULL, $8, NULL, $9)";

pub(crate) const INSERT_CHALLENGE: &str = "INSERT INTO otp_challenges (id, account_id, purpose, channel, destination, \
     code_hash, sent_at, sends, attempts, consumed, created_at, identity_version) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, 1, 0, FALSE, $7, $8)";

/// Appends an audit event inside the caller's transaction, chained to the
/// previous one of its lane. Taking the lane's `audit_head` row lock
/// serialises appends to that lane, so no lane forks even with several
/// instances.
macro_rules! audit {
    ($store:expr, $tx:expr, $now:expr, $actor:expr, $action:expr, $subject:expr, $details:expr) => {
        $crate::shared::audit!(
            $store,
            $tx,
            $now,
            $actor,
            None::<String>,
            None::<uuid::Uuid>,
            $action,
            $subject,
            $details
        )
    };
    ($store:expr, $tx:expr, $now:expr, $actor:expr, $role:expr, $office:expr, $action:expr, $subject:expr, $details:expr) => {{
        // Locks the head (the dialect's statement); the insert's trigger then
        // moves it, one new version of this hot row per event, not two.
        let head = sqlx::query(Self::AUDIT_HEAD_LOCK_SQL)
            .fetch_one(&mut *$tx)
            .await?;
        $crate::shared::audit_after_head!(
            $store, $tx, head, $now, $actor, $role, $office, $action, $subject, $details
        )
    }};
}
pub(crate) use audit;

/// The rest of [`audit!`], for a transaction whose last statement before
/// locked its lane's head (the row of `AUDIT_HEAD_LOCK_SQL`, `head`): the
/// event, chained to that head, inserted.
macro_rules! audit_after_head {
    ($store:expr, $tx:expr, $head:expr, $now:expr, $actor:expr, $role:expr, $office:expr, $action:expr, $subject:expr, $details:expr) => {{
        use sqlx::Row;
        let head = $head;
        let prev: String = head.try_get("hash")?;
        let mut event = $crate::AuditEvent {
            id: uuid::Uuid::now_v7(),
            lane: head.try_get("lane")?,
            seq: head.try_get("seq")?,
            at: $now,
            actor_id: $actor,
            actor_role: $role.map(|r| r.to_string()),
            office_id: $office,
            action: $action.to_string(),
            subject_id: $subject,
            details: $details.to_string(),
            prev_hash: prev,
            hash: String::new(),
        };
        event.hash = $crate::audit::entry_hash(&$store.audit_key, &event.prev_hash, &event);
        sqlx::query($crate::shared::INSERT_AUDIT)
            .bind(event.id)
            .bind(event.lane)
            .bind(event.seq)
            .bind(event.at)
            .bind(event.actor_id)
            .bind(event.actor_role.clone())
            .bind(event.office_id)
            .bind(event.action.clone())
            .bind(event.subject_id)
            .bind(event.details.clone())
            .bind(event.prev_hash)
            .bind(event.hash)
            .execute(&mut *$tx)
            .await?;
        // The head follows the insert (trigger `audit_head_follows`, migration 0019).
    }};
}
pub(crate) use audit_after_head;

/// Locks the account row inside the caller's transaction and returns its level
/// and role. Every transaction that changes the identity or the level starts
/// here, so a resubmission, a finished check and a confirmation of one account
/// are serialised and each sees what the others committed.
macro_rules! lock_account {
    ($tx:expr, $account:expr, $now:expr) => {{
        use sqlx::Row;
        let row =
            sqlx::query("UPDATE accounts SET updated_at = $2 WHERE id = $1 RETURNING level, role")
                .bind($account)
                .bind($now)
                .fetch_optional(&mut *$tx)
                .await?;
        let Some(row) = row else {
            return Err($crate::StoreError::NotFound);
        };
        (
            $crate::shared::level(row.try_get("level")?)?,
            $crate::shared::role(row.try_get("role")?)?,
        )
    }};
}
pub(crate) use lock_account;

/// Raises an account to `confirmed` inside the caller's transaction, by the
/// rule of `domain::confirmation`: only while `version` is the current,
/// verified identity. A refusal is `Conflict(code)` and the caller's
/// transaction is dropped (rolled back).
macro_rules! raise_to_confirmed {
    ($tx:expr, $account:expr, $version:expr, $now:expr) => {{
        use sqlx::Row;
        let (level, role) = $crate::shared::lock_account!($tx, $account, $now);
        let current = sqlx::query("SELECT version, state FROM identities WHERE account_id = $1")
            .bind($account)
            .fetch_optional(&mut *$tx)
            .await?;
        let current = match current {
            None => None,
            Some(r) => {
                let state: String = r.try_get("state")?;
                Some(domain::confirmation::CurrentIdentity {
                    version: r.try_get("version")?,
                    state: domain::account::VerificationState::parse(&state)
                        .ok_or_else(|| $crate::StoreError::Corrupt(format!("state {state}")))?,
                })
            }
        };
        if let Err(refusal) = domain::confirmation::may_confirm(
            $version,
            level,
            role == domain::account::Role::Applicant,
            current,
        ) {
            return Err($crate::StoreError::Conflict(refusal.code()));
        }
        sqlx::query("UPDATE accounts SET level = 'confirmed' WHERE id = $1")
            .bind($account)
            .execute(&mut *$tx)
            .await?;
    }};
}
pub(crate) use raise_to_confirmed;

/// Enqueues an outbox job inside the caller's transaction.
macro_rules! enqueue {
    ($tx:expr, $job:expr, $now:expr) => {{
        let job: $crate::NewJob = $job;
        $crate::shared::enqueue_all!($tx, vec![job], $now)
    }};
}
pub(crate) use enqueue;

/// [`enqueue!`] for several jobs in one statement (one round trip).
macro_rules! enqueue_all {
    ($tx:expr, $jobs:expr, $now:expr) => {{
        let jobs: Vec<$crate::NewJob> = $jobs;
        if !jobs.is_empty() {
            let sql = sqlx::AssertSqlSafe($crate::shared::insert_jobs_sql(jobs.len()));
            let q = $crate::shared::bind_jobs!(sqlx::query(sql), jobs, $now);
            q.execute(&mut *$tx).await?;
        }
    }};
}
pub(crate) use enqueue_all;

/// Binds the seven parameters of each job's row of [`insert_jobs_sql`].
macro_rules! bind_jobs {
    ($query:expr, $jobs:expr, $now:expr) => {{
        let mut q = $query;
        for job in $jobs {
            q = q
                .bind(job.id)
                .bind(job.kind)
                .bind(job.payload)
                .bind(job.dedup_key)
                .bind(job.run_at)
                .bind(i64::from(job.max_attempts))
                .bind($now);
        }
        q
    }};
}
pub(crate) use bind_jobs;

/// The outbox's insert of `n` jobs, seven parameters a row; a job whose
/// `dedup_key` is already there is not added again.
pub(crate) fn insert_jobs_sql(n: usize) -> String {
    insert_jobs_sql_from(n, 0)
}

/// The history event of a sending, parameters `$1` application, `$3` id,
/// `$4` time, `$5` actor (see [`submission_tail`]).
pub(crate) const SUBMITTED_EVENT_SQL: &str = "INSERT INTO application_events \
     (id, application_id, at, actor_id, from_status, to_status, note) \
     VALUES ($3, $1, $4, $5, 'draft', 'submitted', NULL)";

/// The parameters before the outbox's in [`submission_tail`].
pub(crate) const SUBMISSION_TAIL_PARAMS: usize = 5;

/// The submission's tail as its dialect sends it in one round trip: the
/// number written (`$2` for application `$1`), the history event, `jobs`
/// outbox rows, and last the audit lane's head locked, its row returned.
pub(crate) fn submission_tail(dialect: Dialect, jobs: usize, head_lock: &str) -> String {
    let number = "UPDATE applications SET number = $2 WHERE id = $1";
    let outbox = (jobs > 0).then(|| insert_jobs_sql_from(jobs, SUBMISSION_TAIL_PARAMS));
    match dialect {
        // Statements in turn, in one call: sqlx-sqlite runs each on the
        // writer's thread, and `$n` names the same argument in all.
        Dialect::Sqlite => {
            let mut parts = vec![number.to_owned(), SUBMITTED_EVENT_SQL.to_owned()];
            parts.extend(outbox);
            parts.push(head_lock.to_owned());
            parts.join("; ")
        }
        // One statement: the writes as data-modifying CTEs (one snapshot,
        // different tables), the head's lock as the query they hang on.
        // PostgreSQL locks the head as the query runs and finishes the CTEs
        // after it: the lane is held through these three writes too (no
        // waits among them but a job's dedup key, which is the
        // application's own).
        Dialect::Postgres => {
            let mut ctes = vec![
                format!("n AS ({number})"),
                format!("e AS ({SUBMITTED_EVENT_SQL})"),
            ];
            ctes.extend(outbox.map(|o| format!("j AS ({o})")));
            format!("WITH {} {head_lock}", ctes.join(", "))
        }
    }
}

/// A number column of a call's rows, wherever it is: SQLite gives one row
/// per statement that returned one, PostgreSQL one row with every column.
/// Only a column not in a row is passed over; a value that does not decode
/// is an error, never taken for "none" (a used key, a refusal).
pub(crate) fn number_in<R: sqlx::Row>(
    rows: &[R],
    name: &str,
) -> Result<Option<i64>, crate::StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    for r in rows {
        match r.try_get::<Option<i64>, _>(name) {
            Ok(Some(n)) => return Ok(Some(n)),
            Ok(None) | Err(sqlx::Error::ColumnNotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(None)
}

/// Which SQL a backend speaks, where one statement differs in shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The backend's name, as health reports give it.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// [`insert_jobs_sql`] with its parameters numbered after the first `skip`.
pub(crate) fn insert_jobs_sql_from(n: usize, skip: usize) -> String {
    let rows: Vec<String> = (0..n)
        .map(|i| {
            let p = |k: usize| format!("${}", skip + i * 7 + k);
            format!(
                "({}, {}, {}, {}, {}, 0, {}, {})",
                p(1),
                p(2),
                p(3),
                p(4),
                p(5),
                p(6),
                p(7)
            )
        })
        .collect();
    format!(
        "INSERT INTO jobs (id, kind, payload, dedup_key, run_at, attempts, max_attempts, created_at) \
         VALUES {} ON CONFLICT (dedup_key) DO NOTHING",
        rows.join(", ")
    )
}

pub(crate) const SELECT_AUDIT: &str = "SELECT id, lane, seq, at, actor_id, actor_role, office_id, action, subject_id, \
     details, prev_hash, hash FROM audit_events";

pub(crate) fn audit_row<R: sqlx::Row>(r: &R) -> Result<crate::AuditEvent, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> uuid::Uuid: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<uuid::Uuid>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(crate::AuditEvent {
        id: r.try_get("id")?,
        lane: r.try_get("lane")?,
        seq: r.try_get("seq")?,
        at: r.try_get("at")?,
        actor_id: r.try_get("actor_id")?,
        actor_role: r.try_get("actor_role")?,
        office_id: r.try_get("office_id")?,
        action: r.try_get("action")?,
        subject_id: r.try_get("subject_id")?,
        details: r.try_get("details")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

pub(crate) fn status(s: &str) -> Result<AccountStatus, StoreError> {
    AccountStatus::parse(s).ok_or_else(|| StoreError::Corrupt(format!("account status {s}")))
}

pub(crate) fn level(s: &str) -> Result<AssuranceLevel, StoreError> {
    AssuranceLevel::parse(s).ok_or_else(|| StoreError::Corrupt(format!("level {s}")))
}

pub(crate) fn purpose(s: &str) -> Result<domain::otp::Purpose, StoreError> {
    domain::otp::Purpose::parse(s).ok_or_else(|| StoreError::Corrupt(format!("purpose {s}")))
}

pub(crate) fn channel(s: &str) -> Result<domain::otp::ChallengeChannel, StoreError> {
    domain::otp::ChallengeChannel::parse(s)
        .ok_or_else(|| StoreError::Corrupt(format!("channel {s}")))
}

pub(crate) fn role(s: &str) -> Result<Role, StoreError> {
    Role::parse(s).map_err(|_| StoreError::Corrupt(format!("role {s}")))
}

/// Counters are stored as BIGINT; they never exceed u32 in practice.
pub(crate) fn count(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// Inserts or changes an office and replaces its territory rows ("77" is a
/// whole region, "50-012" a district of one), inside the caller's transaction.
macro_rules! save_office {
    ($tx:expr, $o:expr, $now:expr) => {{
        let o: &$crate::Office = &$o;
        sqlx::query(
            "INSERT INTO offices (id, code, name, address, time_zone, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET \
             code = excluded.code, name = excluded.name, address = excluded.address, \
             time_zone = excluded.time_zone",
        )
        .bind(o.id)
        .bind(o.code.clone())
        .bind(o.name.clone())
        .bind(o.address.clone())
        .bind(o.time_zone.clone())
        .bind($now)
        .execute(&mut *$tx)
        .await
        .map_err($crate::StoreError::from_insert)?;
        sqlx::query("DELETE FROM office_territories WHERE office_id = $1")
            .bind(o.id)
            .execute(&mut *$tx)
            .await?;
        for area in &o.territory {
            let (region, district) = area.split_once('-').unwrap_or((area.as_str(), ""));
            sqlx::query(
                "INSERT INTO office_territories (office_id, region_code, district) VALUES ($1, $2, $3) \
                 ON CONFLICT (office_id, region_code, district) DO NOTHING",
            )
            .bind(o.id)
            .bind(region.trim())
            .bind(district.trim())
            .execute(&mut *$tx)
            .await?;
        }
    }};
}
pub(crate) use save_office;

pub(crate) const SELECT_ACCOUNT: &str = "SELECT id, surname, given_name, patronymic, phone, email, status, level, \
     role, office_id, created_at FROM accounts";

#[cfg(test)]
mod tests {
    #[test]
    fn jobs_insert_numbers_seven_parameters_a_row() {
        assert_eq!(
            super::insert_jobs_sql(1),
            "INSERT INTO jobs (id, kind, payload, dedup_key, run_at, attempts, max_attempts, created_at) \
             VALUES ($1, $2, $3, $4, $5, 0, $6, $7) ON CONFLICT (dedup_key) DO NOTHING"
        );
        assert!(
            super::insert_jobs_sql(2)
                .contains("($1, $2, $3, $4, $5, 0, $6, $7), ($8, $9, $10, $11, $12, 0, $13, $14)")
        );
    }
}
