//! Who may apply for a service, beyond what its form checks: the kind of
//! applicant, adulthood, and the rules a definition names (SPEC §3: the
//! first passport is not given online; replacement at 20 and 45 within 90
//! days of the birthday; a child of 14 or more consents). Judged on
//! submission with what the portal knows about the person; pure.

use crate::catalogue::{Applicant, Eligibility, ServiceDef};
use crate::form::Problem;
use serde_json::Value;
use time::{Date, Duration};

/// What the portal knows about the person applying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplicantFacts {
    pub kind: Applicant,
    pub birth_date: Date,
}

/// The judgement: problems (the application is not taken) and whether it
/// is taken late (flagged for the office).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    pub problems: Vec<Problem>,
    pub late: bool,
}

/// Every code this module reports.
pub const CODES: [&str; 5] = [
    "eligibility.applicant_kind",
    "eligibility.adults_only",
    "eligibility.not_online",
    "eligibility.too_early",
    "eligibility.child_consent",
];

/// Full years from `born` to `on`.
pub fn age_on(born: Date, on: Date) -> i32 {
    let mut years = on.year() - born.year();
    if (on.month() as u8, on.day()) < (born.month() as u8, born.day()) {
        years -= 1;
    }
    years
}

/// The day a person born on `born` turns `years` (29 February → 28th).
fn birthday(born: Date, years: u16) -> Date {
    let y = born.year() + i32::from(years);
    born.replace_year(y)
        .or_else(|_| Date::from_calendar_date(y, born.month(), 28))
        .unwrap_or(Date::MAX)
}

fn text<'a>(payload: &'a Value, field: &str) -> Option<&'a str> {
    payload.get(field).and_then(Value::as_str)
}

/// Judges `payload` (already checked against the form) for `who` on `today`.
pub fn judge(def: &ServiceDef, who: &ApplicantFacts, payload: &Value, today: Date) -> Verdict {
    let mut v = Verdict::default();
    if !def.applicants.contains(&who.kind) {
        v.problems
            .push(Problem::at("eligibility.applicant_kind", ""));
    }
    if def.adults_only && age_on(who.birth_date, today) < 18 {
        v.problems.push(Problem::at("eligibility.adults_only", ""));
    }
    for rule in &def.eligibility {
        match rule {
            Eligibility::OneOpen => {} // kept by the database on submission
            Eligibility::NotOnline {
                field,
                values,
                reason,
            } => {
                if text(payload, field).is_some_and(|x| values.iter().any(|w| w == x)) {
                    v.problems.push(Problem {
                        note: Some(reason.clone()),
                        ..Problem::at("eligibility.not_online", format!("/{field}"))
                    });
                }
            }
            Eligibility::AgeReplacement { field, ages, days } => {
                let chosen = text(payload, field);
                if let Some(reason) = ages.iter().find(|a| Some(a.value.as_str()) == chosen) {
                    let due = birthday(who.birth_date, reason.years);
                    let late_from = due.checked_add(Duration::days(i64::from(*days)));
                    if today < due {
                        v.problems
                            .push(Problem::at("eligibility.too_early", format!("/{field}")));
                    } else if late_from.is_some_and(|l| today > l) {
                        v.late = true;
                    }
                }
            }
            Eligibility::ChildConsent {
                child,
                consent,
                from_age,
            } => {
                let born = payload
                    .get(child)
                    .and_then(|c| c.get("birth_date"))
                    .and_then(Value::as_str)
                    .and_then(|d| crate::person::parse_date(d).ok());
                let consented = payload.get(consent) == Some(&Value::Bool(true));
                if born.is_some_and(|b| age_on(b, today) >= i32::from(*from_age)) && !consented {
                    v.problems.push(Problem::at(
                        "eligibility.child_consent",
                        format!("/{consent}"),
                    ));
                }
            }
        }
    }
    v
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::catalogue::AgeReason;
    use crate::form::Text;
    use proptest::prelude::*;
    use serde_json::json;
    use time::macros::date;

    fn def(rules: Vec<Eligibility>) -> ServiceDef {
        let mut d = crate::catalogue::sample_service();
        d.eligibility = rules;
        d
    }

    fn replacement() -> Eligibility {
        Eligibility::AgeReplacement {
            field: "reason".into(),
            ages: vec![
                AgeReason {
                    value: "age_20".into(),
                    years: 20,
                },
                AgeReason {
                    value: "age_45".into(),
                    years: 45,
                },
            ],
            days: 90,
        }
    }

    fn citizen(born: Date) -> ApplicantFacts {
        ApplicantFacts {
            kind: Applicant::Citizen,
            birth_date: born,
        }
    }

    #[test]
    fn replacement_at_20_and_45_by_the_birthday() {
        let d = def(vec![replacement()]);
        let p = json!({"reason": "age_45"});
        let born = date!(1981 - 09 - 01); // 45 on 2026-09-01
        // The day before the birthday: too early.
        let v = judge(&d, &citizen(born), &p, date!(2026 - 08 - 31));
        assert_eq!(v.problems[0].code, "eligibility.too_early");
        // On the birthday and on the 90th day after it: in time.
        for today in [date!(2026 - 09 - 01), date!(2026 - 11 - 30)] {
            assert_eq!(judge(&d, &citizen(born), &p, today), Verdict::default());
        }
        // The 91st day: taken, but late (the law fines it).
        let v = judge(&d, &citizen(born), &p, date!(2026 - 12 - 01));
        assert!(v.problems.is_empty() && v.late);
        // Other reasons are not bound to the birthday.
        let other = json!({"reason": "lost"});
        assert_eq!(
            judge(&d, &citizen(born), &other, date!(2000 - 01 - 01)),
            Verdict::default()
        );
    }

    #[test]
    fn who_may_apply() {
        let d = def(vec![]);
        let foreigner = ApplicantFacts {
            kind: Applicant::ForeignNational,
            birth_date: date!(1990 - 01 - 01),
        };
        let v = judge(&d, &foreigner, &json!({}), date!(2026 - 11 - 29));
        assert_eq!(v.problems[0].code, "eligibility.applicant_kind");
        let mut adults = def(vec![]);
        adults.adults_only = true;
        let v = judge(
            &adults,
            &citizen(date!(2009 - 01 - 01)),
            &json!({}),
            date!(2026 - 11 - 29),
        );
        assert_eq!(v.problems[0].code, "eligibility.adults_only");
    }

    #[test]
    fn not_online_says_why_and_a_child_of_14_consents() {
        let reason = Text::new("Только лично", "In person only");
        let d = def(vec![
            Eligibility::NotOnline {
                field: "reason".into(),
                values: vec!["first_14".into()],
                reason: reason.clone(),
            },
            Eligibility::ChildConsent {
                child: "child".into(),
                consent: "child_consent".into(),
                from_age: 14,
            },
        ]);
        let today = date!(2026 - 11 - 29);
        let me = citizen(date!(1990 - 01 - 01));
        let v = judge(&d, &me, &json!({"reason": "first_14"}), today);
        assert_eq!(
            (v.problems[0].code, v.problems[0].path.as_str()),
            ("eligibility.not_online", "/reason")
        );
        assert_eq!(v.problems[0].note, Some(reason));
        let teen = json!({"child": {"birth_date": "2012-11-29"}});
        let v = judge(&d, &me, &teen, today);
        assert_eq!(v.problems[0].path, "/child_consent");
        let consenting = json!({"child": {"birth_date": "2012-11-29"}, "child_consent": true});
        assert!(judge(&d, &me, &consenting, today).problems.is_empty());
        let young = json!({"child": {"birth_date": "2012-11-30"}});
        assert!(judge(&d, &me, &young, today).problems.is_empty());
    }

    proptest! {
        /// Around any birthday: before it too early, within 90 days fine, after it late.
        #[test]
        fn the_window_is_exact(born_days in 0i64..20_000, offset in -400i64..400) {
            let born = date!(1950 - 01 - 01) + Duration::days(born_days);
            let due = birthday(born, 20);
            let today = due + Duration::days(offset);
            let v = judge(&def(vec![replacement()]), &citizen(born), &json!({"reason": "age_20"}), today);
            prop_assert_eq!(!v.problems.is_empty(), offset < 0);
            prop_assert_eq!(v.late, offset > 90);
        }
    }
}
