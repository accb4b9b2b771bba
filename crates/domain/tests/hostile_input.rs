//! Hostile input at scale (issue 22, item 3): every parser and every
//! function of the domain that takes a value from outside — an identifier,
//! a code's purpose, a schedule typed by a head of office, a date anywhere
//! in the calendar's range, an instant, a fee edition an administrator
//! sends — is fed arbitrary values and must answer without panicking
//! (overflow included: tests build with overflow checks). Where a value is
//! accepted, it reads back as itself.
//!
//! The number of cases per property is `PROPTEST_CASES` (2 048 unless set;
//! `PROPTEST_CASES=100000 cargo test -p domain --test hostile_input` for a
//! long run).

#![allow(clippy::unwrap_used)]

use domain::calendar::{ProductionCalendar, Year};
use domain::fees::{Edition, FeeCategory, FeeSchedule, Rate};
use domain::identifiers::Uin;
use domain::schedule::{self, BookingRules, Exception, Schedule, Span};
use jiff::tz::TimeZone;
use proptest::prelude::*;
use time::Date;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2048)
}

/// Any date `time` can hold, the ends of its range included.
fn any_date() -> impl Strategy<Value = Date> {
    let (min, max) = (Date::MIN.to_julian_day(), Date::MAX.to_julian_day());
    prop_oneof![
        Just(Date::MIN),
        Just(Date::MAX),
        (min..=max).prop_map(|d| Date::from_julian_day(d).unwrap()),
        (2_400_000i32..2_500_000).prop_map(|d| Date::from_julian_day(d).unwrap()),
    ]
}

fn any_span() -> impl Strategy<Value = Span> {
    (any::<u16>(), any::<u16>(), any::<u16>()).prop_map(|(from, to, windows)| Span {
        from,
        to,
        windows,
    })
}

fn zones() -> impl Strategy<Value = TimeZone> {
    prop_oneof![
        Just(TimeZone::get("Europe/Moscow").unwrap()),
        Just(TimeZone::get("Asia/Novosibirsk").unwrap()),
        Just(TimeZone::get("America/Havana").unwrap()),
        Just(TimeZone::UTC),
    ]
}

static CALENDAR: std::sync::LazyLock<ProductionCalendar> = std::sync::LazyLock::new(calendar);

fn calendar() -> ProductionCalendar {
    let year = |y: i32| Year {
        year: y,
        source: "test".into(),
        days_off: vec![Date::from_calendar_date(y, time::Month::May, 11).unwrap()],
        working: vec![Date::from_calendar_date(y, time::Month::November, 1).unwrap()],
    };
    ProductionCalendar::new(&[year(2025), year(2026)])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn a_uin_is_judged_without_panic(s in any::<String>(), d in "[0-9 ]{0,30}") {
        for input in [&s, &d] {
            if let Ok(u) = Uin::parse(input) {
                prop_assert_eq!(Uin::parse(&u.to_string()).unwrap(), u);
            }
        }
    }

    #[test]
    fn closed_sets_read_only_their_own_names(s in "\\PC{0,24}") {
        use domain::{account, application, document, lifecycle, otp, totp};
        let _ = otp::Purpose::parse(&s);
        let _ = otp::ChallengeChannel::parse(&s);
        let _ = otp::ChallengeChannel::delivery(&s);
        let _ = totp::FactorMethod::parse(&s);
        let _ = schedule::VisitState::parse(&s);
        let _ = application::Status::parse(&s);
        let _ = lifecycle::RefusalReason::parse(&s);
        let _ = lifecycle::Queue::parse(&s);
        let _ = document::DocumentKind::parse(&s);
        let _ = account::AssuranceLevel::parse(&s);
        let _ = account::AccountStatus::parse(&s);
        let _ = account::Role::parse(&s);
        let _ = FeeCategory::parse(&s);
        let _ = domain::identity::parse_country(&s);
    }

    #[test]
    fn one_time_codes_are_judged_without_panic(
        typed in "\\PC{0,16}",
        sent_at_ms in any::<i64>(),
        now_ms in any::<i64>(),
        sends in any::<u32>(),
        attempts in any::<u32>(),
        consumed in any::<bool>(),
        matches in any::<bool>(),
        secret in "\\PC{0,40}",
        last_step in any::<i64>(),
    ) {
        use domain::otp::{OtpPolicy, OtpState, normalise_code};
        use domain::totp;
        if let Some(code) = normalise_code(&typed) {
            prop_assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()));
        }
        let state = OtpState { sent_at_ms, sends, attempts, consumed };
        let policy = OtpPolicy::default();
        let _ = policy.judge(&state, now_ms, matches);
        let _ = policy.may_resend(&state, now_ms);
        if let Some(key) = totp::base32_decode(&secret) {
            let _ = totp::verify(&key, &typed, now_ms, last_step);
        }
    }

    #[test]
    fn typed_reception_hours_are_judged_without_panic(
        text in "\\PC{0,60}",
        typed in "([0-9]{1,3}:[0-9]{1,3}[-–][0-9]{1,3}:[0-9]{1,3}( ?[x×] ?[0-9]{1,6})?[,;] ?){0,4}",
        windows in any::<u16>(),
    ) {
        for t in [&text, &typed] {
            if let Ok(spans) = schedule::parse_spans(t, windows) {
                let again = schedule::parse_spans(&schedule::spans_text(&spans), windows).unwrap();
                prop_assert_eq!(again, spans);
            }
        }
    }

    #[test]
    fn any_date_and_instant_is_placed_without_panic(
        date in any_date(),
        ms in any::<i64>(),
        minute in any::<u16>(),
        minutes in any::<u16>(),
        tz in zones(),
    ) {
        let _ = schedule::local(&tz, ms);
        let _ = schedule::day_bounds(&tz, date);
        let _ = schedule::instant(&tz, date, minute);
        let _ = schedule::whole_slot(&tz, date, minute, minutes);
    }

    #[test]
    fn working_days_are_counted_from_any_date_without_panic(
        date in any_date(),
        // Mostly short counts (a count is walked day by day), some of any size.
        n in prop_oneof![19 => 0u16..400, 1 => any::<u16>()],
        working in any::<bool>(),
    ) {
        let c = &*CALENDAR;
        let _ = c.is_working(date);
        let _ = c.add_working_days(date, n);
        let _ = c.deadline(date, n, working);
    }

    #[test]
    fn slots_of_any_schedule_and_days_come_without_panic(
        week in proptest::collection::vec(proptest::collection::vec(any_span(), 0..3), 7),
        exception in (any_date(), proptest::collection::vec(any_span(), 0..3)),
        from in any_date(),
        days in 0i32..3,
        minutes in any::<u16>(),
        tz in zones(),
    ) {
        let week: [Vec<Span>; 7] = week.try_into().unwrap();
        let s = Schedule {
            week,
            exceptions: vec![Exception { date: exception.0, spans: exception.1 }],
            services: Default::default(),
        };
        let _ = s.check();
        let to = Date::from_julian_day(
            from.to_julian_day().saturating_add(days).min(Date::MAX.to_julian_day()),
        )
        .unwrap();
        let slots = schedule::slots(&s, &CALENDAR, &tz, minutes, from, to);
        let _ = schedule::visits(&slots, minutes.max(1));
    }

    #[test]
    fn booking_rules_judge_any_instants_without_panic(
        horizon_days in any::<u16>(),
        lead_minutes in any::<u32>(),
        cutoff_minutes in any::<u32>(),
        max_moves in any::<u8>(),
        start in any::<i64>(),
        now in any::<i64>(),
        moves in any::<u8>(),
    ) {
        let r = BookingRules { horizon_days, lead_minutes, cutoff_minutes, max_moves };
        let _ = r.may_book(start, now);
        let _ = r.may_change(start, moves, now);
    }

    #[test]
    fn any_fee_edition_is_priced_without_panic(
        from in any_date(),
        on in any_date(),
        discount in any::<u8>(),
        kopecks in any::<i64>(),
        birth in "\\PC{0,12}",
        years in any::<u8>(),
    ) {
        let edition = Edition {
            from,
            portal_discount_percent: discount,
            rates: vec![Rate { key: "k".into(), category: FeeCategory::ALL[0], kopecks }],
        };
        let _ = edition.check(&Default::default());
        let schedule = FeeSchedule::new(vec![edition]);
        if let Ok(fee) = schedule.fee("k", FeeCategory::ALL[0], on) {
            prop_assert!(fee.portal_kopecks.unsigned_abs() <= fee.kopecks.unsigned_abs());
        }
        let rule: domain::fees::FeeRule = serde_json::from_value(serde_json::json!({
            "key": "k", "due": "accepted", "default": FeeCategory::ALL[0].as_str(),
            "categories": [{"category": FeeCategory::ALL[1].as_str(),
                            "under": {"person": "applicant", "years": years}}]
        }))
        .unwrap();
        let answers = serde_json::json!({"applicant": {"birth_date": birth}});
        let _ = rule.category(answers.as_object().unwrap(), on);
    }
}
