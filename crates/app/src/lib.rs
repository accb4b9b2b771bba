//! The use cases of migportal. Every rule that decides something for a
//! person or a member of staff runs here, once, for the pages, the API, the
//! job worker and the command line alike. Nothing here knows about HTTP:
//! errors carry a kind and a stable code ([`AppError`]), which each edge
//! turns into its own terms (a status and a problem document, a re-rendered
//! form, an exit code).

pub mod accounts;
pub mod addresses;
pub mod applicant_steps;
pub mod applications;
pub mod attachments;
pub(crate) mod attempts;
pub mod blobs;
pub mod calendar;
pub mod cases;
pub mod catalogue;
pub mod config;
pub mod confirmation;
pub mod consents;
pub mod credentials;
pub mod documents;
pub mod error;
pub mod fees;
pub mod i18n;
pub mod identity;
pub mod inbox;
pub mod jobs;
pub mod messages;
pub mod notice;
pub mod payments;
pub mod profile;
pub mod queries;
pub mod replica;
pub mod second_factor;
pub mod security;
pub mod services;
pub mod session;
pub mod staff;
pub mod state;
pub mod visits;

pub use config::{PasswordCost, PaymentSettings, Settings};
pub use error::{AppError, ErrorKind};
pub use state::{Portal, system_clock};

/// Today's date in Moscow time, for date rules (birth dates, issue dates).
pub fn today(now_ms: i64) -> time::Date {
    let moscow = time::UtcOffset::from_hms(3, 0, 0).unwrap_or(time::UtcOffset::UTC);
    time::OffsetDateTime::from_unix_timestamp(now_ms / 1000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(moscow)
        .date()
}

/// A moment as people in Russia read it: Moscow time, `25.11.2026 14:03 МСК`
/// (notices keep it in their arguments; pages use [`i18n::Lang::moment`]).
pub fn moscow_time(now_ms: i64) -> String {
    i18n::Lang::RU.moment(now_ms)
}
