//! Persistence of migportal.
//!
//! The `Store` is made of traits at use-case granularity: each method is one
//! transaction that changes state, appends its audit event and enqueues its
//! outbox jobs together. Two implementations share the SQL text through macros
//! (`shared/`), and differ only where the dialects must: transaction start
//! (`BEGIN IMMEDIATE` on SQLite), job claiming (`SKIP LOCKED` on PostgreSQL) and
//! the audit head's lock (`FOR UPDATE` on PostgreSQL).

pub mod audit;
mod error;
pub mod job_kind;
mod model;
mod postgres;
mod shared;
mod sqlite;
mod sqlite_group;
pub mod vault;

#[cfg(feature = "testing")]
pub mod testing;

use async_trait::async_trait;
use domain::account::Verification;
use domain::throttle::FailureRecord;
use std::sync::Arc;
use uuid::Uuid;

pub use error::StoreError;
pub use model::*;
pub use postgres::PgStore;
pub use sqlite::SqliteStore;

pub type Result<T> = std::result::Result<T, StoreError>;

/// Drafts one person may keep at once.
pub const MAX_DRAFTS: i64 = 20;
/// Files one application may hold.
pub const MAX_FILES: i64 = 40;

#[async_trait]
pub trait AccountStore {
    /// Creates an account waiting for its contact to be proven, the code challenge
    /// and the job that delivers the code, in one transaction.
    async fn register_account(
        &self,
        account: NewAccount,
        challenge: NewChallenge,
        deliver: NewJob,
        now: i64,
    ) -> Result<()>;
    /// Creates an active account directly (staff and demo users); audited.
    async fn create_account(
        &self,
        account: NewAccount,
        actor: Option<Uuid>,
        now: i64,
    ) -> Result<()>;
    async fn get_account(&self, id: Uuid) -> Result<Option<Account>>;
    async fn find_auth(&self, lookup: &LoginLookup) -> Result<Option<AuthRecord>>;
    /// A challenge of an account (decoys are not returned).
    async fn get_challenge(&self, id: Uuid) -> Result<Option<Challenge>>;
    /// Counts one attempt at a challenge of `purpose` (of `owner`, when given)
    /// in one statement, *before* the code is compared, and returns it as it
    /// is after the count. `None` when it is unknown, consumed, burnt
    /// (`max_attempts` reached) or was sent before `sent_after`: so concurrent
    /// guesses can never be judged more than `max_attempts` times.
    async fn attempt_challenge(
        &self,
        id: Uuid,
        purpose: domain::otp::Purpose,
        owner: Option<Uuid>,
        max_attempts: u32,
        sent_after: i64,
    ) -> Result<Option<ChallengeAttempt>>;
    /// Consumes the challenge (activating a registered account for `contact`);
    /// `Stale` if it was consumed already.
    async fn confirm_challenge(&self, id: Uuid, now: i64) -> Result<()>;
    /// A challenge that belongs to no account (a reset for an unknown login),
    /// so that it answers exactly like a real one.
    async fn start_decoy_challenge(
        &self,
        id: Uuid,
        purpose: domain::otp::Purpose,
        now: i64,
    ) -> Result<()>;
    /// A decoy challenge (its `account_id` is nil), so that its resend
    /// answers exactly like a real one's.
    async fn get_decoy(&self, id: Uuid) -> Result<Option<Challenge>>;
    /// Replaces the code with a new one and enqueues its delivery (none for a
    /// decoy or a send held back). The attempts already counted stay counted.
    async fn resend_challenge(
        &self,
        id: Uuid,
        seen_sends: u32,
        code_hash: String,
        deliver: Option<NewJob>,
        now: i64,
    ) -> Result<()>;
    /// Replaces the password hash, ends every session but `keep` (the one
    /// that made the change), and enqueues the notice; audited.
    async fn change_password(
        &self,
        account_id: Uuid,
        password_hash: String,
        keep: Option<&str>,
        notice: NewJob,
        now: i64,
    ) -> Result<()>;
    /// Starts a challenge for an existing account (password reset, a second
    /// factor) and enqueues the code's delivery.
    async fn start_challenge(
        &self,
        challenge: NewChallenge,
        deliver: Option<NewJob>,
        now: i64,
    ) -> Result<()>;
    /// Consumes a reset challenge and sets the new password; every session ends.
    async fn complete_reset(
        &self,
        challenge_id: Uuid,
        password_hash: String,
        notice: NewJob,
        now: i64,
    ) -> Result<Uuid>;
    async fn login_failures(&self, key: &str) -> Result<FailureRecord>;
    /// Replaces the failure record of `key` with `next` only if it still is
    /// `seen` (compare and set): of concurrent attempts read at the same
    /// count, exactly one is counted and the others must read again.
    async fn bump_failures(
        &self,
        key: &str,
        seen: FailureRecord,
        next: FailureRecord,
    ) -> Result<bool>;
    async fn clear_login_failures(&self, key: &str) -> Result<()>;
}

#[async_trait]
pub trait AuditStore {
    /// Events about one subject (a person, an application), oldest first.
    async fn list_audit(&self, subject: Uuid) -> Result<Vec<AuditEvent>>;
    /// Up to `limit` events of `lane` after its sequence number `after`, in order.
    async fn audit_page(&self, lane: i64, after: i64, limit: u32) -> Result<Vec<AuditEvent>>;
    /// The tip of every lane: its last sequence number and that event's hash.
    async fn audit_heads(&self) -> Result<Vec<AuditHead>>;
    /// How many events lie in lanes that have no head (none should).
    async fn audit_strays(&self) -> Result<i64>;
    /// The log for auditors, newest first, filtered.
    async fn search_audit(&self, filter: &AuditFilter, limit: u32) -> Result<Vec<AuditEvent>>;
    /// Records a staff action that changes nothing (a refused attempt, a view).
    async fn audit_staff(
        &self,
        by: &StaffActor,
        action: &str,
        subject: Option<Uuid>,
        details: &str,
        now: i64,
    ) -> Result<()>;
}

#[async_trait]
pub trait SessionStore {
    /// Starts a session. When the device is new for the account, it is
    /// remembered and `new_device_notice` is enqueued in the same transaction.
    async fn create_session(
        &self,
        session: NewSession,
        device_key: &str,
        new_device_notice: Option<NewJob>,
        now: i64,
    ) -> Result<bool>;
    /// The account's live sessions, newest first.
    async fn list_sessions(&self, account_id: Uuid, now: i64) -> Result<Vec<SessionRecord>>;
    /// Ends every session of the account (but `keep`) and enqueues the
    /// notice; returns how many.
    async fn delete_account_sessions(
        &self,
        account_id: Uuid,
        keep: Option<&str>,
        notice: NewJob,
        now: i64,
    ) -> Result<u64>;
    /// The session if it exists and has not expired at `now`.
    async fn find_session(&self, token_hash: &str, now: i64) -> Result<Option<SessionRecord>>;
    /// [`find_session`](Self::find_session) with its account, in one read:
    /// every signed-in request asks for both.
    async fn find_session_account(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<(SessionRecord, Account)>>;
    async fn touch_session(&self, token_hash: &str, now: i64, expires_at: i64) -> Result<()>;
    /// Ends one session (logout); audited.
    async fn delete_session(&self, token_hash: &str, now: i64) -> Result<()>;
    async fn purge_expired_sessions(&self, now: i64) -> Result<u64>;
    /// Removes what no rule needs any more: challenges, finished jobs and
    /// failure counters older than the given moments; returns how many rows.
    async fn purge_stale(&self, before: PurgeBefore) -> Result<u64>;
}

#[async_trait]
pub trait IdentityStore {
    /// Stores (or replaces) the identity data as a new version, marks it
    /// pending, drops the account to the simplified level, voids letters and
    /// signature challenges issued for the old version, and enqueues the
    /// registry check. Returns the new version; `Conflict("identity.locked")`
    /// for a confirmed account. Reserves no SNILS: only a verified identity does.
    async fn submit_identity(&self, identity: NewIdentity, now: i64) -> Result<i64>;
    async fn get_identity(&self, account_id: Uuid) -> Result<Option<IdentityRecord>>;
    /// Records a finished check of `version`, raises the account to the standard
    /// level when verified (and to confirmed when a service centre's
    /// confirmation waits for it), and enqueues the notice made for the final
    /// outcome. A verified outcome becomes `Failed(HeldByAnother)` when another
    /// account holds the same SNILS verified. `Stale` if the person has
    /// resubmitted meanwhile (the result of an old check must not win).
    async fn finish_identity_check(
        &self,
        account_id: Uuid,
        version: i64,
        outcome: Verification,
        notice: &(dyn Fn(Verification) -> NewJob + Send + Sync),
        now: i64,
    ) -> Result<Verification>;
    /// Raises a person to the confirmed level if `identity_version` is still
    /// their current, verified identity (`domain::confirmation`, else
    /// `Conflict(code)`), consuming the signature challenge `consume` in the
    /// same transaction; audited with the staff member and office, notified.
    #[allow(clippy::too_many_arguments)]
    async fn confirm_identity(
        &self,
        person_id: Uuid,
        identity_version: i64,
        consume: Option<Uuid>,
        by: &StaffActor,
        method: &str,
        notice: NewJob,
        now: i64,
    ) -> Result<()>;
}

#[async_trait]
pub trait JobStore {
    async fn enqueue(&self, job: NewJob, now: i64) -> Result<()>;
    /// Claims the next due job for `lease_ms`; committed before the caller does I/O.
    async fn claim_job(&self, worker: &str, now: i64, lease_ms: i64) -> Result<Option<Job>> {
        Ok(self.claim_jobs(worker, now, lease_ms, 1).await?.pop())
    }
    /// Claims up to `limit` due jobs, the earliest first, for `lease_ms`, in
    /// one statement: a worker under load pays one write for several jobs.
    async fn claim_jobs(
        &self,
        worker: &str,
        now: i64,
        lease_ms: i64,
        limit: u32,
    ) -> Result<Vec<Job>>;
    /// Marks a claimed job done; false if the lease was lost to another worker.
    async fn complete_job(&self, id: Uuid, worker: &str, now: i64) -> Result<bool> {
        Ok(self.complete_jobs(&[id], worker, now).await? == 1)
    }
    /// Marks claimed jobs done in one statement; how many were still this
    /// worker's (a job whose lease was lost to another worker is not).
    async fn complete_jobs(&self, ids: &[Uuid], worker: &str, now: i64) -> Result<u64>;
    /// Releases a failed job to run again at `run_at`, or gives up after its
    /// last attempt; false if the lease was lost.
    async fn retry_job(
        &self,
        id: Uuid,
        worker: &str,
        error: &str,
        run_at: i64,
        now: i64,
    ) -> Result<bool>;
    /// Records a job as failed for good (a permanent error); false if the lease was lost.
    async fn give_up_job(&self, id: Uuid, worker: &str, error: &str, now: i64) -> Result<bool>;
    async fn job_stats(&self) -> Result<JobStats>;
    /// Jobs that failed for good, the latest first (at most `limit`).
    async fn dead_jobs(&self, limit: u32) -> Result<Vec<DeadJob>>;
    /// Sets the latest `limit` jobs that failed for good (the ones
    /// [`dead_jobs`](Self::dead_jobs) lists) going again, from their first
    /// attempt, due `now`; how many.
    async fn revive_dead_jobs(&self, limit: u32, now: i64) -> Result<u64>;
    /// Records that a message under `key` (one per event and channel) is
    /// about to be sent, in the statement that reads whether it already was:
    /// `true` when it was sent before (the caller skips the send).
    async fn begin_delivery(&self, key: &str, now: i64) -> Result<bool>;
    /// Marks the message under `key` sent.
    async fn mark_delivered(&self, key: &str, now: i64) -> Result<()>;
}

#[async_trait]
pub trait MailboxStore {
    /// A message whose id is there already (its delivery key) is not
    /// added again.
    async fn add_demo_message(&self, message: DemoMessage) -> Result<()>;
    async fn list_demo_messages(&self, limit: u32) -> Result<Vec<DemoMessage>>;
}

#[async_trait]
pub trait OfficeStore {
    async fn upsert_office(&self, office: Office, hours: Vec<OfficeHours>, now: i64) -> Result<()>;
    async fn list_offices(&self) -> Result<Vec<Office>>;
    /// Creates or changes an office; audited.
    async fn save_office(&self, office: Office, by: &StaffActor, now: i64) -> Result<()>;
    /// The office whose territory holds the area: one serving the district
    /// before one serving the whole region; `None` when no office does.
    async fn office_for(
        &self,
        region_code: &str,
        district_code: Option<&str>,
    ) -> Result<Option<Uuid>>;
}

#[async_trait]
/// Reception schedules and booked visits (SPEC §5).
pub trait VisitStore {
    /// Creates or replaces an office's schedule; audited.
    /// Creates or replaces an office's schedule, marking the bookings it
    /// leaves outside the hours displaced and enqueueing their notices in
    /// the same transaction; audited.
    async fn save_schedule(
        &self,
        s: ReceptionSchedule,
        displaced: Displacement,
        by: &StaffActor,
        now: i64,
    ) -> Result<()>;
    async fn schedule_of(&self, office_id: Uuid) -> Result<Option<ReceptionSchedule>>;
    /// Places taken per slot start of an office, from `from_ms` to `to_ms`.
    async fn taken_places(
        &self,
        office_id: Uuid,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<(i64, i64)>>;
    /// The application's live booking.
    async fn live_appointment(&self, application_id: Uuid) -> Result<Option<AppointmentRecord>>;
    /// Books a slot (or moves a booking to it) under the application's row
    /// lock: the place is taken in the statement that checks it is free
    /// (`Conflict("visit.taken")`), one live booking per application
    /// (`Conflict("visit.already_booked")`), a replaced booking that changed
    /// meanwhile is `Conflict("visit.changed")`; with its step and jobs.
    /// With a key, a retry is `Once::Replayed` (the appointment it made).
    async fn book(&self, b: Booking, now: i64) -> Result<Once<AppointmentRecord>>;
    /// Cancels the application's live booking, frees its place and takes the
    /// application's step back to `accepted`, in one transaction;
    /// `Conflict("visit.none")` when nothing is booked.
    async fn cancel_booking(&self, t: Transition, account_id: Uuid, now: i64) -> Result<()>;
    /// An office's live bookings from `from_ms`, in slot and booking order.
    async fn live_bookings(&self, office_id: Uuid, from_ms: i64) -> Result<Vec<AppointmentRecord>>;
    /// The visits of an office from `from_ms` to `to_ms` (booked, arrived,
    /// missed, served), in slot and booking order, with their applicants.
    async fn day_visits(&self, office_id: Uuid, from_ms: i64, to_ms: i64) -> Result<Vec<DayVisit>>;
    async fn appointment(&self, id: Uuid) -> Result<Option<AppointmentRecord>>;
    /// The person came: a booked visit of the officer's office becomes
    /// arrived; anything else is `Conflict("visit.changed")`.
    async fn record_arrival(&self, id: Uuid, by: &StaffActor, now: i64) -> Result<()>;
    /// Ends a visit of the office (served or missed) and takes the
    /// application's step in one transaction; a visit no longer booked or
    /// arrived is `Conflict("visit.changed")`. The application's new version.
    async fn close_visit(&self, c: VisitClose, now: i64) -> Result<i64>;
}

#[async_trait]
/// Owners' consents to registration at their dwelling.
pub trait ConsentStore {
    /// The latest consent request of an application.
    async fn consent_of(&self, application_id: Uuid) -> Result<Option<ConsentRecord>>;
    async fn consent(&self, id: Uuid) -> Result<Option<ConsentRecord>>;
    /// The requests addressed to an owner, newest first.
    async fn consents_for(&self, owner_id: Uuid) -> Result<Vec<ConsentRecord>>;
    /// Makes a pending request found by its code the owner's; `NotFound`
    /// for no such open request (or one claimed already).
    async fn claim_consent(&self, code_lookup: &str, owner_id: Uuid, now: i64) -> Result<Uuid>;
    /// The owner's answer, once, before it expires, with its job (the
    /// applicant's notice, the settling of a refusal), audited:
    /// `Conflict("consent.answered")` when answered (or expired) already.
    async fn answer_consent(
        &self,
        id: Uuid,
        owner_id: Uuid,
        approve: bool,
        jobs: Vec<NewJob>,
        now: i64,
    ) -> Result<Uuid>;
    /// Marks a pending request past its time expired; whether it was.
    async fn expire_consent(&self, id: Uuid, now: i64) -> Result<bool>;
}

#[async_trait]
/// State fees: the schedule's editions, charges and their payments.
pub trait PaymentStore {
    /// Every edition, oldest first.
    async fn fee_editions(&self) -> Result<Vec<FeeEditionRow>>;
    /// Stores the editions not stored yet (the built-in ones at start);
    /// one already there is kept as it is. How many were added.
    async fn seed_fee_editions(&self, rows: Vec<FeeEditionRow>) -> Result<u64>;
    /// Adds, or replaces, an edition that starts after `today`, audited;
    /// `Conflict("fee.in_force")` when one from that date is in force.
    async fn put_fee_edition(&self, row: FeeEditionRow, today: &str, now: i64) -> Result<()>;
    /// Withdraws an edition that starts after `today`, audited.
    async fn withdraw_fee_edition(&self, from: &str, by: Uuid, today: &str, now: i64)
    -> Result<()>;
    async fn charges_of(&self, application_id: Uuid) -> Result<Vec<ChargeRecord>>;
    async fn charge_by_uin(&self, uin: &str) -> Result<Option<ChargeRecord>>;
    async fn charge(&self, id: Uuid) -> Result<Option<ChargeRecord>>;
    async fn payments_of(&self, charge_id: Uuid) -> Result<Vec<PaymentRecord>>;
    async fn payment(&self, id: Uuid) -> Result<Option<PaymentRecord>>;
    /// A payment of the owner's due charge of an open application, for the
    /// charge's portal amount, with its jobs (the reconciliation), under
    /// the key: `NotFound` for another's, `Conflict("charge.not_due")`,
    /// `Conflict("charge.application_closed")`.
    async fn start_payment(
        &self,
        p: NewPayment,
        jobs: Vec<NewJob>,
        idem: Option<IdempotencyKey>,
        now: i64,
    ) -> Result<Once<PaymentRecord>>;
    /// The provider's word on a payment, in one transaction with the
    /// charge, the audit, the log of the callback and the outcome's jobs;
    /// `NotFound` for no such payment (nothing logged: the caller does).
    async fn settle_payment(&self, s: Settlement, now: i64) -> Result<Settled>;
    /// A bank payment an officer of the application's office records,
    /// settled at once; `NotFound` for a UIN outside their office.
    async fn record_bank_payment(
        &self,
        b: BankPayment,
        on_paid: Vec<NewJob>,
        on_refund: Vec<NewJob>,
        now: i64,
    ) -> Result<Settled>;
    /// Logs a callback that settled nothing (forged, unknown).
    async fn log_callback(
        &self,
        payment_id: Option<Uuid>,
        outcome: &str,
        body: &str,
        now: i64,
    ) -> Result<()>;
    /// The latest callbacks, newest first.
    async fn callbacks(&self, limit: i64) -> Result<Vec<CallbackRecord>>;
    /// A payment due back given back: refund_due → refunded, its charge
    /// refunded when it was the one that paid it, with a history note
    /// (`fee_refunded`) and the jobs; false when it was not due back.
    async fn mark_refunded(&self, payment_id: Uuid, jobs: Vec<NewJob>, now: i64) -> Result<bool>;
}

#[async_trait]
/// The documents issued to people.
pub trait DocumentStore {
    /// Keeps a document; one already kept from the same `source` wins
    /// (false: nothing stored).
    async fn add_document(&self, d: DocumentRecord) -> Result<bool>;
    async fn document_by_source(&self, source: &str) -> Result<Option<DocumentRecord>>;
    /// A person's documents, newest first.
    async fn documents_of(&self, account_id: Uuid) -> Result<Vec<DocumentRecord>>;
    async fn documents_of_application(&self, application_id: Uuid) -> Result<Vec<DocumentRecord>>;
    async fn document(&self, id: Uuid) -> Result<Option<DocumentRecord>>;
    /// Records the PDF of a document issued untypeset (`size` 0): where it
    /// is and under which key. Only the first is kept (false: another was).
    async fn document_typeset(&self, id: Uuid, pdf: TypesetPdf) -> Result<bool>;
}

#[async_trait]
/// The person's inbox of notices.
pub trait InboxStore {
    /// Keeps a notice and queues `deliveries` (its channels' jobs) in one
    /// round trip; a second notice from the same `source` is ignored, and
    /// so is a job whose dedup key is there already.
    async fn add_inbox_item(&self, item: InboxItem, deliveries: Vec<NewJob>) -> Result<()>;
    /// The person's notices, newest first, older than `before`; only unread
    /// ones, or only of `kind`, when asked.
    async fn inbox(
        &self,
        account_id: Uuid,
        unread_only: bool,
        kind: Option<&str>,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<InboxItem>>;
    /// Unread notices per kind.
    async fn inbox_unread(&self, account_id: Uuid) -> Result<Vec<(String, i64)>>;
    /// Marks one notice (or all, with `None`) of the person read; how many changed.
    async fn mark_inbox_read(&self, account_id: Uuid, id: Option<Uuid>, now: i64) -> Result<u64>;
}

#[async_trait]
/// The thread of an application between the applicant and the office.
pub trait MessageStore {
    /// Adds a message with its files, its audit event and the other side's
    /// notice, under the application's row lock: `Conflict("message.closed")`
    /// once the application is closed (or still a draft), `NotFound` for none.
    async fn add_message(&self, m: NewMessage, now: i64) -> Result<()>;
    /// The thread, oldest first, with files.
    async fn thread(&self, application_id: Uuid) -> Result<Vec<MessageRecord>>;
    /// Marks read what the other side wrote (`from_office`: the office's
    /// messages, read by the applicant); how many were unread.
    async fn mark_read(&self, application_id: Uuid, from_office: bool, now: i64) -> Result<u64>;
    /// The office's unread messages per application of the person.
    async fn unread_for_person(&self, account_id: Uuid) -> Result<Vec<(Uuid, i64)>>;
}

#[async_trait]
/// The office side of applications and the lifecycle's steps (SPEC §4).
/// Methods without an owner take the office scope from the caller; the use
/// case (`app::cases`) checks it before anything is shown.
pub trait CaseStore {
    /// Applies one step: `Stale` when the application changed since
    /// `version` (or is no longer in `from`), `NotFound` outside the
    /// step's scope (another person's, another office's).
    /// Returns the new version.
    async fn transition(&self, t: Transition, now: i64) -> Result<i64>;
    /// An application, whoever owns it.
    async fn application_by_id(&self, id: Uuid) -> Result<Option<ApplicationRecord>>;
    /// Its history, oldest first, whoever owns it.
    async fn history_of(&self, id: Uuid) -> Result<Vec<ApplicationEvent>>;
    /// A page of a queue, oldest submission first.
    async fn office_queue(&self, q: QueueQuery) -> Result<Vec<QueueRow>>;
    /// Moves an application from the office `from` (`None`: not routed) to
    /// `to`, bound to `version`; history and audit. Returns the new version.
    async fn reassign(
        &self,
        id: Uuid,
        version: i64,
        from: Option<Uuid>,
        to: Uuid,
        by: &StaffActor,
        now: i64,
    ) -> Result<i64>;
}

#[async_trait]
/// Applications for the services: drafts, saves bound to a version, and the
/// submission that gives a number (SPEC §3, §4). Every method is bound to
/// the owner: another person's application is `NotFound`.
pub trait ApplicationStore {
    /// Creates a draft (history: created). With a key, a second call with
    /// the same key replays; another request under the same key is
    /// `Conflict("idempotency.mismatch")`.
    async fn create_draft(
        &self,
        draft: NewDraft,
        idem: Option<IdempotencyKey>,
        now: i64,
    ) -> Result<Once<Uuid>>;
    async fn get_application(&self, id: Uuid, account_id: Uuid) -> Result<ApplicationRecord>;
    /// The person's applications, newest first, those older than `before`.
    async fn list_applications(
        &self,
        account_id: Uuid,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<ApplicationRecord>>;
    /// The latest application of the person for the service other than `except`.
    async fn latest_application(
        &self,
        account_id: Uuid,
        service: &str,
        except: Uuid,
    ) -> Result<Option<ApplicationRecord>>;
    /// Replaces the answers of an editable application made on `version`;
    /// `Stale` if it changed since, `Conflict("application.not_editable")`
    /// once submitted. Returns the new version.
    async fn save_answers(
        &self,
        id: Uuid,
        account_id: Uuid,
        version: i64,
        key_id: &str,
        sealed: Vec<u8>,
        now: i64,
    ) -> Result<i64>;
    /// Deletes a draft with its files' rows, returning their blob keys;
    /// `Conflict("application.not_draft")` otherwise.
    async fn delete_draft(&self, id: Uuid, account_id: Uuid, now: i64) -> Result<Vec<String>>;
    /// Fills the applicant's surname of up to `batch` applications after
    /// `after` in id order where it is missing (closed applications from
    /// before migration 0026; new ones get it at insert, renames follow by
    /// trigger): the last id walked, `None` once none is left. Rows are
    /// updated only where still empty, so a change of name meanwhile is
    /// never overwritten. The column's statistics are renewed by
    /// PostgreSQL's autovacuum, which so many changed rows set going (an
    /// `ANALYZE` here would outlast a job's time limit at 10 M rows).
    async fn fill_applicant_surnames(&self, after: Uuid, batch: u32) -> Result<Option<Uuid>>;
    /// Makes a draft `submitted` with a number, its history entry, audit event
    /// and notice, in one transaction. `Conflict("application.one_open")` when
    /// another application of a one-open service is open.
    async fn submit_application(
        &self,
        submission: Submission,
        idem: Option<IdempotencyKey>,
        now: i64,
    ) -> Result<Once<Submitted>>;
    async fn application_history(
        &self,
        id: Uuid,
        account_id: Uuid,
    ) -> Result<Vec<ApplicationEvent>>;
    /// Records an uploaded file for an editable application of its owner
    /// (`NotFound` for someone else's, `Conflict("application.not_editable")`
    /// once sent, `Conflict("file.too_many")` past [`MAX_FILES`]), replacing
    /// the file of the same field; returns the replaced files' blob keys.
    /// With a key, a repeat answers `Replayed` with the id (as a UUID) of
    /// the file the key added.
    async fn add_attachment(
        &self,
        attachment: Attachment,
        idem: Option<IdempotencyKey>,
        now: i64,
    ) -> Result<Once<Vec<String>>>;
    /// The application's files, for its owner.
    async fn attachments(&self, application_id: Uuid, account_id: Uuid) -> Result<Vec<Attachment>>;
    /// What an idempotency key was used for: its request's fingerprint and
    /// the resource it made.
    async fn idempotent_resource(
        &self,
        account_id: Uuid,
        key: &str,
    ) -> Result<Option<(String, Uuid)>>;
}

#[async_trait]
/// A person's second factor: the authenticator secret, codes, recovery codes.
pub trait SecondFactorStore {
    /// Stores a new, not yet enabled TOTP secret (enrolment in progress).
    /// Refused (`Stale`) while an enabled one exists.
    async fn set_totp_pending(
        &self,
        account_id: Uuid,
        key_id: &str,
        sealed: Vec<u8>,
        now: i64,
    ) -> Result<()>;
    async fn get_totp(&self, account_id: Uuid) -> Result<Option<TotpRecord>>;
    /// Enables the pending secret at `step` and replaces the recovery codes.
    async fn enable_totp(
        &self,
        account_id: Uuid,
        step: i64,
        recovery_hashes: Vec<String>,
        notice: NewJob,
        now: i64,
    ) -> Result<()>;
    /// Turns on the "code by SMS/e-mail" second factor with its recovery codes
    /// (replacing a pending TOTP enrolment); `Stale` if a factor is enabled.
    async fn enable_code_factor(
        &self,
        account_id: Uuid,
        recovery_hashes: Vec<String>,
        notice: NewJob,
        now: i64,
    ) -> Result<()>;
    /// Records a used step; false if it (or a later one) was used already.
    async fn use_totp_step(&self, account_id: Uuid, step: i64) -> Result<bool>;
    /// Spends a recovery code; false if unknown or spent.
    async fn use_recovery_code(&self, account_id: Uuid, code_hash: &str, now: i64) -> Result<bool>;
    async fn disable_totp(
        &self,
        account_id: Uuid,
        actor: Option<Uuid>,
        notice: NewJob,
        now: i64,
    ) -> Result<()>;
}

#[async_trait]
/// Staff reads of a person's data, shown to that person.
pub trait AccessLogStore {
    /// Records a staff read of a person's data, with its audit entry.
    async fn record_access(&self, access: DataAccess) -> Result<()>;
    /// The person's access log, newest first.
    async fn list_access(&self, person_id: Uuid) -> Result<Vec<DataAccess>>;
}

#[async_trait]
/// Staff accounts, as administrators manage them.
pub trait StaffAdminStore {
    /// Staff accounts (every role but applicant), by surname.
    async fn list_staff(&self) -> Result<Vec<Account>>;
    /// Changes a staff account's role, office and status; audited.
    async fn update_staff(
        &self,
        id: Uuid,
        role: domain::account::Role,
        office_id: Option<Uuid>,
        status: domain::account::AccountStatus,
        by: &StaffActor,
        now: i64,
    ) -> Result<()>;
}

#[async_trait]
pub trait LetterStore {
    /// Records a letter request and the job that prints it, unless another
    /// letter was requested after `not_since` (then `Stale`).
    async fn request_letter(
        &self,
        letter: Letter,
        print: NewJob,
        not_since: i64,
        now: i64,
    ) -> Result<()>;
    async fn last_letter(&self, account_id: Uuid) -> Result<Option<Letter>>;
    async fn get_letter(&self, id: Uuid) -> Result<Option<Letter>>;
    /// Puts the printed letter into the outbound post queue (once).
    async fn queue_for_post(&self, item: PostItem) -> Result<()>;
    /// Letters not yet handed to the post, oldest first.
    async fn outbound_post(&self, limit: u32) -> Result<Vec<PostItem>>;
    /// Marks a letter handed to the post and forgets its text.
    async fn mark_posted(&self, letter_id: Uuid, now: i64) -> Result<()>;
    /// Counts one attempt at the account's latest letter before its code is
    /// compared; `None` when there is no usable letter (used, voided, burnt
    /// after `max_attempts`, or expired at `now`).
    async fn attempt_letter(
        &self,
        account_id: Uuid,
        max_attempts: u32,
        now: i64,
    ) -> Result<Option<Letter>>;
    /// Uses the letter's code: the person becomes confirmed if the identity
    /// version the letter was issued for is still current and verified
    /// (`domain::confirmation`, else `Conflict(code)`); audited, notified.
    async fn confirm_by_letter(&self, id: Uuid, notice: NewJob, now: i64) -> Result<()>;
}

#[async_trait]
pub trait ProfileStore {
    async fn addresses(&self, account_id: Uuid) -> Result<Vec<Address>>;
    /// The language the person's notices are written in (`ru`, `en`).
    async fn lang_of(&self, account_id: Uuid) -> Result<Option<String>>;
    async fn set_lang(&self, account_id: Uuid, lang: &str) -> Result<()>;
    /// Sets one address (by its kind); audited.
    async fn save_address(&self, account_id: Uuid, address: Address, now: i64) -> Result<()>;
    async fn notification_prefs(&self, account_id: Uuid) -> Result<Vec<NotificationPref>>;
    /// Replaces the given preferences; audited as a security-relevant change.
    async fn save_notification_prefs(
        &self,
        account_id: Uuid,
        prefs: Vec<NotificationPref>,
        notice: NewJob,
        now: i64,
    ) -> Result<()>;
    /// Sets a newly proven contact after its code was accepted (the challenge
    /// is consumed in the same transaction); `Conflict` if someone else has it.
    async fn set_contact(
        &self,
        challenge_id: Uuid,
        kind: &str,
        value: &str,
        notice: NewJob,
        now: i64,
    ) -> Result<()>;
    /// A person registered at a service centre: account, identity data,
    /// confirmed level and the first-login code, in one transaction.
    async fn register_at_centre(
        &self,
        account: NewAccount,
        identity: NewIdentity,
        first_login: NewChallenge,
        deliver: NewJob,
        by: &StaffActor,
        now: i64,
    ) -> Result<()>;
}

#[async_trait]
pub trait Health {
    /// Which backend this is: "sqlite" or "postgres".
    fn backend(&self) -> &'static str;
    async fn ping(&self) -> Result<()>;
    /// How far the database's write-ahead log reaches: on a primary what it
    /// has written, on a standby what it has replayed. `None` where there is
    /// no such log to follow (SQLite).
    async fn wal_position(&self) -> Result<Option<WalPosition>>;
}

/// A point of a PostgreSQL cluster's write-ahead log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalPosition {
    /// Bytes from the log's start.
    pub bytes: i64,
    /// Whether the cluster is a standby (in recovery).
    pub standby: bool,
    /// The cluster's system identifier: a standby shares its primary's.
    pub system: i64,
}

/// Everything the application needs from storage.
pub trait Store:
    AccountStore
    + ApplicationStore
    + CaseStore
    + MessageStore
    + InboxStore
    + ConsentStore
    + PaymentStore
    + DocumentStore
    + VisitStore
    + AuditStore
    + SecondFactorStore
    + AccessLogStore
    + StaffAdminStore
    + LetterStore
    + ProfileStore
    + SessionStore
    + IdentityStore
    + JobStore
    + MailboxStore
    + OfficeStore
    + Health
    + Send
    + Sync
{
}

impl<T> Store for T where
    T: AccountStore
        + ApplicationStore
        + CaseStore
        + MessageStore
        + InboxStore
        + ConsentStore
        + PaymentStore
        + DocumentStore
        + VisitStore
        + AuditStore
        + SecondFactorStore
        + AccessLogStore
        + StaffAdminStore
        + LetterStore
        + ProfileStore
        + SessionStore
        + IdentityStore
        + JobStore
        + MailboxStore
        + OfficeStore
        + Health
        + Send
        + Sync
{
}

/// Opens the database named by `url` (`sqlite://…` or `postgres://…`) and
/// applies the embedded migrations when `migrate` is set. `audit_key` keys
/// the audit chain: it must come from outside the database (the vault key).
pub async fn connect(
    url: &str,
    migrate: bool,
    audit_key: audit::AuditKey,
) -> Result<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        let store = SqliteStore::connect(url).await?.with_audit_key(audit_key);
        if migrate {
            store.migrate().await?;
        }
        Ok(Arc::new(store))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = PgStore::connect(url).await?.with_audit_key(audit_key);
        if migrate {
            store.migrate().await?;
        }
        Ok(Arc::new(store))
    } else {
        Err(StoreError::Config(
            "database URL must start with sqlite:// or postgres://".into(),
        ))
    }
}

/// Ties a store type to its sqlx database, for helpers shared through macros.
pub(crate) trait Backend {
    type Db: sqlx::Database;
    /// A write transaction as `begin_write` gives it.
    type WriteTx;
}
