//! Records that cross the Store boundary. Plain data: validation happened before.

use domain::account::{AccountStatus, AssuranceLevel, FailureReason, Role, VerificationState};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct NewAccount {
    pub id: Uuid,
    pub surname: String,
    pub given_name: String,
    pub patronymic: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub password_hash: String,
    pub status: AccountStatus,
    pub level: AssuranceLevel,
    pub role: Role,
    pub office_id: Option<Uuid>,
    /// The language of the person's pages and notices (`ru`, `en`, …).
    pub lang: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: Uuid,
    pub surname: String,
    pub given_name: String,
    pub patronymic: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub status: AccountStatus,
    pub level: AssuranceLevel,
    pub role: Role,
    pub office_id: Option<Uuid>,
    pub created_at: i64,
}

/// What the login check needs, and nothing more.
#[derive(Debug, Clone)]
pub struct AuthRecord {
    pub id: Uuid,
    pub password_hash: String,
    pub status: AccountStatus,
    pub role: Role,
}

/// The identifier a person typed at the login form, already normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginLookup {
    Phone(String),
    Email(String),
    /// The keyed hash of a SNILS (the number itself is only stored encrypted).
    SnilsLookup(String),
}

#[derive(Debug, Clone)]
pub struct NewChallenge {
    pub id: Uuid,
    pub account_id: Uuid,
    pub purpose: domain::otp::Purpose,
    pub channel: domain::otp::ChallengeChannel,
    pub destination: String,
    pub code_hash: String,
    /// The identity version a confirmation challenge was issued for.
    pub identity_version: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub id: Uuid,
    pub account_id: Uuid,
    pub purpose: domain::otp::Purpose,
    pub channel: domain::otp::ChallengeChannel,
    pub destination: String,
    pub code_hash: String,
    pub sent_at: i64,
    pub sends: u32,
    pub attempts: u32,
    pub consumed: bool,
    pub identity_version: Option<i64>,
}

/// A challenge as it is right after one more attempt was counted on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeAttempt {
    pub id: Uuid,
    /// `None` for a decoy (a reset started for a login that does not exist).
    pub account_id: Option<Uuid>,
    pub purpose: domain::otp::Purpose,
    pub channel: domain::otp::ChallengeChannel,
    pub destination: String,
    pub code_hash: String,
    /// Attempts counted so far, this one included.
    pub attempts: u32,
    pub identity_version: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewJob {
    pub id: Uuid,
    pub kind: String,
    pub payload: String,
    /// Jobs with the same key are enqueued once (e.g. one notice per event).
    pub dedup_key: Option<String>,
    pub run_at: i64,
    pub max_attempts: u32,
}

impl NewJob {
    pub fn now(kind: &str, payload: String, now: i64) -> Self {
        Self {
            id: Uuid::now_v7(),
            kind: kind.to_owned(),
            payload,
            dedup_key: None,
            run_at: now,
            max_attempts: 20,
        }
    }

    pub fn dedup(mut self, key: String) -> Self {
        self.dedup_key = Some(key);
        self
    }

    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n;
        self
    }
}

/// Moments before which records are no longer needed (unix ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurgeBefore {
    /// Now: a job whose worker died on its last attempt, its lease over, is
    /// recorded dead (it is never claimed again).
    pub now: i64,
    pub challenges: i64,
    pub finished_jobs: i64,
    pub failures: i64,
}

/// A job claimed by one worker until `locked_until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: Uuid,
    pub kind: String,
    pub payload: String,
    /// Attempts including this one.
    pub attempts: u32,
    pub max_attempts: u32,
}

/// A job that failed for good: what it was and why, never its payload
/// (which may carry a person's contact).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadJob {
    pub id: Uuid,
    pub kind: String,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub done_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JobStats {
    pub pending: u64,
    pub done: u64,
    pub dead: u64,
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub token_hash: String,
    pub account_id: Uuid,
    pub kind: SessionKind,
    pub csrf_token: String,
    pub user_agent: String,
    pub expires_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// A browser session carried in a cookie.
    Cookie,
    /// An API client's bearer token.
    Bearer,
}

impl SessionKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Cookie => "cookie",
            Self::Bearer => "bearer",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub token_hash: String,
    pub account_id: Uuid,
    pub kind: String,
    pub csrf_token: String,
    pub user_agent: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewIdentity {
    pub account_id: Uuid,
    /// The name as in the documents; the account takes it over.
    pub surname: String,
    pub given_name: String,
    pub patronymic: Option<String>,
    pub document_kind: String,
    pub snils_lookup: String,
    pub key_id: String,
    pub sealed: Vec<u8>,
    /// What lists may show: masked numbers only.
    pub masked: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityRecord {
    pub account_id: Uuid,
    pub version: i64,
    pub document_kind: String,
    pub snils_lookup: String,
    pub key_id: String,
    pub sealed: Vec<u8>,
    pub masked: String,
    pub state: VerificationState,
    pub failure_reason: Option<FailureReason>,
    pub submitted_at: i64,
    pub checked_at: Option<i64>,
    /// A confirmation applied when this version is verified (service centre).
    pub pending_confirmation: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoMessage {
    pub id: Uuid,
    pub channel: String,
    pub destination: String,
    pub subject: String,
    pub body: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Office {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub address: String,
    pub time_zone: String,
    /// Region / district codes the office serves (routing by address).
    pub territory: Vec<String>,
}

/// Reception hours of one weekday (1 = Monday), minutes from midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfficeHours {
    pub weekday: u8,
    pub opens_min: u16,
    pub closes_min: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub id: Uuid,
    /// The chain this event belongs to (see `audit`); `seq` counts within it.
    pub lane: i64,
    pub seq: i64,
    pub at: i64,
    pub actor_id: Option<Uuid>,
    pub actor_role: Option<String>,
    pub office_id: Option<Uuid>,
    pub action: String,
    pub subject_id: Option<Uuid>,
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The tip of one lane of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditHead {
    pub lane: i64,
    pub seq: i64,
    pub hash: String,
}

/// Who did something, as the audit log and the access log record it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffActor {
    pub id: Uuid,
    pub role: Role,
    pub office_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpRecord {
    pub method: domain::totp::FactorMethod,
    pub key_id: String,
    pub sealed_secret: Vec<u8>,
    pub enabled: bool,
    pub last_step: i64,
}

/// One staff read of a person's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataAccess {
    pub id: Uuid,
    pub person_id: Uuid,
    pub staff_id: Uuid,
    pub staff_role: String,
    pub office_id: Option<Uuid>,
    pub at: i64,
    /// Why: a code such as `identity_confirmation`.
    pub purpose: String,
    /// Which case: an application number, a request id.
    pub reference: String,
}

/// Filters of the auditors' view of the log.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only events older than this one (ids are time-ordered UUIDv7).
    pub before: Option<Uuid>,
    pub action_prefix: Option<String>,
    pub actor_id: Option<Uuid>,
    pub subject_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    pub id: Uuid,
    pub account_id: Uuid,
    pub address: String,
    pub code_hash: String,
    pub attempts: u32,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    /// The identity version the letter confirms; a resubmission voids it.
    pub identity_version: i64,
    pub voided_at: Option<i64>,
}

/// A printed letter waiting to be handed to the post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostItem {
    pub letter_id: Uuid,
    pub address: String,
    pub key_id: String,
    pub sealed_body: Vec<u8>,
    pub queued_at: i64,
}

/// A stored address of a person (`registration` or `postal`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub kind: String,
    /// Two-digit code of the region (subject of the federation).
    pub region_code: String,
    pub postcode: String,
    pub region: String,
    pub city: String,
    pub street: String,
    pub house: String,
    pub flat: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationPref {
    pub kind: String,
    pub channel: String,
    pub enabled: bool,
}

/// A new draft application; the answers are sealed by the caller.
#[derive(Debug, Clone)]
pub struct NewDraft {
    pub id: Uuid,
    pub account_id: Uuid,
    pub service: String,
    pub key_id: String,
    pub sealed: Vec<u8>,
}

/// An application as stored (answers sealed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationRecord {
    pub id: Uuid,
    pub account_id: Uuid,
    pub service: String,
    pub status: domain::application::Status,
    pub version: i64,
    pub key_id: String,
    pub sealed: Vec<u8>,
    pub number: Option<String>,
    pub late: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub submitted_at: Option<i64>,
    /// The office it was routed to (none while a draft, or when no office
    /// serves its address).
    pub office_id: Option<Uuid>,
    /// The last day of the legal time, `YYYY-MM-DD`.
    pub deadline: Option<String>,
}

/// A client's `Idempotency-Key` and what the request was (method, path and
/// body hashed), written in the transaction that does the work.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    pub key: String,
    pub fingerprint: String,
}

/// Either the work was done now, or the key had done it before: the id of
/// the resource it made (the caller answers with its current state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Once<T> {
    Done(T),
    Replayed(Uuid),
}

/// A draft that passed the electronic check, to become `submitted`.
#[derive(Debug, Clone)]
pub struct Submission {
    pub id: Uuid,
    pub account_id: Uuid,
    /// The version the check was made on: a change since is `Stale`.
    pub version: i64,
    /// The answers as checked (cleaned), sealed.
    pub key_id: String,
    pub sealed: Vec<u8>,
    /// The service's code when it allows one open application per person.
    pub open_key: Option<String>,
    pub late: bool,
    /// The year the number carries.
    pub year: i32,
    /// The files the answers name: still there under the row lock, or the
    /// submission is refused (`Conflict("application.files_changed")`).
    pub files: Vec<String>,
    pub notice: Option<NewJob>,
    /// Where it goes and by when it must be decided.
    pub office_id: Option<Uuid>,
    pub deadline: Option<String>,
    /// The owner's consent it waits for, with its jobs (expiry, the owner's notice).
    pub consent: Option<NewConsent>,
    /// The state fee, at the first submission of a service with one.
    pub charge: Option<NewCharge>,
    /// Further jobs of the submission (the application receipt's making).
    pub jobs: Vec<NewJob>,
}

/// What a submission gave: the number and the new version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    pub number: String,
    pub version: i64,
}

/// One entry of an application's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationEvent {
    pub at: i64,
    pub actor_id: Option<Uuid>,
    pub from: Option<domain::application::Status>,
    pub to: domain::application::Status,
    pub note: Option<String>,
}

/// A file attached to an application's answers (the bytes are in the blob store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// 32 lower-case hex digits, the value the answers hold.
    pub id: String,
    pub application_id: Uuid,
    pub account_id: Uuid,
    /// The JSON Pointer of the field it was uploaded for.
    pub field: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
    pub file_name: String,
    pub object_key: String,
    /// The vault key the bytes are sealed with.
    pub key_id: String,
    pub created_at: i64,
}

/// Who takes a lifecycle step; the step is bound to what they may touch.
#[derive(Debug, Clone)]
pub enum StepBy {
    /// The owner: the application must be theirs.
    Owner(Uuid),
    /// Staff: the application must be at their office.
    Staff(StaffActor),
    /// The portal itself (a consent not given in time, a visit missed).
    System,
}

/// One lifecycle step, applied by `CaseStore::transition` in one
/// transaction: status, history, audit and outbox jobs.
#[derive(Debug, Clone)]
pub struct Transition {
    pub id: Uuid,
    /// The version the decision was made on: a change since is `Stale`.
    pub version: i64,
    pub from: domain::application::Status,
    pub to: domain::application::Status,
    pub by: StepBy,
    /// What the step carried (comments, a reason, a visit), as JSON.
    pub note: Option<String>,
    pub jobs: Vec<NewJob>,
    /// New sealed answers (key id, bytes): a resubmission's corrections.
    pub answers: Option<(String, Vec<u8>)>,
    /// A new consent round (a resubmission of a registration at a dwelling).
    pub consent: Option<NewConsent>,
}

/// Which of an office's applications to list.
#[derive(Debug, Clone)]
pub struct QueueQuery {
    /// `None`: the applications no office serves (administrators route them).
    pub office_id: Option<Uuid>,
    /// `None`: every open application.
    pub queue: Option<domain::lifecycle::Queue>,
    /// `YYYY-MM-DD` in the office's zone, for "overdue".
    pub today: String,
    pub number: Option<String>,
    /// A prefix of the surname, as stored (capitalised).
    pub surname: Option<String>,
    pub service: Option<String>,
    /// Keyset: after this (submitted_at, id).
    pub after: Option<(i64, Uuid)>,
    pub limit: u32,
}

/// A line of a queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueRow {
    pub id: Uuid,
    pub account_id: Uuid,
    pub number: Option<String>,
    pub service: String,
    pub status: domain::application::Status,
    pub version: i64,
    pub submitted_at: i64,
    pub deadline: Option<String>,
    pub resubmitted: bool,
    pub surname: String,
    pub given_name: String,
    pub patronymic: Option<String>,
    /// The applicant's messages the office has not read.
    pub unread: i64,
}

/// A message of an application's thread, sealed.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub id: Uuid,
    pub application_id: Uuid,
    pub from_office: bool,
    pub author_id: Uuid,
    pub office_id: Option<Uuid>,
    pub key_id: String,
    pub sealed: Vec<u8>,
    pub files: Vec<MessageFile>,
    /// The other side's notice, if any.
    pub notice: Option<NewJob>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageFile {
    pub id: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
    pub file_name: String,
    pub object_key: String,
    pub key_id: String,
}

#[derive(Debug, Clone)]
pub struct MessageRecord {
    pub id: Uuid,
    pub application_id: Uuid,
    pub from_office: bool,
    pub author_id: Uuid,
    pub office_id: Option<Uuid>,
    pub key_id: String,
    pub sealed: Vec<u8>,
    pub created_at: i64,
    pub read_at: Option<i64>,
    pub files: Vec<MessageFile>,
}

/// A notice kept in the person's inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxItem {
    pub id: Uuid,
    pub account_id: Uuid,
    pub kind: String,
    pub subject_key: String,
    pub body_key: String,
    /// JSON: the message's arguments as pairs.
    pub args: String,
    pub link: Option<String>,
    /// What made it (the notice's job): one item per notice.
    pub source: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

/// The consent state of an application's owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentStatus {
    Pending,
    Approved,
    Refused,
    Expired,
}

impl ConsentStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Refused => "refused",
            Self::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Approved, Self::Refused, Self::Expired]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// A consent request made with a submission.
#[derive(Debug, Clone)]
pub struct NewConsent {
    pub id: Uuid,
    pub owner_account_id: Option<Uuid>,
    /// The keyed hash of the code the applicant passes on, when the owner
    /// has no account found by SNILS.
    pub code_lookup: Option<String>,
    pub key_id: String,
    pub code_sealed: Option<Vec<u8>>,
    pub expires_at: i64,
    /// The expiry job and the owner's notice.
    pub jobs: Vec<NewJob>,
}

#[derive(Debug, Clone)]
pub struct ConsentRecord {
    pub id: Uuid,
    pub application_id: Uuid,
    pub owner_account_id: Option<Uuid>,
    pub key_id: String,
    pub code_sealed: Option<Vec<u8>>,
    pub status: ConsentStatus,
    pub created_at: i64,
    pub expires_at: i64,
    pub answered_at: Option<i64>,
}

/// An office's reception schedule as stored: the plan as JSON
/// (`domain::schedule::Schedule`) and the booking rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceptionSchedule {
    pub office_id: Uuid,
    pub schedule: String,
    pub slot_minutes: i64,
    pub horizon_days: i64,
    pub lead_minutes: i64,
    pub cutoff_minutes: i64,
    pub max_moves: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentRecord {
    pub id: Uuid,
    pub application_id: Uuid,
    pub office_id: Uuid,
    pub start_ms: i64,
    pub minutes: i64,
    /// Consecutive slots it takes (`minutes / places` each).
    pub places: i64,
    pub status: domain::schedule::VisitState,
    pub moves: i64,
    /// A schedule change left it outside the office's hours (SPEC §5: the
    /// person is asked to choose another time, free of the move limit).
    pub displaced: bool,
}

/// A visit of an office's day, with what the officer needs to receive it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayVisit {
    pub appointment: AppointmentRecord,
    pub arrived_at: Option<i64>,
    pub outcome: Option<String>,
    pub number: Option<String>,
    pub service: String,
    pub application_status: domain::application::Status,
    pub version: i64,
    pub surname: String,
    pub given_name: String,
    pub patronymic: Option<String>,
}

/// How a visit ended, with the application's step, in one transaction.
#[derive(Debug, Clone)]
pub struct VisitClose {
    pub appointment: Uuid,
    pub office_id: Uuid,
    /// `Served` or `Missed`.
    pub state: domain::schedule::VisitState,
    pub outcome: Option<String>,
    pub transition: Transition,
}

/// Bookings a schedule change left outside the hours, with their notices.
#[derive(Debug, Clone, Default)]
pub struct Displacement {
    pub appointments: Vec<Uuid>,
    pub jobs: Vec<NewJob>,
}

/// A booking (or a move of one) to make in one transaction.
#[derive(Debug, Clone)]
pub struct Booking {
    pub id: Uuid,
    pub application_id: Uuid,
    pub account_id: Uuid,
    /// Who booked: the person, or an officer setting a time.
    pub booked_by: Uuid,
    pub office_id: Uuid,
    pub start_ms: i64,
    /// The whole visit's.
    pub minutes: i64,
    /// The slots whose places it takes (their starts, consecutive, the
    /// first at `start_ms`) with the windows the schedule gives each now.
    pub places: Vec<(i64, i64)>,
    /// The live booking this one replaces (a move).
    pub replaces: Option<Uuid>,
    /// The application's step to `invited` (a first booking).
    pub transition: Option<Transition>,
    /// Reminders and notices.
    pub jobs: Vec<NewJob>,
    /// The request's key: a retry replays (the appointment it made).
    pub idem: Option<IdempotencyKey>,
}

/// An edition of the fee schedule as stored: its rates as JSON
/// (`domain::fees::Rate` list), read back and checked by `app`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeEditionRow {
    /// `YYYY-MM-DD`.
    pub from: String,
    pub discount_percent: i64,
    pub rates: String,
    pub created_by: Option<Uuid>,
    pub created_at: i64,
}

/// Where a charge stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChargeStatus {
    Due,
    Paid,
    /// The application ended before it was paid.
    Cancelled,
    /// Paid, then given back (the application was cancelled).
    Refunded,
}

impl ChargeStatus {
    pub const ALL: [Self; 4] = [Self::Due, Self::Paid, Self::Cancelled, Self::Refunded];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Due => "due",
            Self::Paid => "paid",
            Self::Cancelled => "cancelled",
            Self::Refunded => "refunded",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// A charge made with a submission; the store gives it its UIN.
#[derive(Debug, Clone)]
pub struct NewCharge {
    pub id: Uuid,
    pub fee_key: String,
    pub category: String,
    pub kopecks: i64,
    pub discount_percent: i64,
    pub portal_kopecks: i64,
    /// The stage it is due before (`domain::catalogue::Stage` in snake case).
    pub due_stage: String,
    /// `YYYY-MM-DD`: the day of the fee.
    pub accrued_on: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeRecord {
    pub id: Uuid,
    pub uin: String,
    pub application_id: Uuid,
    pub account_id: Uuid,
    pub fee_key: String,
    pub category: String,
    pub kopecks: i64,
    pub discount_percent: i64,
    pub portal_kopecks: i64,
    pub due_stage: String,
    pub accrued_on: String,
    pub status: ChargeStatus,
    /// The payment that paid it.
    pub paid_by: Option<Uuid>,
    pub created_at: i64,
    pub paid_at: Option<i64>,
}

/// How a payment was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentChannel {
    /// Through the portal's payment provider.
    Portal,
    /// At a bank, recorded by an officer.
    Bank,
}

impl PaymentChannel {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Portal => "portal",
            Self::Bank => "bank",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Portal, Self::Bank]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// Where a payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Sent to the provider; the person is paying (or left).
    Created,
    Confirmed,
    /// The provider said it did not go through.
    Failed,
    /// The provider confirmed an amount other than the one asked: flagged.
    Mismatch,
    /// Confirmed, but not needed (the charge was paid already, or the
    /// application was cancelled): to be given back.
    RefundDue,
    Refunded,
}

impl PaymentStatus {
    pub const ALL: [Self; 6] = [
        Self::Created,
        Self::Confirmed,
        Self::Failed,
        Self::Mismatch,
        Self::RefundDue,
        Self::Refunded,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Confirmed => "confirmed",
            Self::Failed => "failed",
            Self::Mismatch => "mismatch",
            Self::RefundDue => "refund_due",
            Self::Refunded => "refunded",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRecord {
    pub id: Uuid,
    pub charge_id: Uuid,
    pub channel: PaymentChannel,
    /// The bank's reference for a bank payment.
    pub reference: Option<String>,
    /// What was asked.
    pub kopecks: i64,
    /// What the provider or the bank said was paid.
    pub paid_kopecks: Option<i64>,
    pub status: PaymentStatus,
    pub note: Option<String>,
    pub recorded_by: Option<Uuid>,
    pub created_at: i64,
    pub confirmed_at: Option<i64>,
    pub refunded_at: Option<i64>,
}

/// A payment through the provider, asked for by the charge's owner.
#[derive(Debug, Clone)]
pub struct NewPayment {
    pub id: Uuid,
    pub uin: String,
    pub account_id: Uuid,
}

/// A payment at a bank, recorded by an officer of the application's office.
#[derive(Debug, Clone)]
pub struct BankPayment {
    pub id: Uuid,
    pub uin: String,
    pub kopecks: i64,
    pub reference: String,
    pub by: StaffActor,
}

/// What confirming a payment came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// The charge is paid now.
    Paid { application_id: Uuid },
    /// Confirmed before: nothing changed.
    Repeated,
    /// Another amount than asked: flagged, the charge still due.
    Mismatch,
    /// Not needed (paid already, or the application ended): to be refunded.
    RefundDue,
    /// The provider says it failed: the charge still due.
    Failed,
}

impl Settled {
    /// As logged with a callback.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Paid { .. } => "accepted",
            Self::Repeated => "repeated",
            Self::Mismatch => "mismatch",
            Self::RefundDue => "refund_due",
            Self::Failed => "failed",
        }
    }
}

/// A provider's word about a payment (a callback or an answer to the
/// reconciliation's question), with the jobs each outcome needs.
#[derive(Debug, Clone)]
pub struct Settlement {
    pub payment_id: Uuid,
    /// None: the provider says it failed.
    pub paid_kopecks: Option<i64>,
    /// The callback's body, when it came as one (logged with its outcome).
    pub callback: Option<String>,
    /// Sent when the charge becomes paid (the person's notice).
    pub on_paid: Vec<NewJob>,
    /// Sent when the payment is to be refunded (the refund job).
    pub on_refund: Vec<NewJob>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackRecord {
    pub id: Uuid,
    pub received_at: i64,
    pub payment_id: Option<Uuid>,
    pub outcome: String,
    pub body: String,
}

/// A document's PDF once typeset: its blob, the key it is sealed under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypesetPdf {
    pub object_key: String,
    pub key_id: String,
    pub size: i64,
    pub standard: Option<String>,
}

/// A document issued to a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRecord {
    pub id: Uuid,
    pub account_id: Uuid,
    pub application_id: Option<Uuid>,
    /// `domain::document::DocumentKind` as stored.
    pub kind: String,
    pub title: String,
    pub number: String,
    /// Where its PDF is in the blob store, once typeset.
    pub object_key: String,
    /// The key its PDF is sealed under, or (until typeset) its words.
    pub key_id: String,
    /// The PDF's size; 0 until it is first typeset.
    pub size: i64,
    pub standard: Option<String>,
    pub source: String,
    pub created_at: i64,
    /// Its words (`domain::document::Document` as JSON), sealed with
    /// `key_id`; what the PDF is typeset from.
    pub words: Option<Vec<u8>>,
}
