//! Applications over the API (issue 16): drafts pre-filled from the
//! identity, saves bound to a version, the electronic check, numbers, and
//! each service's example taken end to end, on both databases.

use crate::support::*;
use reqwest::Method;
use serde_json::{Value, json};

/// Petrova of the reference registry, verified and confirmed.
async fn confirmed_citizen(app: &TestApp, phone: &str) -> String {
    let token = app
        .applicant(phone, "Петрова", "Анна", Some("Сергеевна"))
        .await;
    let identity = json!({
        "citizenship": "russian",
        "surname": "Петрова", "given_name": "Анна", "patronymic": "Сергеевна",
        "birth_date": "02.07.1990", "snils": "123-456-789 64",
        "passport": "45 12 654321", "passport_issued_on": "15.08.2020", "office_code": "770-002",
    });
    verified(app, &token, phone, identity).await;
    token
}

/// Karimov of the reference registry, a foreign national, confirmed.
async fn confirmed_foreigner(app: &TestApp, phone: &str) -> String {
    let token = app.applicant(phone, "KARIMOV", "ALISHER", None).await;
    let identity = json!({
        "citizenship": "foreign", "surname": "KARIMOV", "given_name": "ALISHER",
        "birth_date": "1992-05-20", "foreign_passport": "FA1234567", "country": "UZB",
        "migration_card": "4617 1234567",
    });
    verified(app, &token, phone, identity).await;
    token
}

async fn verified(app: &TestApp, token: &str, phone: &str, identity: Value) {
    let (status, body) = app
        .with_token(Method::PUT, "/me/identity", token, Some(identity))
        .await;
    assert_eq!(status, 202, "{body}");
    let settled = app.identity_settled(token).await;
    assert_eq!(settled["state"], "verified", "{settled}");
    // The confirmed level has its own tests (letters, signatures, centres).
    sql(
        &app.db.url,
        &format!("UPDATE accounts SET level = 'confirmed' WHERE phone = '{phone}'"),
    )
    .await;
}

/// A request with optional extra headers; returns status, headers and JSON.
async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = app
        .client
        .request(method, format!("{}{path}", app.api))
        .bearer_auth(token);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let headers = res.headers().clone();
    let (status, json) = status_json(res).await;
    (status, headers, json)
}

fn fields(problem: &Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .map(|x| {
                    (
                        x["code"].as_str().unwrap_or_default().to_owned(),
                        x["field"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn example(code: &str) -> Value {
    let today = app::today(app::system_clock());
    app::catalogue::Catalogue::builtin()
        .unwrap()
        .example(code, today)
        .unwrap()
}

/// The example's answers, keeping what the draft was pre-filled with from
/// the identity (the person's own name and documents).
fn answers_for(code: &str, draft: &Value) -> Value {
    let mut answers = example(code);
    for key in [
        "applicant",
        "passport",
        "current_passport",
        "internal_passport",
        "inviter_passport",
    ] {
        // The parts the portal knew win; the rest comes from the example.
        if let (Some(known), Some(given)) = (draft["answers"].get(key), answers.get_mut(key)) {
            match (known.as_object(), given.as_object_mut()) {
                (Some(k), Some(g)) => g.extend(k.clone()),
                _ => *given = known.clone(),
            }
        }
    }
    answers
}

#[tokio::test]
async fn a_draft_is_prefilled_saved_on_its_version_checked_and_numbered() {
    each_backend(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let me = confirmed_citizen(&app, "+79161112233").await;
        let key = [("Idempotency-Key", "draft-1")];
        let body = json!({"service": "passport-internal"});
        let (status, h, draft) = call(
            &app,
            Method::POST,
            "/applications",
            &me,
            &key,
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, 201, "{draft}");
        let id = draft["id"].as_str().unwrap().to_owned();
        assert_eq!(h["etag"], "\"1\"");
        assert_eq!(
            (draft["status"].as_str(), draft["epgu_code"].as_i64()),
            (Some("draft"), Some(0))
        );
        // Pre-filled from the verified identity.
        assert_eq!(draft["answers"]["applicant"]["surname"], "Петрова");
        assert_eq!(draft["answers"]["current_passport"]["number"], "4512654321");
        assert!(
            draft["missing"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m == "/reason"),
            "{draft}"
        );
        // The same key again: the same draft, not a second one.
        let (status, _, again) =
            call(&app, Method::POST, "/applications", &me, &key, Some(body)).await;
        assert_eq!((status, again["id"].as_str()), (201, Some(id.as_str())));
        let (status, _, p) = call(
            &app,
            Method::POST,
            "/applications",
            &me,
            &key,
            Some(json!({"service": "registration-stay"})),
        )
        .await;
        assert_eq!(
            (status, p["code"].as_str()),
            (422, Some("idempotency.mismatch")),
            "{p}"
        );
        let (_, _, list) = call(&app, Method::GET, "/applications", &me, &[], None).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");

        // Nonsense is refused field by field and nothing is stored.
        let path = format!("/applications/{id}");
        let mut bad = draft["answers"].clone();
        bad["reason"] = json!("unfit");
        bad["birth_place"] = json!("x".repeat(10_000));
        bad["sex"] = json!("<script>alert(1)</script>");
        bad["colour"] = json!("red");
        bad["applicant"]["surname"] = json!("Petrova");
        let (status, _, p) = call(
            &app,
            Method::PUT,
            &path,
            &me,
            &[("If-Match", "\"1\"")],
            Some(json!({"answers": bad})),
        )
        .await;
        assert_eq!(status, 422, "{p}");
        let got = fields(&p);
        for expected in [
            ("text.too_long", "/birth_place"),
            ("choice.unknown", "/sex"),
            ("field.unknown", "/colour"),
        ] {
            assert!(
                got.iter()
                    .any(|(c, f)| (c.as_str(), f.as_str()) == expected),
                "{expected:?} in {got:?}"
            );
        }
        assert!(
            got.iter().any(|(_, f)| f.starts_with("/applicant/")),
            "{got:?}"
        );
        // A megabyte is refused before it is read.
        let (status, _, p) = call(
            &app,
            Method::PUT,
            &path,
            &me,
            &[("If-Match", "\"1\"")],
            Some(json!({"answers": {"birth_place": "x".repeat(1_000_000)}})),
        )
        .await;
        assert_eq!((status, p["code"].as_str()), (413, Some("body.too_large")));
        let (_, h, same) = call(&app, Method::GET, &path, &me, &[], None).await;
        assert_eq!(
            (h["etag"].to_str().unwrap(), &same["answers"]),
            ("\"1\"", &draft["answers"])
        );

        // A good save raises the version; the stale one gets 409 and the current version.
        let mut good = draft["answers"].clone();
        good["reason"] = json!("unfit");
        let (status, h, saved) = call(
            &app,
            Method::PUT,
            &path,
            &me,
            &[("If-Match", "\"1\"")],
            Some(json!({"answers": good})),
        )
        .await;
        assert_eq!(
            (status, h["etag"].to_str().unwrap()),
            (200, "\"2\""),
            "{saved}"
        );
        let (status, _, p) = call(
            &app,
            Method::PUT,
            &path,
            &me,
            &[("If-Match", "\"1\"")],
            Some(json!({"answers": good})),
        )
        .await;
        assert_eq!(
            (status, p["code"].as_str(), p["current_version"].as_i64()),
            (409, Some("application.stale"), Some(2)),
            "{p}"
        );
        let (status, _, p) = call(
            &app,
            Method::PUT,
            &path,
            &me,
            &[],
            Some(json!({"answers": good})),
        )
        .await;
        assert_eq!(
            (status, p["code"].as_str()),
            (428, Some("application.version_required"))
        );

        // Submitting an incomplete draft lists what is missing; it stays a draft.
        let submit = format!("{path}/submit");
        let (status, _, p) = call(&app, Method::POST, &submit, &me, &[], None).await;
        assert_eq!(status, 422, "{p}");
        assert!(
            fields(&p)
                .iter()
                .any(|(c, f)| c == "field.required" && f == "/declaration"),
            "{p}"
        );
        let (_, _, still) = call(&app, Method::GET, &path, &me, &[], None).await;
        assert_eq!(
            (still["status"].as_str(), still["version"].as_i64()),
            (Some("draft"), Some(2))
        );

        // Someone else's draft does not exist for them.
        let other = app.applicant("+79164445566", "Сидоров", "Пётр", None).await;
        for (m, p) in [
            (Method::GET, path.clone()),
            (Method::DELETE, path.clone()),
            (Method::POST, submit.clone()),
        ] {
            let (status, _, _) = call(&app, m, &p, &other, &[], None).await;
            assert_eq!(status, 404);
        }

        // The whole form, then the check passes and the number is given once.
        let answers = answers_for("passport-internal", &saved);
        let (status, _, saved) = call(
            &app,
            Method::PUT,
            &path,
            &me,
            &[("If-Match", "\"2\"")],
            Some(json!({"answers": answers})),
        )
        .await;
        assert_eq!(status, 200, "{saved}");
        assert_eq!(saved["missing"], json!([]), "{saved}");
        let skey = [("Idempotency-Key", "submit-1")];
        let (status, _, sent) = call(&app, Method::POST, &submit, &me, &skey, None).await;
        assert_eq!(status, 200, "{sent}");
        assert_eq!(
            (sent["status"].as_str(), sent["epgu_code"].as_i64()),
            (Some("submitted"), Some(21))
        );
        let number = sent["number"].as_str().unwrap().to_owned();
        assert!(domain::application::number_is_valid(&number), "{number}");
        // A retry with the key answers the same; without it, 409.
        let (status, _, again) = call(&app, Method::POST, &submit, &me, &skey, None).await;
        assert_eq!(
            (status, again["number"].as_str()),
            (200, Some(number.as_str()))
        );
        let (status, _, p) = call(&app, Method::POST, &submit, &me, &[], None).await;
        assert_eq!(
            (status, p["code"].as_str()),
            (409, Some("application.not_draft"))
        );
        let (status, _, p) = call(
            &app,
            Method::PUT,
            &path,
            &me,
            &[("If-Match", "\"3\"")],
            Some(json!({"answers": answers})),
        )
        .await;
        assert_eq!(
            (status, p["code"].as_str()),
            (409, Some("application.not_editable"))
        );
        let (status, _, _) = call(&app, Method::DELETE, &path, &me, &[], None).await;
        assert_eq!(status, 409);

        // One open application per person and service.
        let (_, _, second) = call(
            &app,
            Method::POST,
            "/applications",
            &me,
            &[],
            Some(json!({"service": "passport-internal"})),
        )
        .await;
        let second_path = format!("/applications/{}", second["id"].as_str().unwrap());
        // Pre-filled from the earlier application too.
        assert_eq!(
            second["answers"]["birth_place"], answers["birth_place"],
            "{second}"
        );
        let answers2 = answers_for("passport-internal", &second);
        let (status, _, _) = call(
            &app,
            Method::PUT,
            &second_path,
            &me,
            &[("If-Match", "\"1\"")],
            Some(json!({"answers": answers2})),
        )
        .await;
        assert_eq!(status, 200);
        let (status, _, p) = call(
            &app,
            Method::POST,
            &format!("{second_path}/submit"),
            &me,
            &[],
            None,
        )
        .await;
        assert_eq!(
            (status, p["code"].as_str()),
            (409, Some("application.one_open")),
            "{p}"
        );
        let (status, _, _) = call(&app, Method::DELETE, &second_path, &me, &[], None).await;
        assert_eq!(status, 204);

        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn who_may_apply_is_said_before_the_first_answer() {
    each_backend(|backend| async move {
        let app = TestApp::spawn(backend).await;
        // A foreign national cannot start a citizen's service, nor a citizen a permit.
        let foreigner = confirmed_foreigner(&app, "+79163334455").await;
        let (status, _, p) = call(
            &app,
            Method::POST,
            "/applications",
            &foreigner,
            &[],
            Some(json!({"service": "passport-internal"})),
        )
        .await;
        assert_eq!(
            (status, fields(&p)[0].0.as_str()),
            (422, "eligibility.applicant_kind"),
            "{p}"
        );
        let citizen = confirmed_citizen(&app, "+79161112233").await;
        let (status, _, _) = call(
            &app,
            Method::POST,
            "/applications",
            &citizen,
            &[],
            Some(json!({"service": "residence-permit"})),
        )
        .await;
        assert_eq!(status, 422);
        // The standard level may ask for a reference but not apply for a passport.
        sql(
            &app.db.url,
            "UPDATE accounts SET level = 'standard' WHERE role = 'applicant'",
        )
        .await;
        let (status, _, p) = call(
            &app,
            Method::POST,
            "/applications",
            &citizen,
            &[],
            Some(json!({"service": "passport-internal"})),
        )
        .await;
        assert_eq!(
            (status, p["code"].as_str()),
            (403, Some("application.level_too_low")),
            "{p}"
        );
        let (status, _, _) = call(
            &app,
            Method::POST,
            "/applications",
            &citizen,
            &[],
            Some(json!({"service": "address-reference"})),
        )
        .await;
        assert_eq!(status, 201);
        let (status, _, p) = call(
            &app,
            Method::POST,
            "/applications",
            &citizen,
            &[],
            Some(json!({"service": "no-such-service"})),
        )
        .await;
        assert_eq!((status, p["code"].as_str()), (404, Some("service.unknown")));
        // The first passport at 14 is not taken online, and the person is told why.
        sql(
            &app.db.url,
            "UPDATE accounts SET level = 'confirmed' WHERE role = 'applicant'",
        )
        .await;
        let (_, _, draft) = call(
            &app,
            Method::POST,
            "/applications",
            &citizen,
            &[],
            Some(json!({"service": "passport-internal"})),
        )
        .await;
        let path = format!("/applications/{}", draft["id"].as_str().unwrap());
        let mut answers = answers_for("passport-internal", &draft);
        answers["reason"] = json!("first_14");
        let (status, _, saved) = call(
            &app,
            Method::PUT,
            &path,
            &citizen,
            &[("If-Match", "\"1\"")],
            Some(json!({"answers": answers})),
        )
        .await;
        assert_eq!(status, 200, "{saved}");
        let res = app
            .client
            .post(format!("{}{path}/submit", app.api))
            .bearer_auth(&citizen)
            .header("Accept-Language", "en")
            .send()
            .await
            .unwrap();
        let (status, p) = status_json(res).await;
        assert_eq!(status, 422, "{p}");
        let e = p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["code"] == "eligibility.not_online")
            .expect("refused");
        assert_eq!(e["field"], "/reason");
        assert!(
            e["message"].as_str().unwrap().len() > 60,
            "the reason is given: {e}"
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn of_concurrent_saves_on_one_version_exactly_one_wins() {
    each_backend(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let me = confirmed_citizen(&app, "+79161112233").await;
        let (_, _, draft) = call(&app, Method::POST, "/applications", &me, &[],
            Some(json!({"service": "address-reference"}))).await;
        let path = format!("/applications/{}", draft["id"].as_str().unwrap());
        let saves = (0..12).map(|i| {
            let (app, me, path) = (&app, &me, &path);
            async move {
                let answers = json!({"about": "self", "delivery": if i % 2 == 0 { "account" } else { "office" }});
                call(app, Method::PUT, path, me, &[("If-Match", "\"1\"")], Some(json!({"answers": answers}))).await.0
            }
        });
        let statuses = futures_util::future::join_all(saves).await;
        assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
        assert!(statuses.iter().all(|s| *s == 200 || *s == 409), "{statuses:?}");
        let (_, _, now) = call(&app, Method::GET, &path, &me, &[], None).await;
        assert_eq!(now["version"], 2);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn every_service_takes_its_example_end_to_end() {
    each_backend(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let citizen = confirmed_citizen(&app, "+79161112233").await;
        let foreigner = confirmed_foreigner(&app, "+79163334455").await;
        let (_, catalogue) = status_json(
            app.client
                .get(format!("{}/services", app.api))
                .send()
                .await
                .unwrap(),
        )
        .await;
        let services = catalogue["services"].as_array().unwrap();
        assert_eq!(services.len(), 10);
        for s in services {
            let code = s["code"].as_str().unwrap();
            let token = if s["applicants"] == json!(["foreign_national"]) {
                &foreigner
            } else {
                &citizen
            };
            let (status, _, draft) = call(
                &app,
                Method::POST,
                "/applications",
                token,
                &[],
                Some(json!({"service": code})),
            )
            .await;
            assert_eq!(status, 201, "{code}: {draft}");
            let path = format!("/applications/{}", draft["id"].as_str().unwrap());
            let answers = answers_for(code, &draft);
            let (status, _, saved) = call(
                &app,
                Method::PUT,
                &path,
                token,
                &[("If-Match", "\"1\"")],
                Some(json!({"answers": answers})),
            )
            .await;
            assert_eq!(status, 200, "{code}: {saved}");
            assert_eq!(saved["missing"], json!([]), "{code}");
            let (status, _, sent) = call(
                &app,
                Method::POST,
                &format!("{path}/submit"),
                token,
                &[],
                None,
            )
            .await;
            assert_eq!(
                (status, sent["status"].as_str()),
                (200, Some("submitted")),
                "{code}: {sent}"
            );
        }
        let (_, _, mine) = call(
            &app,
            Method::GET,
            "/applications?limit=3",
            &citizen,
            &[],
            None,
        )
        .await;
        assert_eq!(mine["items"].as_array().unwrap().len(), 3);
        let cursor = mine["next_cursor"].as_str().unwrap();
        let (_, _, rest) = call(
            &app,
            Method::GET,
            &format!("/applications?limit=100&cursor={cursor}"),
            &citizen,
            &[],
            None,
        )
        .await;
        assert_eq!(rest["items"].as_array().unwrap().len(), 5, "{rest}");
        assert!(rest["next_cursor"].is_null());
        app.stop().await;
    })
    .await;
}
