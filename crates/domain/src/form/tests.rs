use super::*;
use proptest::prelude::*;
use serde_json::{Value, json};
use time::macros::date;

const TODAY: time::Date = date!(2026 - 11 - 29);

/// A fragment of the foreign passport's form, as a definition file holds it.
fn form() -> FormDef {
    let t = |s: &str| json!({"ru": s, "en": s});
    serde_json::from_value(json!({
        "sections": [
            {"id": "person", "title": t("Заявитель"), "fields": [
                {"id": "surname", "label": t("Фамилия"), "required": true,
                 "kind": {"type": "text", "max": 40, "script": "cyrillic"}},
                {"id": "birth_date", "label": t("Дата рождения"), "required": true,
                 "kind": {"type": "date", "rules": ["not_future", {"within_years": 120}]}},
                {"id": "had_other_names", "label": t("Меняли ли ФИО"), "required": true,
                 "kind": {"type": "boolean"}},
                {"id": "previous_names", "label": t("Прежние ФИО"),
                 "show_when": {"is_true": "had_other_names"},
                 "require_when": {"is_true": "had_other_names"},
                 "kind": {"type": "group", "min": 1, "max": 3, "fields": [
                    {"id": "surname", "label": t("Фамилия"), "required": true,
                     "kind": {"type": "text", "max": 40, "script": "cyrillic"}},
                    {"id": "changed_on", "label": t("Когда"), "required": true,
                     "kind": {"type": "date", "rules": ["not_future"]}}
                 ]}}
            ]},
            {"id": "travel", "title": t("Поездка"), "fields": [
                {"id": "kind", "label": t("Вид"), "required": true,
                 "kind": {"type": "choice", "options": [
                    {"value": "first", "label": t("Впервые")},
                    {"value": "replace", "label": t("Взамен")}]}},
                {"id": "old_passport", "label": t("Номер прежнего паспорта"),
                 "require_when": {"one_of": {"field": "kind", "values": ["replace"]}},
                 "kind": {"type": "text", "min": 9, "max": 9, "script": "digits"}}
            ]}
        ]
    }))
    .expect("a valid definition")
}

fn good() -> Value {
    json!({
        "surname": " Иванов ", "birth_date": "14.03.1985", "had_other_names": true,
        "previous_names": [{"surname": "Петров", "changed_on": "2005-06-01"}],
        "kind": "replace", "old_passport": "751234567"
    })
}

fn codes(r: Result<Value, Vec<Problem>>) -> Vec<(&'static str, String)> {
    r.err()
        .unwrap_or_default()
        .into_iter()
        .map(|p| (p.code, p.path))
        .collect()
}

#[test]
fn a_good_payload_is_kept_clean() {
    let clean = validate(&form(), &good(), TODAY).expect("valid");
    assert_eq!(clean["surname"], "Иванов");
    assert_eq!(clean["birth_date"], "1985-03-14");
    assert_eq!(clean["previous_names"][0]["changed_on"], "2005-06-01");
    assert!(form().check().is_empty(), "{:?}", form().check());
}

#[test]
fn every_problem_is_reported_at_once_with_its_path() {
    let bad = json!({
        "surname": "Ivanov<script>", "birth_date": "31.02.1985", "had_other_names": true,
        "previous_names": [{"surname": "Петров", "changed_on": "2099-01-01"}, {"changed_on": "x"}],
        "kind": "lost", "nickname": "x"
    });
    let got = codes(validate(&form(), &bad, TODAY));
    let want = [
        ("field.unknown", "/nickname"),
        ("text.cyrillic_required", "/surname"),
        ("date.format", "/birth_date"),
        ("date.future", "/previous_names/0/changed_on"),
        ("field.required", "/previous_names/1/surname"),
        ("date.format", "/previous_names/1/changed_on"),
        ("choice.unknown", "/kind"),
    ];
    for (code, path) in want {
        assert!(
            got.contains(&(code, path.to_owned())),
            "{code} at {path} missing: {got:?}"
        );
    }
    assert_eq!(got.len(), want.len(), "{got:?}");
}

#[test]
fn conditions_show_and_require() {
    // Not changed: previous names are not asked, and dropped if sent.
    let mut p = good();
    p["had_other_names"] = json!(false);
    let clean = validate(&form(), &p, TODAY).expect("valid");
    assert!(clean.get("previous_names").is_none());
    // Changed, but none given.
    let mut p = good();
    p["previous_names"] = json!([]);
    assert_eq!(
        codes(validate(&form(), &p, TODAY)),
        [("field.required", "/previous_names".to_owned())]
    );
    // A first passport needs no old number; a replacement does.
    let mut p = good();
    p["kind"] = json!("first");
    p.as_object_mut().map(|o| o.remove("old_passport"));
    assert!(validate(&form(), &p, TODAY).is_ok());
    p["kind"] = json!("replace");
    assert_eq!(
        codes(validate(&form(), &p, TODAY)),
        [("field.required", "/old_passport".to_owned())]
    );
}

#[test]
fn limits_and_types() {
    let cases = [
        (
            json!({"surname": "Я".repeat(41)}),
            "text.too_long",
            "/surname",
        ),
        (
            json!({"old_passport": "12345"}),
            "text.too_short",
            "/old_passport",
        ),
        (
            json!({"old_passport": "12345678x"}),
            "text.digits_only",
            "/old_passport",
        ),
        (
            json!({"birth_date": "1890-01-01"}),
            "date.too_old",
            "/birth_date",
        ),
        (
            json!({"had_other_names": "yes"}),
            "value.type",
            "/had_other_names",
        ),
        (json!({"surname": 42}), "value.type", "/surname"),
        (
            json!({"previous_names": vec![json!({"surname": "А", "changed_on": "2000-01-01"}); 4]}),
            "group.too_many",
            "/previous_names",
        ),
    ];
    for (patch, code, path) in cases {
        let mut p = good();
        for (k, v) in patch.as_object().into_iter().flatten() {
            p[k] = v.clone();
        }
        let got = codes(validate(&form(), &p, TODAY));
        assert!(
            got.contains(&(code, path.to_owned())),
            "{code} at {path}: {got:?}"
        );
    }
    assert_eq!(
        codes(validate(&form(), &json!([1, 2]), TODAY)),
        [("value.type", String::new())]
    );
}

#[test]
fn definitions_with_mistakes_are_named() {
    let t = json!({"ru": "x", "en": "x"});
    let bad: FormDef = serde_json::from_value(json!({"sections": [{"id": "s", "title": t, "fields": [
        {"id": "a", "label": t, "kind": {"type": "boolean"}},
        {"id": "a", "label": t, "kind": {"type": "choice", "options": []}},
        {"id": "b", "label": t, "show_when": {"is_true": "nowhere"}, "kind": {"type": "group", "min": 3, "max": 2, "fields": []}}
    ]}]}))
    .expect("parses");
    let problems = bad.check();
    assert_eq!(problems.len(), 4, "{problems:?}");
    // Unknown keys in a definition are refused when it is read.
    let typo = serde_json::from_value::<FormDef>(json!({"sections": [], "sectoins": []}));
    assert!(typo.is_err());
}

proptest! {
    /// Any JSON at all: no panic, and every problem points into the payload
    /// or at a field of the form.
    #[test]
    fn any_payload_is_judged_without_panic(
        surname in ".{0,60}", date in "[0-9.\\-]{0,12}", flag in any::<bool>(),
        n in 0usize..6, kind in "[a-z]{0,8}", extra in proptest::option::of("[a-z~/]{1,6}"),
    ) {
        let mut p = json!({
            "surname": surname, "birth_date": date, "had_other_names": flag,
            "previous_names": vec![json!({"surname": "Петров", "changed_on": "2001-01-01"}); n],
            "kind": kind,
        });
        if let Some(k) = extra {
            p[k] = json!(1);
        }
        if let Err(problems) = validate(&form(), &p, TODAY) {
            for pr in problems {
                prop_assert!(pr.path.is_empty() || pr.path.starts_with('/'));
                prop_assert!(!pr.code.is_empty());
            }
        }
    }
}

fn composite_form() -> FormDef {
    let t = |s: &str| json!({"ru": s, "en": s});
    serde_json::from_value(json!({"sections": [{"id": "s", "title": t("s"), "fields": [
        {"id": "inviter", "label": t("Приглашающий"), "required": true,
         "kind": {"type": "person", "min_age": 18}},
        {"id": "passport", "label": t("Паспорт"), "required": true,
         "kind": {"type": "document", "document": "passport_rf"}},
        {"id": "dwelling", "label": t("Адрес"), "required": true, "kind": {"type": "address"}}
    ]}]}))
    .expect("valid")
}

fn composite_good() -> Value {
    json!({
        "inviter": {"surname": "Иванов", "given_name": "Иван", "patronymic": "Иванович", "birth_date": "14.03.1985"},
        "passport": {"number": "45 10 123456", "issued_on": "20.04.2015", "issued_by": "ОВД"},
        "dwelling": {"region_code": "77", "region": "г. Москва", "settlement": "Москва",
                     "street": "ул. Тимура Фрунзе", "house": "11", "flat": "5", "postcode": "119021"}
    })
}

#[test]
fn people_documents_and_addresses_are_checked_part_by_part() {
    let clean = validate(&composite_form(), &composite_good(), TODAY).expect("valid");
    assert_eq!(clean["inviter"]["birth_date"], "1985-03-14");
    assert_eq!(clean["passport"]["number"], "4510123456");
    assert_eq!(clean["dwelling"]["region_code"], "77");
    assert!(composite_form().check().is_empty());

    let cases = [
        (
            "/inviter",
            json!({"surname": "Иванов", "given_name": "Ivan", "birth_date": "14.03.1985"}),
            "name.mixed_scripts",
            "/inviter/given_name",
        ),
        (
            "/inviter",
            json!({"surname": "Иванов", "given_name": "Иван", "birth_date": "14.03.2030"}),
            "date.future",
            "/inviter/birth_date",
        ),
        (
            "/inviter",
            json!({"surname": "Иванов", "given_name": "Иван", "birth_date": "14.03.2015"}),
            "age.too_young",
            "/inviter/birth_date",
        ),
        (
            "/inviter",
            json!({"given_name": "Иван", "birth_date": "14.03.1985"}),
            "field.required",
            "/inviter/surname",
        ),
        (
            "/passport",
            json!({"number": "45 10 12", "issued_on": "20.04.2015"}),
            "passport.format",
            "/passport/number",
        ),
        (
            "/passport",
            json!({"number": "45 10 123456", "issued_on": "20.04.2099"}),
            "date.future",
            "/passport/issued_on",
        ),
        (
            "/dwelling",
            json!({"region_code": "7", "region": "Москва", "settlement": "Москва", "house": "1", "postcode": "119021"}),
            "address.region_code",
            "/dwelling/region_code",
        ),
        (
            "/dwelling",
            json!({"region_code": "77", "region": "Москва", "settlement": "Москва", "house": "1", "postcode": "1190"}),
            "postcode.format",
            "/dwelling/postcode",
        ),
        (
            "/dwelling",
            json!({"region_code": "77", "region": "Москва", "settlement": "Москва", "postcode": "119021"}),
            "field.required",
            "/dwelling/house",
        ),
        (
            "/dwelling",
            json!({"region_code": "77", "region": "Москва", "settlement": "Москва", "house": "1", "postcode": "119021", "fias": "x"}),
            "field.unknown",
            "/dwelling/fias",
        ),
    ];
    for (at, value, code, path) in cases {
        let mut p = composite_good();
        p[&at[1..]] = value;
        let got = codes(validate(&composite_form(), &p, TODAY));
        assert!(
            got.contains(&(code, path.to_owned())),
            "{code} at {path}: {got:?}"
        );
    }
}

/// A hidden field counts as absent for the others (conditions chain), a
/// declaration counts only when accepted, and conditions can say "not".
#[test]
fn hidden_fields_show_nothing_and_declarations_must_be_accepted() {
    let t = |s: &str| json!({"ru": s, "en": s});
    let form: FormDef = serde_json::from_value(json!({"sections": [{"id": "s", "title": t("s"), "fields": [
        {"id": "kind", "label": t("k"), "required": true, "kind": {"type": "choice", "options": [
            {"value": "issue", "label": t("i")}, {"value": "extension", "label": t("e")}]}},
        {"id": "has_rvp", "label": t("r"), "show_when": {"one_of": {"field": "kind", "values": ["issue"]}},
         "kind": {"type": "boolean"}},
        {"id": "rvp_number", "label": t("n"), "show_when": {"is_true": "has_rvp"},
         "require_when": {"is_true": "has_rvp"}, "kind": {"type": "text", "max": 20}},
        {"id": "no_rvp_basis", "label": t("b"), "show_when": {"is_false": "has_rvp"},
         "require_when": {"is_false": "has_rvp"}, "kind": {"type": "text", "max": 20}},
        {"id": "other", "label": t("o"), "show_when": {"none_of": {"field": "kind", "values": ["issue"]}},
         "require_when": {"none_of": {"field": "kind", "values": ["issue"]}}, "kind": {"type": "text", "max": 20}},
        {"id": "declaration", "label": t("d"), "required": true, "kind": {"type": "declaration"}}
    ]}]}))
    .expect("a valid definition");
    // `has_rvp` is hidden by `kind`, so its leftover `true` shows nothing.
    let p = json!({"kind": "extension", "has_rvp": true, "rvp_number": "x", "other": "o", "declaration": true});
    assert_eq!(
        validate(&form, &p, TODAY).unwrap(),
        json!({"kind": "extension", "other": "o", "declaration": true})
    );
    // A declaration left unticked is missing, whatever else is right.
    let p = json!({"kind": "issue", "has_rvp": false, "no_rvp_basis": "b", "declaration": false});
    assert_eq!(
        codes(validate(&form, &p, TODAY)),
        [("field.required", "/declaration".into())]
    );
    let p = json!({"kind": "issue", "has_rvp": true, "declaration": true});
    assert_eq!(
        codes(validate(&form, &p, TODAY)),
        [("field.required", "/rvp_number".into())]
    );
    let p = json!({"kind": "issue", "has_rvp": false, "declaration": "yes"});
    assert_eq!(
        codes(validate(&form, &p, TODAY)),
        [
            ("field.required", "/no_rvp_basis".into()),
            ("value.type", "/declaration".into())
        ]
    );
}

/// Parts typed so far are kept while others are missing; a date at the end
/// of the calendar does not overflow a period rule; pointers name fields only
/// in their canonical form.
#[test]
fn a_list_item_missing_an_answer_is_kept_in_the_draft() {
    // Found by the browser journey: a period of work saved before its
    // employer was asked for vanished with every other period.
    let payload = json!({
        "had_other_names": true,
        "previous_names": [{"surname": "Петрова"}, {"surname": "Сидорова", "changed_on": "2012-04-20"}],
    });
    let (clean, problems) = check(&form(), &payload, TODAY);
    assert!(problems.iter().all(|p| is_missing(p.code)), "{problems:?}");
    assert_eq!(
        clean["previous_names"],
        json!([{"surname": "Петрова"}, {"surname": "Сидорова", "changed_on": "2012-04-20"}])
    );
    // Something wrong inside is still refused, not kept.
    let wrong = json!({"had_other_names": true, "previous_names": [{"surname": "Petrova", "changed_on": "2012-04-20"}]});
    let (clean, problems) = check(&form(), &wrong, TODAY);
    assert!(problems.iter().any(|p| !is_missing(p.code)), "{problems:?}");
    assert!(clean.get("previous_names").is_none());
}

#[test]
fn partial_values_dates_at_the_end_of_time_and_pointers() {
    let t = |s: &str| json!({"ru": s, "en": s});
    let form: FormDef = serde_json::from_value(json!({"sections": [{"id": "s", "title": t("s"), "fields": [
        {"id": "who", "label": t("w"), "required": true, "kind": {"type": "person"}},
        {"id": "from", "label": t("f"), "kind": {"type": "date"}},
        {"id": "to", "label": t("t"), "kind": {"type": "date", "rules": [{"max_days_after": {"field": "from", "days": 90}}, {"within_days_ahead": 365}]}},
        {"id": "kids", "label": t("k"), "kind": {"type": "group", "max": 2, "fields": [
            {"id": "photo", "label": t("p"), "kind": {"type": "file", "accept": ["jpeg"], "max_bytes": 10}}]}}
    ]}]}))
    .expect("a valid definition");
    let (clean, problems) = check(&form, &json!({"who": {"surname": " Иванова "}}), TODAY);
    assert_eq!(clean["who"], json!({"surname": "Иванова"}));
    assert!(problems.iter().all(|p| is_missing(p.code)), "{problems:?}");
    let (clean, _) = check(
        &form,
        &json!({"who": {"surname": "Иванова", "nickname": "x"}}),
        TODAY,
    );
    assert!(clean.get("who").is_none(), "an unknown part is not kept");
    let end = json!({"from": "9999-12-31", "to": "9999-12-31"});
    let problems = validate(&form, &end, TODAY).unwrap_err();
    assert!(
        problems.iter().any(|p| p.code == "date.too_far"),
        "{problems:?}"
    );
    assert!(field_at(&form, "/kids/1/photo").is_some());
    for bad in [
        "/kids/2/photo",
        "/kids/01/photo",
        "/kids/+0/photo",
        "/kids/photo",
        "/who/surname/x",
    ] {
        assert!(field_at(&form, bad).is_none(), "{bad}");
    }
}
