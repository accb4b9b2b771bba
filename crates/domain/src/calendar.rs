//! The production calendar: which days are working days (Monday to Friday,
//! except holidays, plus weekends made working by a transfer), and legal
//! deadlines counted in working or calendar days (SPEC §4). The calendar is
//! data, one decree per year; a year without a decree counts the holidays
//! of the Labour Code (art. 112) on the dates they fall.

use std::collections::BTreeSet;
use time::{Date, Duration, Month, Weekday};

/// One year as its decree sets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Year {
    pub year: i32,
    /// The decree (or "Трудовой кодекс, ст. 112" while none is out).
    pub source: String,
    /// Monday-to-Friday days that are not working days.
    pub days_off: Vec<Date>,
    /// Saturdays and Sundays that are working days.
    pub working: Vec<Date>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductionCalendar {
    years: BTreeSet<i32>,
    days_off: BTreeSet<Date>,
    working: BTreeSet<Date>,
}

/// The non-working holidays of the Labour Code (art. 112): January 1–8,
/// February 23, March 8, May 1 and 9, June 12, November 4.
fn statutory(year: i32) -> Vec<Date> {
    let on = |m: Month, d: u8| Date::from_calendar_date(year, m, d).ok();
    (1..=8)
        .map(|d| on(Month::January, d))
        .chain([
            on(Month::February, 23),
            on(Month::March, 8),
            on(Month::May, 1),
            on(Month::May, 9),
            on(Month::June, 12),
            on(Month::November, 4),
        ])
        .flatten()
        .collect()
}

/// Mistakes in the calendar's data, each a sentence.
pub fn check(years: &[Year]) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for y in years {
        if !seen.insert(y.year) {
            out.push(format!("{} is given twice", y.year));
        }
        for d in y.days_off.iter().chain(&y.working) {
            if d.year() != y.year {
                out.push(format!("{d} is not in {}", y.year));
            }
        }
        for d in &y.days_off {
            if is_weekend(*d) {
                out.push(format!("{d} is a weekend: days_off lists weekdays only"));
            }
        }
        for d in &y.working {
            if !is_weekend(*d) {
                out.push(format!("{d} is a weekday: working lists weekends only"));
            }
        }
    }
    out
}

fn is_weekend(d: Date) -> bool {
    matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

impl ProductionCalendar {
    pub fn new(years: &[Year]) -> Self {
        Self {
            years: years.iter().map(|y| y.year).collect(),
            days_off: years
                .iter()
                .flat_map(|y| y.days_off.iter().copied())
                .collect(),
            working: years
                .iter()
                .flat_map(|y| y.working.iter().copied())
                .collect(),
        }
    }

    /// A holiday of the Labour Code (also on a weekend), or a weekday the
    /// decree made a day off: offices that receive on weekends close too.
    pub fn is_holiday(&self, d: Date) -> bool {
        statutory(d.year()).contains(&d) || (!is_weekend(d) && !self.is_working(d))
    }

    /// A weekend day the decree made a working day.
    pub fn is_moved_working_day(&self, d: Date) -> bool {
        is_weekend(d) && self.is_working(d)
    }

    pub fn is_working(&self, d: Date) -> bool {
        if !self.years.contains(&d.year()) {
            return !is_weekend(d) && !statutory(d.year()).contains(&d);
        }
        if is_weekend(d) {
            self.working.contains(&d)
        } else {
            !self.days_off.contains(&d)
        }
    }

    /// The day `n` working days after `from` (the day of submission is not
    /// counted). `None` past the calendar's end of time.
    pub fn add_working_days(&self, from: Date, n: u16) -> Option<Date> {
        let mut d = from;
        let mut left = n;
        while left > 0 {
            d = d.checked_add(Duration::days(1))?;
            if self.is_working(d) {
                left -= 1;
            }
        }
        Some(d)
    }

    /// A legal time: `days` working or calendar days after `from`; a
    /// calendar-day time that ends on a non-working day moves to the next
    /// working day (Civil Code, art. 193).
    pub fn deadline(&self, from: Date, days: u16, working_days: bool) -> Option<Date> {
        if working_days {
            return self.add_working_days(from, days);
        }
        let mut d = from.checked_add(Duration::days(i64::from(days)))?;
        while !self.is_working(d) {
            d = d.checked_add(Duration::days(1))?;
        }
        Some(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    /// 2026 as Decree No. 1466 of 24.09.2025 sets it.
    fn y2026() -> Year {
        Year {
            year: 2026,
            source: "Постановление Правительства РФ от 24.09.2025 № 1466".into(),
            days_off: vec![
                date!(2026 - 01 - 01),
                date!(2026 - 01 - 02),
                date!(2026 - 01 - 05),
                date!(2026 - 01 - 06),
                date!(2026 - 01 - 07),
                date!(2026 - 01 - 08),
                date!(2026 - 01 - 09),
                date!(2026 - 02 - 23),
                date!(2026 - 03 - 09),
                date!(2026 - 05 - 01),
                date!(2026 - 05 - 11),
                date!(2026 - 06 - 12),
                date!(2026 - 11 - 04),
                date!(2026 - 12 - 31),
            ],
            working: vec![],
        }
    }

    #[test]
    fn working_days_skip_holidays_and_weekends() {
        let c = ProductionCalendar::new(&[y2026()]);
        assert!(check(&[y2026()]).is_empty());
        // From Wednesday 2026-12-23: the 24th, 25th, 28th, 29th and 30th; then
        // December 31 (the decree) and January 1–8 (the Labour Code, while
        // 2027's decree is not out) are off, so the sixth is January 11.
        assert_eq!(
            c.add_working_days(date!(2026 - 12 - 23), 5),
            Some(date!(2026 - 12 - 30))
        );
        assert_eq!(
            c.add_working_days(date!(2026 - 12 - 23), 6),
            Some(date!(2027 - 01 - 11))
        );
        // Three working days from Friday 2026-11-06: 9, 10, 11 November.
        assert_eq!(
            c.add_working_days(date!(2026 - 11 - 06), 3),
            Some(date!(2026 - 11 - 11))
        );
        // Over the May holidays.
        assert_eq!(
            c.add_working_days(date!(2026 - 04 - 30), 1),
            Some(date!(2026 - 05 - 04))
        );
        assert_eq!(
            c.add_working_days(date!(2026 - 05 - 08), 1),
            Some(date!(2026 - 05 - 12))
        );
        // Thirty calendar days ending on Sunday 2026-12-27 move to Monday.
        assert_eq!(
            c.deadline(date!(2026 - 11 - 27), 30, false),
            Some(date!(2026 - 12 - 28))
        );
        assert_eq!(c.deadline(date!(9999 - 12 - 30), 30, false), None);
    }

    #[test]
    fn mistakes_in_the_data_are_named() {
        let mut bad = y2026();
        bad.days_off.push(date!(2026 - 01 - 03));
        bad.working.push(date!(2026 - 01 - 12));
        bad.days_off.push(date!(2027 - 01 - 11));
        let problems = check(&[bad, y2026()]);
        assert_eq!(problems.len(), 4, "{problems:?}");
    }

    proptest! {
        /// n working days later is a working day, and exactly n working days
        /// lie after the start up to it.
        #[test]
        fn counting_is_exact(start in 0i64..1500, n in 1u16..60) {
            let c = ProductionCalendar::new(&[y2026()]);
            let from = date!(2025 - 06 - 01) + Duration::days(start);
            let end = c.add_working_days(from, n).unwrap_or(from);
            prop_assert!(c.is_working(end));
            let mut count = 0;
            let mut d = from;
            while d < end {
                d += Duration::days(1);
                if c.is_working(d) { count += 1; }
            }
            prop_assert_eq!(count, n);
        }
    }
}
