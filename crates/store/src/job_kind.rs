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
