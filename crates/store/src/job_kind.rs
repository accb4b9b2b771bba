//! Names of the outbox job kinds. Stored in the database: never rename one.

/// Deliver a one-time code (payload: `CodeDelivery`).
pub const DELIVER_CODE: &str = "deliver_code";
/// Check identity data against the registries (payload: account id and version).
pub const VERIFY_IDENTITY: &str = "verify_identity";
/// Tell a person about a change of their account (payload: `Notice`).
pub const NOTIFY: &str = "notify";
/// Remove expired sessions; reschedules itself.
pub const PURGE_SESSIONS: &str = "purge_sessions";
/// Print a registered letter with its code into the outbound post queue.
pub const PRINT_LETTER: &str = "print_letter";
/// A consent that ran out of time: mark it expired and settle it (payload: consent id).
pub const CONSENT_EXPIRE: &str = "consent_expire";
/// Return the application of a refused or expired consent (payload: consent id).
pub const CONSENT_SETTLE: &str = "consent_settle";
/// Remind a person of their visit if it is still booked (payload: appointment, application, hours before).
pub const VISIT_REMINDER: &str = "visit_reminder";
/// Ask the payment provider about a payment whose callback never came (payload: payment id).
pub const PAYMENT_RECONCILE: &str = "payment_reconcile";
/// Give back a payment that was not needed (payload: payment id).
pub const PAYMENT_REFUND: &str = "payment_refund";
/// Make a document of an application and keep it (payload: `app::documents::Making`).
pub const MAKE_DOCUMENT: &str = "make_document";
/// Fill the applicant's surname of applications from before migration 0026,
/// in batches; queues its own next run (payload: `{"after": id}`, empty at first).
pub const FILL_APPLICANT_SURNAMES: &str = "fill_applicant_surnames";
