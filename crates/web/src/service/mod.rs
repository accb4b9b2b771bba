//! Use cases shared by the pages and the API, so both apply the same rules
//! and never disagree. Each takes validated-or-raw input and returns domain
//! results or an `AppError` with a stable code.

pub mod accounts;
pub mod identity;

/// Today's date in Moscow time, for date rules (birth dates, issue dates).
pub fn today(now_ms: i64) -> time::Date {
    let moscow = time::UtcOffset::from_hms(3, 0, 0).unwrap_or(time::UtcOffset::UTC);
    time::OffsetDateTime::from_unix_timestamp(now_ms / 1000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(moscow)
        .date()
}
