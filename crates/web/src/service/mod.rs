//! Use cases shared by the pages and the API, so both apply the same rules
//! and never disagree. Each takes validated-or-raw input and returns domain
//! results or an `AppError` with a stable code.

pub mod accounts;
pub(crate) mod attempts;
pub mod confirmation;
pub mod identity;
pub mod notice;
pub mod profile;
pub mod second_factor;
pub mod security;
pub mod staff;

/// Today's date in Moscow time, for date rules (birth dates, issue dates).
pub fn today(now_ms: i64) -> time::Date {
    let moscow = time::UtcOffset::from_hms(3, 0, 0).unwrap_or(time::UtcOffset::UTC);
    time::OffsetDateTime::from_unix_timestamp(now_ms / 1000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(moscow)
        .date()
}

/// A moment as people in Russia read it: Moscow time, `25.11.2026 14:03`.
pub fn moscow_time(now_ms: i64) -> String {
    let moscow = time::UtcOffset::from_hms(3, 0, 0).unwrap_or(time::UtcOffset::UTC);
    let fmt = time::macros::format_description!("[day].[month].[year] [hour]:[minute] МСК");
    time::OffsetDateTime::from_unix_timestamp(now_ms / 1000)
        .map(|t| t.to_offset(moscow))
        .ok()
        .and_then(|t| t.format(&fmt).ok())
        .unwrap_or_default()
}
