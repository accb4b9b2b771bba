//! Each service's own rules, as tables: the example answers, one change, and
//! the problem that change must bring (or none). The form engine and the
//! eligibility rules together, as the electronic check applies them, on a
//! fixed day; no database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use app::catalogue::Catalogue;
use domain::catalogue::Applicant;
use domain::eligibility::{ApplicantFacts, judge};
use serde_json::{Value, json};
use time::macros::date;

const TODAY: time::Date = date!(2026 - 11 - 29);

fn citizen() -> ApplicantFacts {
    ApplicantFacts {
        kind: Applicant::Citizen,
        birth_date: date!(1990 - 07 - 02),
    }
}

fn foreigner() -> ApplicantFacts {
    ApplicantFacts {
        kind: Applicant::ForeignNational,
        birth_date: date!(1992 - 05 - 20),
    }
}

/// Every problem of `answers` for `who`: (code, path), and whether it is late.
fn problems(code: &str, who: &ApplicantFacts, answers: &Value) -> (Vec<(String, String)>, bool) {
    let c = Catalogue::builtin().unwrap();
    let def = c.get(code).unwrap();
    let (clean, mut found) = domain::form::check(&def.form, answers, TODAY);
    let verdict = judge(def, who, &clean, TODAY);
    found.extend(verdict.problems);
    (
        found
            .into_iter()
            .map(|p| (p.code.to_owned(), p.path))
            .collect(),
        verdict.late,
    )
}

/// Applies `change` (JSON Pointer → value; `null` removes) to the example.
fn changed(code: &str, change: &[(&str, Value)]) -> Value {
    let mut v = Catalogue::builtin().unwrap().example(code, TODAY).unwrap();
    for (pointer, value) in change {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let target = if parent.is_empty() {
            &mut v
        } else {
            v.pointer_mut(parent).unwrap()
        };
        if value.is_null() {
            target.as_object_mut().unwrap().remove(key);
        } else {
            target[key] = value.clone();
        }
    }
    v
}

struct Case {
    service: &'static str,
    who: fn() -> ApplicantFacts,
    change: Vec<(&'static str, Value)>,
    /// The problem expected, or none.
    expect: Option<(&'static str, &'static str)>,
}

fn case(
    service: &'static str,
    who: fn() -> ApplicantFacts,
    change: Vec<(&'static str, Value)>,
    expect: Option<(&'static str, &'static str)>,
) -> Case {
    Case {
        service,
        who,
        change,
        expect,
    }
}

#[test]
fn every_service_keeps_its_rules() {
    let cases = vec![
        // The internal passport: not online at 14 or after acquiring citizenship; by age from the birthday on.
        case(
            "passport-internal",
            citizen,
            vec![("/reason", json!("first_14"))],
            Some(("eligibility.not_online", "/reason")),
        ),
        case(
            "passport-internal",
            citizen,
            vec![("/reason", json!("citizenship_acquired"))],
            Some(("eligibility.not_online", "/reason")),
        ),
        case(
            "passport-internal",
            citizen,
            vec![("/reason", json!("age_45"))],
            Some(("eligibility.too_early", "/reason")),
        ),
        case(
            "passport-internal",
            citizen,
            vec![("/reason", json!("lost"))],
            Some(("field.required", "/loss_date")),
        ),
        case(
            "passport-internal",
            foreigner,
            vec![],
            Some(("eligibility.applicant_kind", "")),
        ),
        // A child's foreign passport: the child under 18, consenting from 14.
        case(
            "passport-foreign-biometric",
            citizen,
            vec![
                ("/for_whom", json!("child")),
                (
                    "/child",
                    json!({"surname": "Петров", "given_name": "Иван", "birth_date": "2011-05-01"}),
                ),
            ],
            Some(("eligibility.child_consent", "/child_consent")),
        ),
        case(
            "passport-foreign-biometric",
            citizen,
            vec![
                ("/for_whom", json!("child")),
                (
                    "/child",
                    json!({"surname": "Петров", "given_name": "Иван", "birth_date": "2005-05-01"}),
                ),
                ("/child_consent", json!(true)),
            ],
            Some(("age.too_old", "/child/birth_date")),
        ),
        case(
            "passport-foreign-old",
            citizen,
            vec![("/for_whom", json!("child"))],
            Some(("field.required", "/child")),
        ),
        // Registration of stay: a period, from today on, at most five years, within the basis.
        case(
            "registration-stay",
            citizen,
            vec![("/stay_to", json!("2040-01-01"))],
            Some(("date.period_too_long", "/stay_to")),
        ),
        case(
            "registration-stay",
            citizen,
            vec![("/stay_from", json!("2026-11-01"))],
            Some(("date.past", "/stay_from")),
        ),
        case(
            "registration-stay",
            citizen,
            vec![("/basis", json!("rental")), ("/owner", Value::Null)],
            Some(("field.required", "/owner")),
        ),
        case(
            "registration-residence",
            citizen,
            vec![
                ("/basis", json!("rental")),
                ("/owner_snils", json!("112 233 445")),
            ],
            Some(("text.pattern", "/owner_snils")),
        ),
        case(
            "deregistration",
            citizen,
            vec![("/registered_address", Value::Null)],
            Some(("field.required", "/registered_address")),
        ),
        case(
            "address-reference",
            citizen,
            vec![("/about", json!("other_person"))],
            Some(("field.required", "/basis")),
        ),
        case("address-reference", foreigner, vec![], None),
        // Invitations: by citizens only; the guest's name as in the passport; a stay of at most 90 days.
        case(
            "invitation-foreigner",
            foreigner,
            vec![],
            Some(("eligibility.applicant_kind", "")),
        ),
        case(
            "invitation-foreigner",
            citizen,
            vec![("/guest/surname", json!("Шнайдер"))],
            Some(("text.latin_required", "/guest/surname")),
        ),
        case(
            "invitation-foreigner",
            citizen,
            vec![(
                "/exit_date",
                json!((TODAY + time::Duration::days(200)).to_string()),
            )],
            Some(("date.period_too_long", "/exit_date")),
        ),
        // Permits: foreign nationals only, adults.
        case(
            "temporary-residence-permit",
            citizen,
            vec![],
            Some(("eligibility.applicant_kind", "")),
        ),
        case(
            "temporary-residence-permit",
            || ApplicantFacts {
                birth_date: date!(2010 - 01 - 01),
                ..foreigner()
            },
            vec![],
            Some(("eligibility.adults_only", "")),
        ),
        case(
            "residence-permit",
            foreigner,
            vec![
                ("/request_kind", json!("extension")),
                ("/current_permit_number", Value::Null),
            ],
            Some(("field.required", "/current_permit_number")),
        ),
        case("residence-permit", foreigner, vec![], None),
    ];
    for c in cases {
        let answers = changed(c.service, &c.change);
        let (found, _) = problems(c.service, &(c.who)(), &answers);
        match c.expect {
            None => assert!(found.is_empty(), "{}: {found:?}", c.service),
            Some((code, path)) => assert!(
                found.iter().any(|(c, p)| c == code && p == path),
                "{}: {code} at {path} expected, found {found:?}",
                c.service
            ),
        }
    }
}

/// Replacement at 20 and 45 is taken up to 90 days after the birthday, and
/// later flagged as late (the law fines it), not refused.
#[test]
fn a_late_replacement_is_taken_and_flagged() {
    let answers = changed("passport-internal", &[("/reason", json!("age_20"))]);
    let in_time = ApplicantFacts {
        kind: Applicant::Citizen,
        birth_date: date!(2006 - 10 - 01),
    };
    assert_eq!(
        problems("passport-internal", &in_time, &answers),
        (vec![], false)
    );
    let late = ApplicantFacts {
        kind: Applicant::Citizen,
        birth_date: date!(2006 - 06 - 01),
    };
    assert_eq!(
        problems("passport-internal", &late, &answers),
        (vec![], true)
    );
}

/// Every service can be taken from a draft to its end by the steps its
/// stages name, and by no step its stages lack.
#[test]
fn every_service_can_be_walked_to_its_end() {
    use domain::application::Status;
    use domain::catalogue::Stage;
    use domain::lifecycle::{Actor, Step, step};
    let c = Catalogue::builtin().unwrap();
    for s in c.services() {
        let mut at = step(&s.stages, Status::Draft, Actor::Applicant, &Step::Submit).unwrap();
        for stage in &s.stages {
            let next = match stage {
                Stage::Accepted => Step::Accept,
                Stage::Invited => Step::Invite("visit".into()),
                Stage::VisitDone => Step::VisitDone,
                Stage::InProduction => Step::StartProduction,
                Stage::Ready => Step::MarkReady,
                Stage::Completed => Step::Complete,
            };
            let moved = step(&s.stages, at, Actor::Officer, &next);
            assert!(moved.is_ok(), "{}: {next:?} from {at:?}: {moved:?}", s.code);
            at = moved.unwrap_or(at);
        }
        assert_eq!(at, Status::Completed, "{}", s.code);
        if !s.stages.contains(&Stage::Invited) {
            let from = step(&s.stages, Status::Draft, Actor::Applicant, &Step::Submit).unwrap();
            assert!(
                step(&s.stages, from, Actor::Officer, &Step::Invite("v".into())).is_err(),
                "{}",
                s.code
            );
        }
    }
}

/// (service, change, days, working days, region that decides).
type RouteCase<'a> = (&'a str, &'a [(&'a str, Value)], u16, bool, Option<&'a str>);

/// The legal time and the routing address each service takes from its answers.
#[test]
fn every_service_picks_its_legal_time_and_office_address() {
    let c = Catalogue::builtin().unwrap();
    let cases: &[RouteCase] = &[
        ("passport-internal", &[], 10, false, Some("77")),
        (
            "passport-internal",
            &[
                ("/where_apply", json!("actual")),
                (
                    "/actual_address",
                    json!({"region_code": "54", "region": "Новосибирская область", "settlement": "Новосибирск", "house": "1"}),
                ),
            ],
            30,
            false,
            Some("54"),
        ),
        ("passport-foreign-biometric", &[], 30, false, Some("77")),
        (
            "passport-foreign-biometric",
            &[
                ("/state_secrets", json!(true)),
                ("/state_secrets_details", json!("Допуск формы 1")),
            ],
            90,
            false,
            Some("77"),
        ),
        (
            "passport-foreign-old",
            &[
                ("/where_apply", json!("stay")),
                (
                    "/stay_address",
                    json!({"region_code": "78", "region": "Санкт-Петербург", "settlement": "Санкт-Петербург", "house": "2"}),
                ),
            ],
            90,
            false,
            Some("78"),
        ),
        ("invitation-foreigner", &[], 20, true, None),
        (
            "invitation-foreigner",
            &[("/urgent", json!(true))],
            3,
            true,
            None,
        ),
        (
            "temporary-residence-permit",
            &[("/entry_regime", json!("visa_free"))],
            60,
            false,
            Some("77"),
        ),
        (
            "temporary-residence-permit",
            &[("/entry_regime", json!("visa"))],
            120,
            false,
            Some("77"),
        ),
        ("residence-permit", &[], 120, false, Some("77")),
        ("registration-stay", &[], 8, true, Some("78")),
        ("deregistration", &[], 3, true, Some("78")),
        ("address-reference", &[], 30, false, None),
    ];
    for (code, change, days, working, region) in cases {
        let def = c.get(code).unwrap();
        let answers = changed(code, change);
        let level = answers.as_object().unwrap();
        let time = domain::routing::legal_time(def, level).unwrap();
        assert_eq!(
            (time.days, time.working_days),
            (*days, *working),
            "{code} {change:?}"
        );
        let area = domain::routing::area(def, level).map(|a| a.region_code);
        assert_eq!(area.as_deref(), *region, "{code} {change:?}");
    }
}
