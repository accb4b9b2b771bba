//! Where a submitted application goes and by when it must be decided: the
//! area of the address that decides the office (SPEC §4 "routing") and the
//! legal time that applies to the answers, counted by the production
//! calendar.

use crate::calendar::ProductionCalendar;
use crate::catalogue::{ProcessingTime, ServiceDef};
use crate::form::holds;
use serde_json::{Map, Value};
use time::Date;

/// The part of an address routing reads: the region, and the district when
/// the address register named one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Area {
    pub region_code: String,
    pub district_code: Option<String>,
}

impl Area {
    /// The area of an address answer (as `addresses::bind` left it), if it
    /// names a region.
    pub fn of(address: &Value) -> Option<Self> {
        let text = |k: &str| {
            address
                .get(k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        Some(Self {
            region_code: text("region_code")?,
            district_code: text("district_code"),
        })
    }
}

/// The area of the first routing address that applies and is answered;
/// `None` when the service names none that is (the person's registration
/// address decides then).
pub fn area(def: &ServiceDef, answers: &Map<String, Value>) -> Option<Area> {
    def.routing
        .iter()
        .filter(|r| r.when.as_ref().is_none_or(|c| holds(c, answers)))
        .find_map(|r| answers.get(&r.address).and_then(Area::of))
}

/// Calendar days a legal time may take at most, to compare working-day and
/// calendar-day times (five working days a week).
fn span(p: &ProcessingTime) -> u32 {
    let days = u32::from(p.days);
    if p.working_days { days * 7 / 5 } else { days }
}

/// The legal time of an application. A variant whose condition holds is
/// the specific case and wins over those that always apply; of several,
/// the longest (the law gives the office the longer time when several apply).
pub fn legal_time<'a>(
    def: &'a ServiceDef,
    answers: &Map<String, Value>,
) -> Option<&'a ProcessingTime> {
    let specific = def
        .processing
        .iter()
        .filter(|p| p.applies.as_ref().is_some_and(|c| holds(c, answers)))
        .max_by_key(|p| span(p));
    specific.or_else(|| {
        def.processing
            .iter()
            .filter(|p| p.applies.is_none())
            .max_by_key(|p| span(p))
    })
}

/// The last day the office has to decide, counted from the day of submission.
pub fn deadline(
    calendar: &ProductionCalendar,
    def: &ServiceDef,
    answers: &Map<String, Value>,
    submitted_on: Date,
) -> Option<Date> {
    let time = legal_time(def, answers)?;
    calendar.deadline(submitted_on, time.days, time.working_days)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::catalogue::RouteBy;
    use crate::form::{Condition, Text};
    use serde_json::json;

    fn text(s: &str) -> Text {
        Text::new(s, s)
    }

    fn def(routing: Vec<RouteBy>, processing: Vec<ProcessingTime>) -> ServiceDef {
        let mut d = crate::catalogue::sample_service();
        d.routing = routing;
        d.processing = processing;
        d
    }

    fn time(days: u16, working: bool, applies: Option<Condition>) -> ProcessingTime {
        ProcessingTime {
            days,
            working_days: working,
            when: text("x"),
            applies,
        }
    }

    fn answers(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn the_first_routing_address_that_applies_and_is_answered_decides() {
        let stay = Condition::OneOf {
            field: "where".into(),
            values: vec!["stay".into()],
        };
        let d = def(
            vec![
                RouteBy {
                    address: "stay_address".into(),
                    when: Some(stay),
                },
                RouteBy {
                    address: "home".into(),
                    when: None,
                },
            ],
            vec![time(30, false, None)],
        );
        let home = json!({"region_code": "77", "district_code": "001"});
        let away = json!({"region_code": "54"});
        let a = answers(json!({"where": "stay", "stay_address": away, "home": home}));
        assert_eq!(area(&d, &a).unwrap().region_code, "54");
        let a = answers(json!({"where": "residence", "stay_address": away, "home": home}));
        assert_eq!(
            area(&d, &a).unwrap(),
            Area {
                region_code: "77".into(),
                district_code: Some("001".into())
            }
        );
        // Chosen but not answered: the next one.
        let a = answers(json!({"where": "stay", "home": home}));
        assert_eq!(area(&d, &a).unwrap().region_code, "77");
        // An address without a region decides nothing.
        let a = answers(json!({"home": {"region": "Москва", "region_code": " "}}));
        assert_eq!(area(&d, &a), None);
    }

    #[test]
    fn a_specific_legal_time_wins_and_of_several_the_longest() {
        let away = Condition::OneOf {
            field: "where".into(),
            values: vec!["stay".into()],
        };
        let secret = Condition::IsTrue("secrets".into());
        let urgent = Condition::IsTrue("urgent".into());
        let d = def(
            vec![],
            vec![
                time(30, false, None),
                time(90, false, Some(away)),
                time(90, false, Some(secret)),
                // 20 working days are about 28 calendar days: shorter than 30.
                time(20, true, None),
                time(3, true, Some(urgent)),
            ],
        );
        let days = |v: Value| legal_time(&d, &answers(v)).unwrap().days;
        assert_eq!(days(json!({"where": "residence"})), 30);
        assert_eq!(days(json!({"where": "stay"})), 90);
        assert_eq!(days(json!({"secrets": true})), 90);
        assert_eq!(days(json!({"where": "stay", "secrets": true})), 90);
        // A shorter specific time wins over the general one.
        assert_eq!(days(json!({"urgent": true})), 3);
    }
}
