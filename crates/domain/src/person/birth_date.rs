//! Dates typed into forms, and the date of birth with its plausibility limits.

use crate::Invalid;
use std::fmt;
use time::{Date, Month};

/// Nobody alive is older than this, so an earlier date is a typo.
const MAX_AGE_YEARS: i32 = 120;

/// Parses "1990-05-17" (ISO) or "17.05.1990" (Russian). Impossible dates such
/// as 31.02 are refused with the same "date.format".
pub fn parse_date(input: &str) -> Result<Date, Invalid> {
    let err = Invalid::new("date.format");
    let b = input.trim().as_bytes();
    let num = |r: &[u8]| -> Result<u16, Invalid> {
        if r.is_empty() || !r.iter().all(u8::is_ascii_digit) {
            return Err(err);
        }
        Ok(r.iter().fold(0, |acc, d| acc * 10 + u16::from(d - b'0')))
    };
    let (y, m, d) = match b {
        [y @ .., b'-', _, _, b'-', _, _] if y.len() == 4 => {
            (num(y)?, num(&b[5..7])?, num(&b[8..])?)
        }
        [_, _, b'.', _, _, b'.', y @ ..] if y.len() == 4 => {
            (num(y)?, num(&b[3..5])?, num(&b[..2])?)
        }
        _ => return Err(err),
    };
    let month = Month::try_from(u8::try_from(m).map_err(|_| err)?).map_err(|_| err)?;
    let day = u8::try_from(d).map_err(|_| err)?;
    Date::from_calendar_date(i32::from(y), month, day).map_err(|_| err)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BirthDate(Date);

impl BirthDate {
    /// `today` comes from the caller: the domain never reads the clock.
    pub fn parse(input: &str, today: Date) -> Result<Self, Invalid> {
        let date = parse_date(input)?;
        if date > today {
            return Err(Invalid::new("date.future"));
        }
        if date < years_before(today, MAX_AGE_YEARS) {
            return Err(Invalid::new("date.too_old"));
        }
        Ok(Self(date))
    }

    pub fn date(&self) -> Date {
        self.0
    }

    /// Full years of age on `today` (0 if `today` is before the birth).
    pub fn age_on(&self, today: Date) -> u32 {
        let mut years = today.year() - self.0.year();
        if (today.month() as u8, today.day()) < (self.0.month() as u8, self.0.day()) {
            years -= 1;
        }
        u32::try_from(years).unwrap_or(0)
    }
}

/// Same calendar day `years` earlier; 29 February falls back to the 28th.
fn years_before(today: Date, years: i32) -> Date {
    let y = today.year() - years;
    today
        .replace_year(y)
        .or_else(|_| Date::from_calendar_date(y, today.month(), 28))
        .unwrap_or(Date::MIN)
}

impl fmt::Display for BirthDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        write!(f, "{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
    }
}

crate::identifiers::serialize_as_display!(BirthDate);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    const TODAY: Date = date!(2025 - 06 - 15);

    fn code(s: &str) -> &'static str {
        BirthDate::parse(s, TODAY).unwrap_err().code
    }

    #[test]
    fn both_formats() {
        assert_eq!(parse_date("1990-05-17").unwrap(), date!(1990 - 05 - 17));
        assert_eq!(parse_date(" 17.05.1990 ").unwrap(), date!(1990 - 05 - 17));
        assert_eq!(parse_date("29.02.2000").unwrap(), date!(2000 - 02 - 29));
        let b = BirthDate::parse("17.05.1990", TODAY).unwrap();
        assert_eq!(b.to_string(), "1990-05-17");
        assert_eq!(b.date(), date!(1990 - 05 - 17));
        assert_eq!(b.age_on(TODAY), 35);
        assert_eq!(b.age_on(date!(2025 - 05 - 16)), 34);
    }

    #[test]
    fn refuses_invalid() {
        for s in [
            "",
            "31.02.1990",
            "29.02.2001",
            "1990-13-01",
            "00.01.1990",
            "1990-5-17",
            "17/05/1990",
            "17.05.90",
            "１７.０５.１９９０",
            "+990-05-17",
            "1990-05-17T00:00",
            "٠١.٠١.١٩٩٠",
            &"1".repeat(100_000),
        ] {
            assert_eq!(code(s), "date.format", "{s:?}");
        }
        assert_eq!(code("16.06.2025"), "date.future");
        assert!(BirthDate::parse("15.06.2025", TODAY).is_ok());
        assert!(BirthDate::parse("15.06.1905", TODAY).is_ok());
        assert_eq!(code("14.06.1905"), "date.too_old");
        assert_eq!(
            years_before(date!(2024 - 02 - 29), 120),
            date!(1904 - 02 - 29)
        );
        assert_eq!(
            years_before(date!(2024 - 02 - 29), 1),
            date!(2023 - 02 - 28)
        );
    }

    proptest! {
        #[test]
        fn display_round_trips(days in 0i64..43_000) {
            let d = TODAY - time::Duration::days(days);
            let b = BirthDate::parse(&d.to_string(), TODAY).unwrap();
            prop_assert_eq!(BirthDate::parse(&b.to_string(), TODAY).unwrap(), b);
            prop_assert_eq!(b.date(), d);
        }

        #[test]
        fn never_panics(s in any::<String>(), t in "\\PC*") {
            let _ = BirthDate::parse(&s, TODAY);
            let _ = parse_date(&t);
            let _ = BirthDate::parse(&t, Date::MIN);
        }
    }
}
