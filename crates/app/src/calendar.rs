//! The production calendar shipped with the portal (`register/calendar.toml`),
//! parsed and checked: legal deadlines count working days by it.

use domain::calendar::{ProductionCalendar, Year};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    year: Vec<RawYear>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawYear {
    year: i32,
    source: String,
    #[serde(default)]
    days_off: Vec<String>,
    #[serde(default)]
    working: Vec<String>,
}

/// Parses and checks a calendar file; the first mistake, named.
pub fn parse(text: &str) -> Result<ProductionCalendar, String> {
    let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
    let dates = |v: &[String]| -> Result<Vec<time::Date>, String> {
        v.iter()
            .map(|d| domain::person::parse_date(d).map_err(|_| format!("{d} is not a date")))
            .collect()
    };
    let years = file
        .year
        .iter()
        .map(|y| {
            Ok(Year {
                year: y.year,
                source: y.source.clone(),
                days_off: dates(&y.days_off)?,
                working: dates(&y.working)?,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    match domain::calendar::check(&years).into_iter().next() {
        Some(problem) => Err(problem),
        None => Ok(ProductionCalendar::new(&years)),
    }
}

/// The calendar shipped with the portal.
pub fn builtin() -> Result<ProductionCalendar, String> {
    parse(include_str!("../register/calendar.toml"))
        .map_err(|e| format!("register/calendar.toml: {e}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_shipped_calendar_loads_and_counts() {
        let c = builtin().unwrap();
        assert!(!c.is_working(date!(2026 - 12 - 31)));
        assert!(c.is_working(date!(2026 - 12 - 30)));
        // Ten working days for registration from Friday 2026-11-27.
        assert_eq!(
            c.deadline(date!(2026 - 11 - 27), 10, true),
            Some(date!(2026 - 12 - 11))
        );
        assert!(
            parse("[[year]]\nyear = 2026\nsource = \"x\"\ndays_off = [\"2026-01-03\"]")
                .unwrap_err()
                .contains("weekend")
        );
        assert!(parse("[[year]]\nyear = 2026\nsource = \"x\"\ncolour = 1").is_err());
    }
}
