//! An office's reception schedule (SPEC §5, issue 18) as data, and the slot
//! arithmetic on it: a weekly plan of reception spans (breaks are the gaps
//! between spans, each span with its number of windows), exceptions for
//! single days (closed, shortened or extra hours), the national production
//! calendar, and the office's time zone. Slots are counted in the office's
//! local time and given in UTC; a local time a daylight-saving change skips
//! has no slot, one it repeats has its first.

use crate::calendar::ProductionCalendar;
use jiff::civil::{Date as CivilDate, DateTime};
use jiff::tz::{AmbiguousOffset, TimeZone};

/// An office's time zone (the IANA database is bundled).
pub use jiff::tz::TimeZone as Zone;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::Date;

/// Minutes of a day, from local midnight.
pub const DAY_MINUTES: u16 = 24 * 60;

/// A reception span of a day, `from` to `to` in local minutes, served by
/// `windows` officers at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub struct Span {
    pub from: u16,
    pub to: u16,
    pub windows: u16,
}

/// A day whose hours differ from the week's.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Exception {
    #[serde(with = "iso_date")]
    pub date: Date,
    /// None: closed; else the day's spans (shortened, or an extra day).
    pub spans: Vec<Span>,
}

/// An office's reception schedule.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Schedule {
    /// Monday first; an empty day is closed.
    pub week: [Vec<Span>; 7],
    pub exceptions: Vec<Exception>,
    /// The services received and the minutes a visit for each takes (a
    /// multiple of the slot length: it takes that many consecutive places of
    /// one window). Empty: every service, one slot each.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, u16>,
}

/// `YYYY-MM-DD` in JSON.
pub(crate) mod iso_date {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;
    use time::format_description::well_known::Iso8601;

    pub fn serialize<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&d.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let text = String::deserialize(d)?;
        Date::parse(&text, &Iso8601::DATE).map_err(serde::de::Error::custom)
    }
}

/// A bookable time: its start in UTC (Unix ms) and local, its length and how
/// many people it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub start_ms: i64,
    pub date: Date,
    /// Local minutes from midnight.
    pub minute: u16,
    pub minutes: u16,
    pub windows: u16,
}

/// Why a schedule cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// A span that ends before it starts, runs past midnight, or has no window.
    BadSpan,
    /// Two spans of a day overlap.
    Overlap,
    /// Two exceptions for one day.
    DuplicateException,
    /// A service's visit that is not a whole number of slots (or longer than four hours).
    ServiceMinutes,
}

impl Problem {
    pub const fn code(self) -> &'static str {
        match self {
            Self::BadSpan => "schedule.bad_span",
            Self::Overlap => "schedule.overlap",
            Self::DuplicateException => "schedule.duplicate_exception",
            Self::ServiceMinutes => "schedule.service_minutes",
        }
    }
}

fn check_day(spans: &[Span]) -> Result<(), Problem> {
    let mut sorted = spans.to_vec();
    sorted.sort_by_key(|s| s.from);
    for s in &sorted {
        if s.from >= s.to || s.to > DAY_MINUTES || s.windows == 0 {
            return Err(Problem::BadSpan);
        }
    }
    if sorted.windows(2).any(|w| w[0].to > w[1].from) {
        return Err(Problem::Overlap);
    }
    Ok(())
}

impl Schedule {
    /// The first mistake of a schedule, if any.
    pub fn check(&self) -> Result<(), Problem> {
        for day in &self.week {
            check_day(day)?;
        }
        let mut dates: Vec<Date> = self.exceptions.iter().map(|e| e.date).collect();
        dates.sort();
        if dates.windows(2).any(|w| w[0] == w[1]) {
            return Err(Problem::DuplicateException);
        }
        for e in &self.exceptions {
            check_day(&e.spans)?;
        }
        Ok(())
    }

    /// The first mistake of the services' visit lengths for slots of `minutes`.
    pub fn check_services(&self, minutes: u16) -> Result<(), Problem> {
        let bad = |m: u16| minutes == 0 || m == 0 || !m.is_multiple_of(minutes) || m > 240;
        if self.services.values().any(|m| bad(*m)) {
            return Err(Problem::ServiceMinutes);
        }
        Ok(())
    }

    /// How many consecutive slots of `minutes` a visit for `service` takes;
    /// `None` when the office does not receive for it.
    pub fn places_for(&self, service: &str, minutes: u16) -> Option<u16> {
        if self.services.is_empty() {
            return Some(1);
        }
        let m = *self.services.get(service)?;
        Some((m / minutes.max(1)).max(1))
    }

    /// The spans of a date: its exception; else closed on a holiday; else
    /// the weekday's (weekends too, for offices that receive then); a weekend
    /// the decree made a working day, if the office does not receive that
    /// weekday, has Monday's hours.
    pub fn spans_on(&self, date: Date, calendar: &ProductionCalendar) -> &[Span] {
        if let Some(e) = self.exceptions.iter().find(|e| e.date == date) {
            return &e.spans;
        }
        if calendar.is_holiday(date) {
            return &[];
        }
        let weekday = usize::from(date.weekday().number_days_from_monday());
        match &self.week[weekday] {
            day if day.is_empty() && calendar.is_moved_working_day(date) => &self.week[0],
            day => day,
        }
    }
}

fn civil(date: Date) -> Option<CivilDate> {
    CivilDate::new(
        i16::try_from(date.year()).ok()?,
        i8::try_from(u8::from(date.month())).ok()?,
        i8::try_from(date.day()).ok()?,
    )
    .ok()
}

/// The date an instant (Unix ms) falls on in `tz`, and its local minute.
pub fn local(tz: &TimeZone, ms: i64) -> Option<(Date, u16)> {
    let z = jiff::Timestamp::from_millisecond(ms)
        .ok()?
        .to_zoned(tz.clone());
    let date = Date::from_calendar_date(
        i32::from(z.year()),
        time::Month::try_from(u8::try_from(z.month()).ok()?).ok()?,
        u8::try_from(z.day()).ok()?,
    )
    .ok()?;
    let minute = u16::try_from(i32::from(z.hour()) * 60 + i32::from(z.minute())).ok()?;
    Some((date, minute))
}

/// The instants (Unix ms) a local date starts and ends at in `tz` (a day
/// a daylight-saving change shortens or lengthens included).
pub fn day_bounds(tz: &TimeZone, date: Date) -> Option<(i64, i64)> {
    let start = civil(date)?.to_zoned(tz.clone()).ok()?;
    let end = civil(date.next_day()?)?.to_zoned(tz.clone()).ok()?;
    Some((
        start.timestamp().as_millisecond(),
        end.timestamp().as_millisecond(),
    ))
}

/// `09:00` as minutes from midnight (`24:00` is the end of the day).
fn parse_clock(s: &str) -> Option<u16> {
    let (h, m) = s.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60 && h * 60 + m <= DAY_MINUTES).then_some(h * 60 + m)
}

/// A day's spans as people write them: `09:00-13:00 x3, 14:00-18:00 x2`
/// (an en dash for the hyphen and `×` for the `x` will do; without a
/// count a span has `windows`). Empty or `-`: closed. Checked as a day.
pub fn parse_spans(text: &str, windows: u16) -> Result<Vec<Span>, Problem> {
    let text = text.trim();
    if text.is_empty() || text == "-" || text == "—" {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for part in text.split([',', ';']) {
        let part = part.trim().replace('×', "x").replace(['–', '—'], "-");
        let (range, count) = match part.split_once('x') {
            Some((r, n)) => (r.trim().to_owned(), n.trim().parse::<u16>().ok()),
            None => (part.clone(), Some(windows)),
        };
        let (from, to) = range.split_once('-').ok_or(Problem::BadSpan)?;
        out.push(Span {
            from: parse_clock(from).ok_or(Problem::BadSpan)?,
            to: parse_clock(to).ok_or(Problem::BadSpan)?,
            windows: count.ok_or(Problem::BadSpan)?,
        });
    }
    check_day(&out)?;
    Ok(out)
}

/// A day's spans as [`parse_spans`] reads them.
pub fn spans_text(spans: &[Span]) -> String {
    spans
        .iter()
        .map(|s| {
            format!(
                "{:02}:{:02}-{:02}:{:02} x{}",
                s.from / 60,
                s.from % 60,
                s.to / 60,
                s.to % 60,
                s.windows
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The UTC instant (Unix ms) of a local time in `tz`: `None` for a time a
/// daylight-saving change skips; the earlier of a repeated one.
pub fn instant(tz: &TimeZone, date: Date, minute: u16) -> Option<i64> {
    let d = civil(date)?;
    // Fallible: `at` panics on an hour past 23.
    let time = jiff::civil::Time::new(
        i8::try_from(minute / 60).ok()?,
        i8::try_from(minute % 60).ok()?,
        0,
        0,
    )
    .ok()?;
    let dt: DateTime = d.to_datetime(time);
    let offset = match tz.to_ambiguous_timestamp(dt).offset() {
        AmbiguousOffset::Unambiguous { offset } => offset,
        AmbiguousOffset::Gap { .. } => return None,
        AmbiguousOffset::Fold { before, .. } => before,
    };
    let ts = offset.to_timestamp(dt).ok()?;
    Some(ts.as_millisecond())
}

/// The slots of `minutes` each from `from` to `to` (both included) in the
/// office's zone: each span cut from its start; a remainder shorter than a
/// slot is not offered.
/// The start of a slot of `minutes` at local `minute` of `date`, unless a
/// clock change falls inside it (it would overlap the next slot or last an
/// hour more, so it is not offered) or its start does not exist that day.
pub fn whole_slot(tz: &TimeZone, date: Date, minute: u16, minutes: u16) -> Option<i64> {
    let start = instant(tz, date, minute)?;
    let last = start + i64::from(minutes) * MINUTE_MS - 1;
    let offset = |ms| {
        jiff::Timestamp::from_millisecond(ms)
            .ok()
            .map(|t| tz.to_offset(t))
    };
    (offset(start)? == offset(last)?).then_some(start)
}

pub fn slots(
    schedule: &Schedule,
    calendar: &ProductionCalendar,
    tz: &TimeZone,
    minutes: u16,
    from: Date,
    to: Date,
) -> Vec<Slot> {
    let mut out = Vec::new();
    if minutes == 0 {
        return out;
    }
    let mut date = from;
    while date <= to {
        let mut spans = schedule.spans_on(date, calendar).to_vec();
        spans.sort_by_key(|s| s.from);
        for s in spans {
            let mut m = s.from;
            // In u32: a span or slot length near u16::MAX must not overflow.
            while u32::from(m) + u32::from(minutes) <= u32::from(s.to) {
                if let Some(start_ms) = whole_slot(tz, date, m, minutes) {
                    out.push(Slot {
                        start_ms,
                        date,
                        minute: m,
                        minutes,
                        windows: s.windows,
                    });
                }
                m += minutes;
            }
        }
        match date.next_day() {
            Some(d) => date = d,
            None => break,
        }
    }
    out
}

/// A visit of several consecutive slots: where it starts (its `minutes` the
/// whole visit's, its `windows` the fewest of its slots') and the starts of
/// the slots whose places it takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    pub slot: Slot,
    pub places: Vec<i64>,
}

/// The visits of `places` consecutive slots the `slots` (in time order, of
/// one length) hold: those of one day that follow each other without a gap,
/// in local time and in UTC alike (none across a break or a clock change).
pub fn visits(slots: &[Slot], places: u16) -> Vec<Visit> {
    let k = usize::from(places.max(1));
    if slots.len() < k {
        return Vec::new();
    }
    (0..=slots.len() - k)
        .filter_map(|i| {
            let run = &slots[i..i + k];
            let first = run[0];
            let step = i64::from(first.minutes) * MINUTE_MS;
            let joined = run.iter().enumerate().all(|(j, s)| {
                let j16 = u16::try_from(j).unwrap_or(u16::MAX);
                s.date == first.date
                    && s.minute == first.minute + j16 * first.minutes
                    && s.start_ms == first.start_ms + i64::try_from(j).unwrap_or(i64::MAX) * step
            });
            joined.then(|| Visit {
                slot: Slot {
                    minutes: first.minutes * places.max(1),
                    windows: run.iter().map(|s| s.windows).min().unwrap_or(0),
                    ..first
                },
                places: run.iter().map(|s| s.start_ms).collect(),
            })
        })
        .collect()
}

/// When booking, moving and cancelling are allowed, for a slot at
/// `start_ms`, at `now_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub struct BookingRules {
    /// How far ahead a slot may be booked.
    pub horizon_days: u16,
    /// How soon at the earliest.
    pub lead_minutes: u32,
    /// Until when before the slot a booking may be moved or cancelled.
    pub cutoff_minutes: u32,
    /// How many times one booking may be moved.
    pub max_moves: u8,
}

/// Why a slot cannot be booked (or a booking moved).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Past,
    TooSoon,
    BeyondHorizon,
    AfterCutoff,
    TooManyMoves,
}

impl Refusal {
    pub const fn code(self) -> &'static str {
        match self {
            Self::Past => "visit.past",
            Self::TooSoon => "visit.too_soon",
            Self::BeyondHorizon => "visit.beyond_horizon",
            Self::AfterCutoff => "visit.after_cutoff",
            Self::TooManyMoves => "visit.too_many_moves",
        }
    }
}

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 24 * 60 * MINUTE_MS;

impl BookingRules {
    /// Whether a slot starting at `start_ms` may be booked at `now_ms`.
    pub fn may_book(&self, start_ms: i64, now_ms: i64) -> Result<(), Refusal> {
        if start_ms <= now_ms {
            return Err(Refusal::Past);
        }
        if start_ms < now_ms + i64::from(self.lead_minutes) * MINUTE_MS {
            return Err(Refusal::TooSoon);
        }
        if start_ms > now_ms + i64::from(self.horizon_days) * DAY_MS {
            return Err(Refusal::BeyondHorizon);
        }
        Ok(())
    }

    /// Whether a booking at `booked_ms`, moved `moves` times, may be moved
    /// or cancelled at `now_ms`.
    pub fn may_change(&self, booked_ms: i64, moves: u8, now_ms: i64) -> Result<(), Refusal> {
        if booked_ms - i64::from(self.cutoff_minutes) * MINUTE_MS <= now_ms {
            return Err(Refusal::AfterCutoff);
        }
        if moves >= self.max_moves {
            return Err(Refusal::TooManyMoves);
        }
        Ok(())
    }
}

/// What became of a booked visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitState {
    Booked,
    /// The person (or the application's end) cancelled it.
    Cancelled,
    /// Replaced by a booking at another time.
    Moved,
    /// The person came and waits to be served.
    Arrived,
    Missed,
    Served,
}

impl VisitState {
    pub const ALL: [Self; 6] = [
        Self::Booked,
        Self::Cancelled,
        Self::Moved,
        Self::Arrived,
        Self::Missed,
        Self::Served,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Booked => "booked",
            Self::Cancelled => "cancelled",
            Self::Moved => "moved",
            Self::Arrived => "arrived",
            Self::Missed => "missed",
            Self::Served => "served",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// The window each visit of a day is received at: the bookings of one
/// slot, in the order they were made, take its windows from the first.
/// `bookings` are (slot start, anything) in booking order; the answer is
/// 1-based, in the same order.
pub fn window_numbers<T>(bookings: &[(i64, T)]) -> Vec<u16> {
    let mut seen: std::collections::HashMap<i64, u16> = std::collections::HashMap::new();
    bookings
        .iter()
        .map(|(start, _)| {
            let n = seen.entry(*start).or_insert(0);
            *n = n.saturating_add(1);
            *n
        })
        .collect()
}

/// The bookings a changed schedule cannot receive (SPEC §5: never dropped
/// silently — their people are asked to choose another time). A booking
/// keeps its place when a slot of the new schedule starts at its time and
/// the slot's windows hold it, earlier bookings first. `bookings` are (slot
/// start, id) in booking order; `new_slots` cover their dates.
pub fn displaced<T: Copy>(new_slots: &[Slot], bookings: &[(i64, T)]) -> Vec<T> {
    let windows: std::collections::HashMap<i64, u16> =
        new_slots.iter().map(|s| (s.start_ms, s.windows)).collect();
    bookings
        .iter()
        .zip(window_numbers(bookings))
        .filter(|((start, _), window)| windows.get(start).is_none_or(|w| window > w))
        .map(|((_, id), _)| *id)
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::calendar::Year;
    use proptest::prelude::*;
    use time::macros::date;

    fn span(from: u16, to: u16, windows: u16) -> Span {
        Span { from, to, windows }
    }

    /// Mon–Fri 9:00–13:00 (3 windows) and 14:00–18:00 (2), Saturday 10:00–14:00.
    fn office() -> Schedule {
        let day = vec![span(540, 780, 3), span(840, 1080, 2)];
        Schedule {
            week: [
                day.clone(),
                day.clone(),
                day.clone(),
                day.clone(),
                day,
                vec![span(600, 840, 1)],
                vec![],
            ],
            exceptions: vec![],
            services: BTreeMap::new(),
        }
    }

    fn calendar() -> ProductionCalendar {
        ProductionCalendar::new(&[Year {
            year: 2026,
            source: "test".into(),
            days_off: vec![date!(2026 - 11 - 04)],
            working: vec![],
        }])
    }

    fn moscow() -> TimeZone {
        TimeZone::get("Europe/Moscow").unwrap()
    }

    #[test]
    fn a_day_is_cut_into_slots_around_its_break_in_the_offices_zone() {
        let got = slots(
            &office(),
            &calendar(),
            &moscow(),
            30,
            date!(2026 - 11 - 30),
            date!(2026 - 11 - 30),
        );
        // 9–13 and 14–18 in 30 minutes: 8 + 8.
        assert_eq!(got.len(), 16);
        assert_eq!((got[0].minute, got[0].windows), (540, 3));
        assert_eq!((got[8].minute, got[8].windows), (840, 2));
        // 9:00 in Moscow (UTC+3) is 6:00 UTC.
        let nine = got[0].start_ms;
        assert_eq!(nine % DAY_MS, 6 * 60 * MINUTE_MS);
        assert_eq!(local(&moscow(), nine), Some((date!(2026 - 11 - 30), 540)));
        let (from, to) = day_bounds(&moscow(), date!(2026 - 11 - 30)).unwrap();
        assert_eq!((nine - from, to - from), (9 * 60 * MINUTE_MS, DAY_MS));
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        let (from, to) = day_bounds(&berlin, date!(2026 - 03 - 29)).unwrap();
        assert_eq!(to - from, DAY_MS - 60 * MINUTE_MS);
        // Kamchatka (UTC+12) opens nine hours before Moscow (UTC+3), in UTC.
        let kamchatka = TimeZone::get("Asia/Kamchatka").unwrap();
        let k = slots(
            &office(),
            &calendar(),
            &kamchatka,
            30,
            date!(2026 - 11 - 30),
            date!(2026 - 11 - 30),
        );
        assert_eq!(nine - k[0].start_ms, 9 * 60 * MINUTE_MS);
    }

    #[test]
    fn holidays_exceptions_and_remainders() {
        let cal = calendar();
        // 4 November is a day off: nothing; Sunday: nothing.
        assert!(
            slots(
                &office(),
                &cal,
                &moscow(),
                30,
                date!(2026 - 11 - 04),
                date!(2026 - 11 - 04)
            )
            .is_empty()
        );
        assert!(
            slots(
                &office(),
                &cal,
                &moscow(),
                30,
                date!(2026 - 11 - 29),
                date!(2026 - 11 - 29)
            )
            .is_empty()
        );
        // An exception: a shortened Monday, and the holiday opened for an hour.
        let mut s = office();
        s.exceptions = vec![
            Exception {
                date: date!(2026 - 11 - 30),
                spans: vec![span(540, 720, 1)],
            },
            Exception {
                date: date!(2026 - 11 - 04),
                spans: vec![span(600, 660, 1)],
            },
        ];
        assert_eq!(
            slots(
                &s,
                &cal,
                &moscow(),
                30,
                date!(2026 - 11 - 30),
                date!(2026 - 11 - 30)
            )
            .len(),
            6
        );
        assert_eq!(
            slots(
                &s,
                &cal,
                &moscow(),
                30,
                date!(2026 - 11 - 04),
                date!(2026 - 11 - 04)
            )
            .len(),
            2
        );
        // 45-minute slots in a 4-hour span: 5, the last 15 minutes unused.
        let got = slots(
            &office(),
            &cal,
            &moscow(),
            45,
            date!(2026 - 12 - 01),
            date!(2026 - 12 - 01),
        );
        assert_eq!(got.iter().filter(|x| x.minute < 780).count(), 5);
        // Saturday reception, but not on a holiday that falls on a Saturday.
        assert_eq!(
            slots(
                &office(),
                &cal,
                &moscow(),
                30,
                date!(2026 - 11 - 28),
                date!(2026 - 11 - 28)
            )
            .len(),
            8
        );
        assert!(
            slots(
                &office(),
                &cal,
                &moscow(),
                30,
                date!(2026 - 01 - 03),
                date!(2026 - 01 - 03)
            )
            .is_empty()
        );
        // A Sunday the decree made a working day has Monday's hours.
        let moved = ProductionCalendar::new(&[Year {
            year: 2026,
            source: "test".into(),
            days_off: vec![],
            working: vec![date!(2026 - 12 - 27)],
        }]);
        assert_eq!(
            slots(
                &office(),
                &moved,
                &moscow(),
                30,
                date!(2026 - 12 - 27),
                date!(2026 - 12 - 27)
            )
            .len(),
            16
        );
        // Broken schedules are refused.
        let mut bad = office();
        bad.week[0] = vec![span(540, 800, 1), span(780, 900, 1)];
        assert_eq!(bad.check(), Err(Problem::Overlap));
        bad.week[0] = vec![span(600, 540, 1)];
        assert_eq!(bad.check(), Err(Problem::BadSpan));
        assert_eq!(office().check(), Ok(()));
    }

    #[test]
    fn a_daylight_saving_change_keeps_local_times_and_skips_what_does_not_exist() {
        // Berlin moves clocks forward on 29 March 2026 at 2:00 → 3:00.
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        let mut night = office();
        night.week[6] = vec![span(60, 240, 1)]; // Sunday 1:00–4:00
        let cal = ProductionCalendar::new(&[]);
        let before = slots(
            &night,
            &cal,
            &berlin,
            60,
            date!(2026 - 03 - 22),
            date!(2026 - 03 - 22),
        );
        let change = slots(
            &night,
            &cal,
            &berlin,
            60,
            date!(2026 - 03 - 29),
            date!(2026 - 03 - 29),
        );
        assert_eq!(before.len(), 3);
        // 2:00 does not exist that night.
        assert_eq!(
            change.iter().map(|s| s.minute).collect::<Vec<_>>(),
            vec![60, 180]
        );
        // A Monday 9:00 before and after the change: one hour less apart in UTC than a week.
        let mon = |d| slots(&office(), &cal, &berlin, 60, d, d)[0].start_ms;
        assert_eq!(
            mon(date!(2026 - 03 - 30)) - mon(date!(2026 - 03 - 23)),
            7 * DAY_MS - 60 * MINUTE_MS
        );
        // Back in October (3:00 → 2:00): 2:00 happens twice, its first is taken.
        let back = slots(
            &night,
            &cal,
            &berlin,
            60,
            date!(2026 - 10 - 25),
            date!(2026 - 10 - 25),
        );
        assert_eq!(back.len(), 3);
        assert_eq!(back[1].start_ms - back[0].start_ms, 60 * MINUTE_MS);
        assert_eq!(back[2].start_ms - back[1].start_ms, 2 * 60 * MINUTE_MS);
    }

    #[test]
    fn a_longer_visit_takes_consecutive_slots_of_one_span() {
        let day = slots(
            &office(),
            &calendar(),
            &moscow(),
            15,
            date!(2026 - 11 - 30),
            date!(2026 - 11 - 30),
        );
        // 9–13 and 14–18 in 15 minutes: 16 + 16 slots; half-hour visits: 15 + 15 starts.
        assert_eq!(day.len(), 32);
        let half = visits(&day, 2);
        assert_eq!(half.len(), 30);
        assert_eq!(half[0].places, vec![day[0].start_ms, day[1].start_ms]);
        assert_eq!((half[0].slot.minutes, half[0].slot.windows), (30, 3));
        // None across the break: 12:45 + 13:00 is not a visit.
        assert!(half.iter().all(|v| v.slot.minute != 765));
        let mut s = office();
        s.services = BTreeMap::from([("passport".to_owned(), 30), ("stay".to_owned(), 15)]);
        assert_eq!(s.places_for("passport", 15), Some(2));
        assert_eq!(s.places_for("stay", 15), Some(1));
        assert_eq!(s.places_for("permit", 15), None);
        assert_eq!(office().places_for("permit", 15), Some(1));
        assert_eq!(s.check_services(15), Ok(()));
        assert_eq!(s.check_services(20), Err(Problem::ServiceMinutes));
    }

    #[test]
    fn spans_are_read_as_people_write_them() {
        assert_eq!(
            parse_spans("09:00-13:00 x3, 14:00–18:00 ×2", 1),
            Ok(vec![span(540, 780, 3), span(840, 1080, 2)])
        );
        assert_eq!(parse_spans("9:30-12:00", 4), Ok(vec![span(570, 720, 4)]));
        assert_eq!(parse_spans("  ", 4), Ok(vec![]));
        assert_eq!(parse_spans("-", 4), Ok(vec![]));
        for bad in [
            "9-13",
            "13:00-09:00",
            "09:00-25:00",
            "09:00-13:00 x0",
            "09:00-13:00 xx",
            "09:00-12:00, 11:00-14:00",
            "09:60-10:00",
        ] {
            assert!(parse_spans(bad, 1).is_err(), "{bad}");
        }
        let day = vec![span(540, 780, 3), span(840, 1080, 2)];
        assert_eq!(parse_spans(&spans_text(&day), 1), Ok(day));
    }

    #[test]
    fn a_schedule_is_json_with_plain_dates() {
        let mut s = office();
        s.exceptions = vec![Exception {
            date: date!(2026 - 12 - 31),
            spans: vec![],
        }];
        let text = serde_json::to_string(&s).unwrap();
        assert!(text.contains("\"2026-12-31\""), "{text}");
        assert_eq!(serde_json::from_str::<Schedule>(&text).unwrap(), s);
    }

    #[test]
    fn booking_rules() {
        let r = BookingRules {
            horizon_days: 30,
            lead_minutes: 120,
            cutoff_minutes: 24 * 60,
            max_moves: 2,
        };
        let now = 1_000 * DAY_MS;
        assert_eq!(r.may_book(now - 1, now), Err(Refusal::Past));
        assert_eq!(r.may_book(now + 60 * MINUTE_MS, now), Err(Refusal::TooSoon));
        assert_eq!(
            r.may_book(now + 31 * DAY_MS, now),
            Err(Refusal::BeyondHorizon)
        );
        assert_eq!(r.may_book(now + 3 * DAY_MS, now), Ok(()));
        assert_eq!(
            r.may_change(now + 12 * 60 * MINUTE_MS, 0, now),
            Err(Refusal::AfterCutoff)
        );
        assert_eq!(
            r.may_change(now + 2 * DAY_MS, 2, now),
            Err(Refusal::TooManyMoves)
        );
        assert_eq!(r.may_change(now + 2 * DAY_MS, 1, now), Ok(()));
    }

    fn any_spans() -> impl Strategy<Value = Vec<Span>> {
        proptest::collection::vec((0u16..1380, 1u16..300, 1u16..6), 0..4).prop_map(|v| {
            // Non-overlapping by construction: sorted starts, each clipped at the next.
            let mut starts: Vec<(u16, u16, u16)> = v;
            starts.sort_by_key(|s| s.0);
            let mut out: Vec<Span> = Vec::new();
            for (i, (from, len, w)) in starts.iter().enumerate() {
                let next = starts.get(i + 1).map_or(DAY_MINUTES, |n| n.0);
                let to = (from + len).min(next).min(DAY_MINUTES);
                if to > *from && out.last().is_none_or(|l: &Span| l.to <= *from) {
                    out.push(span(*from, to, *w));
                }
            }
            out
        })
    }

    proptest! {
        /// A schedule change with existing bookings: every booking is either
        /// kept, in a slot of the new schedule that holds it, or reported
        /// displaced — none lost, none kept beyond the windows, and none
        /// displaced while its new slot had room for it.
        #[test]
        fn a_schedule_change_keeps_or_reports_every_booking(
            old_day in any_spans(),
            new_day in any_spans(),
            old_minutes in prop_oneof![Just(15u16), Just(20), Just(30)],
            new_minutes in prop_oneof![Just(15u16), Just(20), Just(30), Just(45)],
            picks in proptest::collection::vec((0usize..1000, 0u16..6), 0..60),
        ) {
            let tz = TimeZone::get("Europe/Berlin").unwrap();
            let cal = ProductionCalendar::new(&[]);
            let week = |d: &Vec<Span>| Schedule { week: std::array::from_fn(|_| d.clone()), exceptions: vec![], services: BTreeMap::new() };
            // Three days across the March change.
            let (from, to) = (date!(2026 - 03 - 28), date!(2026 - 03 - 30));
            let old = slots(&week(&old_day), &cal, &tz, old_minutes, from, to);
            prop_assume!(!old.is_empty());
            // Bookings made on the old schedule, never more than its windows.
            let mut taken: std::collections::HashMap<i64, u16> = std::collections::HashMap::new();
            let mut bookings = Vec::new();
            for (i, (pick, _)) in picks.iter().enumerate() {
                let s = old[pick % old.len()];
                let n = taken.entry(s.start_ms).or_insert(0);
                if *n < s.windows {
                    *n += 1;
                    bookings.push((s.start_ms, i));
                }
            }
            let new = slots(&week(&new_day), &cal, &tz, new_minutes, from, to);
            let gone = displaced(&new, &bookings);
            let kept: Vec<(i64, usize)> = bookings.iter().copied().filter(|(_, id)| !gone.contains(id)).collect();
            prop_assert_eq!(kept.len() + gone.len(), bookings.len());
            for s in &new {
                let held = kept.iter().filter(|(start, _)| *start == s.start_ms).count();
                prop_assert!(held <= usize::from(s.windows));
            }
            for (start, id) in &bookings {
                let slot = new.iter().find(|s| s.start_ms == *start);
                let held = kept.iter().filter(|(st, _)| st == start).count();
                if gone.contains(id) {
                    prop_assert!(slot.is_none_or(|s| held == usize::from(s.windows)));
                } else {
                    prop_assert!(slot.is_some());
                }
            }
            // The same schedule displaces nobody.
            prop_assert!(displaced(&old, &bookings).is_empty());
        }

        /// Every slot lies inside a span of its day, slots are in time order and
        /// never overlap, and a day has exactly the slots its spans hold — in
        /// any zone, across any daylight-saving change in 2026.
        #[test]
        fn slots_fill_the_spans_exactly(
            day in any_spans(),
            minutes in 5u16..120,
            zone in prop_oneof![Just("Europe/Moscow"), Just("Europe/Berlin"), Just("America/New_York"), Just("Asia/Kamchatka"), Just("Europe/Kaliningrad")],
            start in 0i64..360,
        ) {
            let tz = TimeZone::get(zone).unwrap();
            let schedule = Schedule { week: std::array::from_fn(|_| day.clone()), exceptions: vec![], services: BTreeMap::new() };
            prop_assert!(schedule.check().is_ok());
            let cal = ProductionCalendar::new(&[]);
            let from = date!(2026 - 01 - 01) + time::Duration::days(start);
            let to = from + time::Duration::days(6);
            let got = slots(&schedule, &cal, &tz, minutes, from, to);
            for w in got.windows(2) {
                prop_assert!(w[0].start_ms + i64::from(w[0].minutes) * MINUTE_MS <= w[1].start_ms || w[0].date != w[1].date || instant(&tz, w[1].date, w[1].minute).is_none());
                prop_assert!((w[0].date, w[0].minute) < (w[1].date, w[1].minute));
            }
            for s in &got {
                let spans = schedule.spans_on(s.date, &cal);
                prop_assert!(spans.iter().any(|sp| sp.from <= s.minute && s.minute + minutes <= sp.to && sp.windows == s.windows));
                prop_assert_eq!(instant(&tz, s.date, s.minute), Some(s.start_ms));
            }
            // Longer visits: as many slots as asked, one after another without
            // a gap (spans that touch may share one), each a slot of the day.
            for k in 1u16..4 {
                for v in visits(&got, k) {
                    prop_assert_eq!(v.places.len(), usize::from(k));
                    prop_assert!(v.places.iter().all(|p| got.iter().any(|s| s.start_ms == *p && s.date == v.slot.date)));
                    for w in v.places.windows(2) {
                        prop_assert_eq!(w[1] - w[0], i64::from(minutes) * MINUTE_MS);
                    }
                }
            }
            // Per day: the spans' room, less the slots a clock change skipped or cut.
            let mut d = from;
            while d <= to {
                let expected: usize = schedule
                    .spans_on(d, &cal)
                    .iter()
                    .map(|sp| {
                        (0..)
                            .map(|k| sp.from + k * minutes)
                            .take_while(|m| m + minutes <= sp.to)
                            .filter(|m| whole_slot(&tz, d, *m, minutes).is_some())
                            .count()
                    })
                    .sum();
                prop_assert_eq!(got.iter().filter(|s| s.date == d).count(), expected);
                d = d.next_day().unwrap();
            }
        }
    }
}
