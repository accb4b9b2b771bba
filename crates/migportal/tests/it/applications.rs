//! Applications over the API (issue 16): drafts pre-filled from the
//! identity, saves bound to a version, the electronic check, numbers, and
//! each service's example taken end to end, on both databases.

use crate::pages::{browser_login, location, page, submit};
use crate::support::*;
use reqwest::Method;
use serde_json::{Value, json};

/// Registers a person of the reference registry by phone, has their
/// identity verified and raises them to the confirmed level.
async fn confirmed(app: &TestApp, phone: &str, identity: Value) -> String {
    let text = |k: &str| identity[k].as_str().unwrap_or_default().to_owned();
    let patronymic = Some(text("patronymic")).filter(|p| !p.is_empty());
    let token = app
        .applicant(
            phone,
            &text("surname"),
            &text("given_name"),
            patronymic.as_deref(),
        )
        .await;
    verified(app, &token, phone, identity).await;
    token
}

/// Petrova, a citizen.
pub(crate) async fn confirmed_citizen(app: &TestApp, phone: &str) -> String {
    confirmed(app, phone, json!({
        "citizenship": "russian",
        "surname": "Петрова", "given_name": "Анна", "patronymic": "Сергеевна",
        "birth_date": "02.07.1990", "snils": "123-456-789 64",
        "passport": "45 12 654321", "passport_issued_on": "15.08.2020", "office_code": "770-002",
    }))
    .await
}

/// Sidorov, another citizen.
pub(crate) async fn confirmed_sidorov(app: &TestApp, phone: &str) -> String {
    confirmed(app, phone, json!({
        "citizenship": "russian",
        "surname": "Сидоров", "given_name": "Пётр", "patronymic": "Алексеевич",
        "birth_date": "30.11.1978", "snils": "234-567-891 00",
        "passport": "40 05 111222", "passport_issued_on": "10.12.2003", "office_code": "780-001",
    }))
    .await
}

/// Karimov, a foreign national.
pub(crate) async fn confirmed_foreigner(app: &TestApp, phone: &str) -> String {
    confirmed(
        app,
        phone,
        json!({
            "citizenship": "foreign", "surname": "KARIMOV", "given_name": "ALISHER",
            "birth_date": "1992-05-20", "foreign_passport": "FA1234567", "country": "UZB",
            "migration_card": "4617 1234567",
        }),
    )
    .await
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
/// An application as its owner reads it over the API.
pub(crate) async fn application(app: &TestApp, token: &str, id: &str) -> Value {
    call(
        app,
        Method::GET,
        &format!("/applications/{id}"),
        token,
        &[],
        None,
    )
    .await
    .2
}

pub(crate) async fn call(
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

/// The placeholder the examples hold where a file goes.
const FILE_PLACEHOLDER: &str = "0123456789abcdef0123456789abcdef";

/// A passport-sized photo (413 × 531 px), as PNG or JPEG.
pub(crate) fn photo(format: image::ImageFormat) -> Vec<u8> {
    let img = image::RgbImage::from_fn(413, 531, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

pub(crate) async fn upload(
    app: &TestApp,
    token: &str,
    id: &str,
    field: &str,
    name: &str,
    bytes: Vec<u8>,
) -> (u16, Value) {
    let form = reqwest::multipart::Form::new()
        .text("field", field.to_owned())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
        );
    let res = app
        .client
        .post(format!("{}/applications/{id}/attachments", app.api))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    status_json(res).await
}

/// Uploads a photo for every file answer of `answers` (top level) and puts its id there.
pub(crate) async fn with_files(app: &TestApp, token: &str, id: &str, mut answers: Value) -> Value {
    let keys: Vec<String> = answers
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, v)| v.as_str() == Some(FILE_PLACEHOLDER))
        .map(|(k, _)| k.clone())
        .collect();
    for key in keys {
        let (status, file) = upload(
            app,
            token,
            id,
            &format!("/{key}"),
            "photo.png",
            photo(image::ImageFormat::Png),
        )
        .await;
        assert_eq!(status, 201, "{file}");
        answers[&key] = file["id"].clone();
    }
    answers
}

pub(crate) fn fields(problem: &Value) -> Vec<(String, String)> {
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
pub(crate) fn answers_for(code: &str, draft: &Value) -> Value {
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

/// An answer about an application equals its owner's read of it right after.
async fn as_read(app: &TestApp, token: &str, answer: &Value) {
    let id = answer["id"].as_str().unwrap();
    let read = application(app, token, id).await;
    assert_eq!(&read, answer, "the answer differs from a read right after");
}

#[tokio::test]
async fn a_draft_is_prefilled_saved_on_its_version_checked_and_numbered() {
    each_backend(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let me = confirmed_citizen(&app, "+79161112233").await;
        // The profile's address of registration pre-fills the forms too.
        let home = json!({"region_code": "77", "postcode": "119146", "region": "Москва", "city": "Москва",
            "street": "Комсомольский проспект", "house": "1", "flat": "5"});
        let (status, body) = app.with_token(Method::PUT, "/me/profile/addresses/registration", &me, Some(home)).await;
        assert_eq!(status, 204, "{body}");
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
        assert_eq!(draft["answers"]["residence_address"]["street"], "Комсомольский проспект", "{draft}");
        // The answers of create, save and send are made from what was
        // written, not read back: each must be what a read right after says.
        as_read(&app, &me, &draft).await;
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
        as_read(&app, &me, &saved).await;
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
        let answers = with_files(&app, &me, &id, answers_for("passport-internal", &saved)).await;
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
        as_read(&app, &me, &saved).await;
        let skey = [("Idempotency-Key", "submit-1")];
        let (status, _, sent) = call(&app, Method::POST, &submit, &me, &skey, None).await;
        assert_eq!(status, 200, "{sent}");
        assert_eq!(
            (sent["status"].as_str(), sent["epgu_code"].as_i64()),
            (Some("submitted"), Some(21))
        );
        let number = sent["number"].as_str().unwrap().to_owned();
        assert!(domain::application::number_is_valid(&number), "{number}");
        as_read(&app, &me, &sent).await;
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
        let answers2 = with_files(
            &app,
            &me,
            second["id"].as_str().unwrap(),
            answers_for("passport-internal", &second),
        )
        .await;
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
        let mut answers = with_files(
            &app,
            &citizen,
            draft["id"].as_str().unwrap(),
            answers_for("passport-internal", &draft),
        )
        .await;
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
            let answers = with_files(
                &app,
                token,
                draft["id"].as_str().unwrap(),
                answers_for(code, &draft),
            )
            .await;
            // Refused first (a field the form lacks, a person born in the future), then corrected.
            let mut wrong = answers.clone();
            wrong["colour"] = json!("red");
            let has_applicant = answers.get("applicant").is_some();
            if has_applicant {
                wrong["applicant"]["birth_date"] = json!("2099-01-01");
            }
            let (status, _, p) = call(
                &app,
                Method::PUT,
                &path,
                token,
                &[("If-Match", "\"1\"")],
                Some(json!({"answers": wrong})),
            )
            .await;
            assert_eq!(status, 422, "{code}: {p}");
            let got = fields(&p);
            assert!(
                got.contains(&("field.unknown".to_owned(), "/colour".to_owned())),
                "{code}: {got:?}"
            );
            assert!(
                !has_applicant
                    || got
                        .contains(&("date.future".to_owned(), "/applicant/birth_date".to_owned())),
                "{code}: {got:?}"
            );
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

/// Flattens answers into the names a page posts (`a.b`, `g._count`, `g.0.x`).
pub(crate) fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                let name = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&name, x, out);
            }
        }
        Value::Array(items) => {
            out.push((format!("{prefix}._count"), items.len().to_string()));
            for (i, x) in items.iter().enumerate() {
                flatten(&format!("{prefix}.{i}"), x, out);
            }
        }
        Value::String(s) => out.push((prefix.to_owned(), s.clone())),
        Value::Null => {}
        other => out.push((prefix.to_owned(), other.to_string())),
    }
}

/// Fills and sends an application through the pages, as a browser without
/// JavaScript does: start, each section in turn, check, send.
async fn apply_in_the_browser(
    app: &TestApp,
    token: &str,
    csrf: &str,
    code: &str,
    first_wrong: bool,
) -> String {
    let catalogue = app::catalogue::Catalogue::builtin().unwrap();
    let def = catalogue.get(code).unwrap();
    let (status, html) = page(app, &format!("/services/{code}")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains(def.name.ru()),
        "{code}: the service page names it"
    );
    let res = submit(app, &format!("/services/{code}/start"), &[("csrf", csrf)]).await;
    let tasks = location(&res);
    assert!(tasks.starts_with("/applications/"), "{code}: {tasks}");
    let id = tasks.trim_start_matches("/applications/").to_owned();
    let (_, _, draft) = call(
        app,
        Method::GET,
        &format!("/applications/{id}"),
        token,
        &[],
        None,
    )
    .await;
    let answers = answers_for(code, &draft);
    let (status, html) = page(app, &tasks).await;
    assert_eq!(status, 200, "{code}: {html}");
    for (i, section) in def.form.sections.iter().enumerate() {
        let path = format!("/applications/{id}/sections/{}", section.id);
        let (status, html) = page(app, &path).await;
        assert_eq!(status, 200, "{code}/{}", section.id);
        let version = html
            .split("name=\"version\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        let mut form = vec![
            ("csrf".to_owned(), csrf.to_owned()),
            ("version".to_owned(), version),
            ("_action".to_owned(), "save".to_owned()),
        ];
        let mut fields = Vec::new();
        for f in &section.fields {
            if let Some(v) = answers.get(&f.id) {
                flatten(&f.id, v, &mut fields);
            }
        }
        if first_wrong && i == 0 {
            // A refused attempt first: an impossible date, an option that is not offered.
            let choices: Vec<&str> = section
                .fields
                .iter()
                .filter(|f| matches!(f.kind, domain::form::FieldKind::Choice { .. }))
                .map(|f| f.id.as_str())
                .collect();
            let wrong: Vec<(String, String)> = fields
                .iter()
                .map(|(k, v)| {
                    if v.len() == 10 && v.as_bytes()[4] == b'-' {
                        (k.clone(), "31.02.2020".to_owned())
                    } else if choices.contains(&k.as_str()) {
                        (k.clone(), "<script>no-such-option</script>".to_owned())
                    } else {
                        (k.clone(), v.clone())
                    }
                })
                .collect();
            assert_ne!(
                wrong, fields,
                "{code}: something on the first page can be wrong"
            );
            let mut bad = form.clone();
            bad.extend(wrong.into_iter().filter(|(_, v)| v != FILE_PLACEHOLDER));
            let pairs: Vec<(&str, &str)> =
                bad.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let res = submit(app, &path, &pairs).await;
            assert_eq!(
                res.status().as_u16(),
                422,
                "{code}: the nonsense is refused"
            );
            let html = res.text().await.unwrap();
            assert!(
                html.contains("error-summary") && html.contains("href=\"#f-"),
                "{code}: {html}"
            );
            assert!(
                !html.contains("<script>no-such"),
                "{code}: what was typed is shown as text"
            );
            let (_, _, after) = call(
                app,
                Method::GET,
                &format!("/applications/{id}"),
                token,
                &[],
                None,
            )
            .await;
            assert_eq!(
                after["version"], draft["version"],
                "{code}: nothing was stored"
            );
        }
        form.extend(
            fields
                .iter()
                .filter(|(_, v)| v != FILE_PLACEHOLDER)
                .cloned(),
        );
        let files: Vec<&String> = fields
            .iter()
            .filter(|(_, v)| v == FILE_PLACEHOLDER)
            .map(|(k, _)| k)
            .collect();
        let res = if files.is_empty() {
            let pairs: Vec<(&str, &str)> =
                form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            submit(app, &path, &pairs).await
        } else {
            // A page with a file is sent as a browser sends it: multipart.
            let mut mp = reqwest::multipart::Form::new();
            for (k, v) in &form {
                mp = mp.text(k.clone(), v.clone());
            }
            for name in files {
                let part = reqwest::multipart::Part::bytes(photo(image::ImageFormat::Jpeg))
                    .file_name("фото.jpg");
                mp = mp.part(name.clone(), part);
            }
            app.client
                .post(format!("{}{path}", app.url))
                .header("origin", app.url.clone())
                .multipart(mp)
                .send()
                .await
                .unwrap()
        };
        let status = res.status().as_u16();
        let body = if status == 303 {
            String::new()
        } else {
            res.text().await.unwrap()
        };
        assert_eq!(status, 303, "{code}/{}: {body}", section.id);
    }
    let (status, html) = page(app, &format!("/applications/{id}/check")).await;
    assert_eq!(status, 200, "{code}");
    assert!(
        html.contains(def.form.sections[0].title.ru()),
        "{code}: the answers are shown by section"
    );
    let res = submit(
        app,
        &format!("/applications/{id}/submit"),
        &[("csrf", csrf)],
    )
    .await;
    let status = res.status().as_u16();
    let html = res.text().await.unwrap();
    assert_eq!(status, 200, "{code}: {html}");
    assert!(html.contains("Отправлено в ведомство"), "{code}: {html}");
    id
}

#[tokio::test]
async fn every_service_through_the_pages_without_javascript() {
    each_backend(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let citizen = confirmed_citizen(&app, "+79161112233").await;
        let csrf = browser_login(&app, "+79161112233", "Zelenyj-Slon-1985").await;
        let (status, html) = page(&app, "/services?q=паспорт").await;
        assert_eq!(status, 200);
        assert!(
            html.contains("/services/passport-internal")
                && !html.contains("/services/deregistration")
        );
        let (_, html) = page(&app, "/services").await;
        assert!(html.contains("Мне нужен паспорт") && html.contains("Я переехал"));
        let catalogue = app::catalogue::Catalogue::builtin().unwrap();
        for s in catalogue.services() {
            if s.applicants
                .contains(&domain::catalogue::Applicant::Citizen)
            {
                apply_in_the_browser(&app, &citizen, &csrf, &s.code, true).await;
            }
        }
        let (_, html) = page(&app, "/applications").await;
        assert_eq!(html.matches("Отправлено в ведомство").count(), 8, "{html}");
        // A foreign national applies for the permits the same way.
        let client = TestApp::client();
        let foreigner = confirmed_foreigner(&app, "+79163334455").await;
        let app2 = TestApp { client, ..app };
        let csrf = browser_login(&app2, "+79163334455", "Zelenyj-Slon-1985").await;
        for code in ["temporary-residence-permit", "residence-permit"] {
            apply_in_the_browser(&app2, &foreigner, &csrf, code, true).await;
        }
        app2.stop().await;
    })
    .await;
}

/// The `version` hidden field of a section page.
fn version_on(html: &str) -> String {
    html.split("name=\"version\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_default()
        .to_owned()
}

/// A question an answer brings into sight is asked, not blamed: inside a
/// list item as at the top of a page. Left empty once it was in sight, it is
/// an error like any other.
#[tokio::test]
async fn questions_an_answer_reveals_are_asked_not_blamed() {
    let app = TestApp::spawn("sqlite").await;
    let citizen = confirmed_citizen(&app, "+79161112233").await;
    let csrf = browser_login(&app, "+79161112233", "Zelenyj-Slon-1985").await;
    let code = "passport-foreign-biometric";
    let res = submit(&app, &format!("/services/{code}/start"), &[("csrf", &csrf)]).await;
    let id = location(&res)
        .trim_start_matches("/applications/")
        .to_owned();
    let v = application(&app, &citizen, &id).await;
    let mut answers = answers_for(code, &v);
    answers.as_object_mut().unwrap().remove("activity");
    let (status, _, _) = call(
        &app,
        Method::PUT,
        &format!("/applications/{id}"),
        &citizen,
        &[("If-Match", &format!("\"{}\"", v["version"]))],
        Some(json!({"answers": answers})),
    )
    .await;
    assert!(status < 300, "the other answers are saved first: {status}");
    let here = format!("/applications/{id}/sections/work_study");
    let (status, html) = page(&app, &here).await;
    assert_eq!(status, 200, "{html}");
    // The first period: only what the blank item shows, work chosen. The
    // page's script saves it while the person types (which reveals the
    // period's other questions in the draft); then the person's own save
    // posts which conditional questions the page had drawn.
    let version = version_on(&html);
    let shown_on = |html: &str| {
        html.split("name=\"_shown\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or_default()
            .to_owned()
    };
    let drawn = shown_on(&html);
    assert_eq!(drawn, "activity", "the list is shown for oneself");
    let post = |query: &'static str, version: String, action: &'static str, drawn: String| {
        let (app, csrf, here) = (&app, csrf.clone(), here.clone());
        async move {
            submit(
                app,
                &format!("{here}{query}"),
                &[
                    ("csrf", csrf.as_str()),
                    ("version", version.as_str()),
                    ("_shown", drawn.as_str()),
                    ("_action", action),
                    ("activity._count", "1"),
                    ("activity.0.activity_kind", "work"),
                    ("activity.0.started_on", "01.09.2015"),
                ],
            )
            .await
        }
    };
    let res = post("", version, "autosave", drawn.clone()).await;
    assert_eq!(res.status(), 204);
    let version = res.headers()["x-draft-version"]
        .to_str()
        .unwrap()
        .to_owned();
    let res = post("", version, "save", drawn).await;
    assert_eq!(
        res.status(),
        303,
        "{}",
        res.text().await.unwrap_or_default()
    );
    assert_eq!(location(&res), format!("{here}?more-questions=1"));
    let (status, html) = page(&app, &format!("{here}?more-questions=1")).await;
    assert_eq!(status, 200);
    assert!(html.contains("появились дополнительные вопросы"), "{html}");
    assert!(
        !html.contains("error-summary"),
        "no error is blamed: {html}"
    );
    assert!(
        html.contains("name=\"activity.0.organisation\""),
        "the new question is there"
    );
    assert!(
        html.contains("value=\"01.09.2015\""),
        "nothing typed is lost"
    );
    // Sent again without them, now they were in sight: errors.
    let drawn = shown_on(&html);
    assert!(drawn.contains("activity.0.organisation"), "{drawn}");
    let res = post("?more-questions=1", version_on(&html), "save", drawn).await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("error-summary") && html.contains("#f-activity-0-organisation"),
        "{html}"
    );
    app.stop().await;
}

/// The save while typing (the page script's): valid answers are kept and
/// the reply is the new version; a stale version or a value the form refuses
/// changes nothing; the draw of the page is left to the person's own save.
#[tokio::test]
async fn a_draft_is_saved_while_typing_only_as_it_stands() {
    let app = TestApp::spawn("sqlite").await;
    let citizen = confirmed_citizen(&app, "+79161112233").await;
    let csrf = browser_login(&app, "+79161112233", "Zelenyj-Slon-1985").await;
    let res = submit(
        &app,
        "/services/passport-foreign-biometric/start",
        &[("csrf", &csrf)],
    )
    .await;
    let id = location(&res)
        .trim_start_matches("/applications/")
        .to_owned();
    let here = format!("/applications/{id}/sections/person");
    let (_, html) = page(&app, &here).await;
    let version = version_on(&html);
    let autosave = |version: String, place: &'static str| {
        let (app, csrf, here) = (&app, csrf.clone(), here.clone());
        async move {
            let form = [
                ("csrf", csrf.as_str()),
                ("version", version.as_str()),
                ("_action", "autosave"),
                ("birth_place", place),
            ];
            submit(app, &here, &form).await
        }
    };
    let saved = || application(&app, &citizen, &id);
    let res = autosave(version.clone(), "г. Тула").await;
    assert_eq!(res.status(), 204);
    let next = res.headers()["x-draft-version"]
        .to_str()
        .unwrap()
        .to_owned();
    let v = saved().await;
    assert_eq!(
        (
            v["answers"]["birth_place"].as_str(),
            v["version"].to_string()
        ),
        (Some("г. Тула"), next.clone())
    );
    // The old version again: refused, nothing changes.
    assert_eq!(autosave(version, "г. Орёл").await.status(), 409);
    // A value the form refuses (one letter): nothing changes either.
    assert_eq!(autosave(next.clone(), "Т").await.status(), 422);
    let v = saved().await;
    assert_eq!(
        (
            v["answers"]["birth_place"].as_str(),
            v["version"].to_string()
        ),
        (Some("г. Тула"), next)
    );
    app.stop().await;
}

#[tokio::test]
async fn files_are_judged_by_content_and_shown_only_to_their_owner() {
    each_backend(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let me = confirmed_citizen(&app, "+79161112233").await;
        let (_, _, draft) = call(
            &app,
            Method::POST,
            "/applications",
            &me,
            &[],
            Some(json!({"service": "passport-internal"})),
        )
        .await;
        let id = draft["id"].as_str().unwrap().to_owned();
        let code_of = |v: &Value| {
            v["errors"][0]["code"]
                .as_str()
                .unwrap_or(v["code"].as_str().unwrap_or_default())
                .to_owned()
        };

        // An executable renamed .pdf, a square "photo", a broken image, an active PDF.
        let (status, p) = upload(
            &app,
            &me,
            &id,
            "/photo",
            "photo.pdf",
            b"MZ\x90\x00\x03 not a pdf".to_vec(),
        )
        .await;
        assert_eq!((status, code_of(&p)), (422, "file.type".into()), "{p}");
        let square = {
            let img = image::RgbImage::from_pixel(600, 600, image::Rgb([1, 2, 3]));
            let mut out = std::io::Cursor::new(Vec::new());
            img.write_to(&mut out, image::ImageFormat::Png).unwrap();
            out.into_inner()
        };
        let (status, p) = upload(&app, &me, &id, "/photo", "square.png", square).await;
        assert_eq!((status, code_of(&p)), (422, "photo.aspect".into()), "{p}");
        let (status, p) = upload(
            &app,
            &me,
            &id,
            "/photo",
            "broken.jpg",
            vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0],
        )
        .await;
        assert_eq!((status, code_of(&p)), (422, "file.broken".into()), "{p}");
        let (status, p) = upload(
            &app,
            &me,
            &id,
            "/surname",
            "x.png",
            photo(image::ImageFormat::Png),
        )
        .await;
        assert_eq!(
            (status, code_of(&p)),
            (422, "file.not_a_field".into()),
            "{p}"
        );
        // 50 MB is refused before it is read.
        let (status, p) = upload(
            &app,
            &me,
            &id,
            "/photo",
            "big.png",
            vec![0u8; 50 * 1024 * 1024],
        )
        .await;
        assert_eq!((status, code_of(&p)), (413, "body.too_large".into()), "{p}");

        // A good photo with camera metadata: kept, but without the metadata.
        let mut jpeg = photo(image::ImageFormat::Jpeg);
        let exif: &[u8] = b"\xFF\xE1\x00\x16Exif\x00\x00GPS 55.7558 37.6173";
        jpeg.splice(2..2, exif.iter().copied());
        let (status, file) = upload(&app, &me, &id, "/photo", "../../me.jpg", jpeg).await;
        assert_eq!(status, 201, "{file}");
        let file_id = file["id"].as_str().unwrap().to_owned();
        assert_eq!(
            (file["media_type"].as_str(), file["file_name"].as_str()),
            (Some("image/jpeg"), Some("photo.jpg"))
        );
        let res = app
            .client
            .get(format!(
                "{}/applications/{id}/attachments/{file_id}",
                app.api
            ))
            .bearer_auth(&me)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(res.headers()["x-content-type-options"], "nosniff");
        assert!(
            res.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment")
        );
        let body = res.bytes().await.unwrap();
        assert!(
            !body.windows(4).any(|w| w == b"Exif") && !body.windows(3).any(|w| w == b"GPS"),
            "metadata stripped"
        );
        // At rest the file is sealed: no JPEG on disk, only the vault's bytes.
        let on_disk = std::fs::read_dir(std::env::temp_dir())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with("migportal-attachments-")
            })
            .map(|e| e.path().join(format!("applications/{id}/{file_id}.jpg")))
            .find(|p| p.exists())
            .expect("the file is in the blob store");
        let raw = std::fs::read(&on_disk).unwrap();
        assert!(
            !raw.starts_with(&[0xFF, 0xD8]) && raw.len() > 100,
            "sealed at rest"
        );
        // A new photo replaces the old one, file and all.
        let (status, second) = upload(
            &app,
            &me,
            &id,
            "/photo",
            "again.png",
            photo(image::ImageFormat::Png),
        )
        .await;
        assert_eq!(status, 201, "{second}");
        assert!(!on_disk.exists(), "the replaced file is gone");
        let (_, _, list) = call(
            &app,
            Method::GET,
            &format!("/applications/{id}/attachments"),
            &me,
            &[],
            None,
        )
        .await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
        assert!(second["id"].is_string());
        // With an Idempotency-Key a retried upload adds nothing and answers the same.
        let keyed = |bytes: Vec<u8>| {
            let form = reqwest::multipart::Form::new()
                .text("field", "/photo")
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(bytes).file_name("p.png"),
                );
            app.client
                .post(format!("{}/applications/{id}/attachments", app.api))
                .bearer_auth(&me)
                .header("Idempotency-Key", "upload-1")
                .multipart(form)
        };
        let png = photo(image::ImageFormat::Png);
        let (s1, first) = status_json(keyed(png.clone()).send().await.unwrap()).await;
        let (s2, again) = status_json(keyed(png).send().await.unwrap()).await;
        assert_eq!(
            (s1, s2, &first["id"]),
            (201, 201, &again["id"]),
            "{first} {again}"
        );
        let (s3, p) =
            status_json(keyed(photo(image::ImageFormat::Jpeg)).send().await.unwrap()).await;
        assert_eq!(
            (s3, p["code"].as_str()),
            (422, Some("idempotency.mismatch")),
            "{p}"
        );
        let file_id = first["id"].as_str().unwrap().to_owned();

        // Nobody else sees or adds files; an id from another application is refused.
        let other = confirmed_sidorov(&app, "+79164445566").await;
        let res = app
            .client
            .get(format!(
                "{}/applications/{id}/attachments/{file_id}",
                app.api
            ))
            .bearer_auth(&other)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 404);
        let (status, _) = upload(
            &app,
            &other,
            &id,
            "/photo",
            "p.png",
            photo(image::ImageFormat::Png),
        )
        .await;
        assert_eq!(status, 404);
        let (_, _, theirs) = call(
            &app,
            Method::POST,
            "/applications",
            &other,
            &[],
            Some(json!({"service": "passport-internal"})),
        )
        .await;
        let their_path = format!("/applications/{}", theirs["id"].as_str().unwrap());
        let mut answers = theirs["answers"].clone();
        answers["photo"] = json!(file_id);
        let (status, _, p) = call(
            &app,
            Method::PUT,
            &their_path,
            &other,
            &[("If-Match", "\"1\"")],
            Some(json!({"answers": answers})),
        )
        .await;
        assert_eq!(
            (status, fields(&p)),
            (
                422,
                vec![("file.reference".to_owned(), "/photo".to_owned())]
            ),
            "{p}"
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn addresses_come_from_the_directory_with_their_district_codes() {
    each_backend(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let res = app
            .client
            .get(format!("{}/addresses?q=спб%20марата", app.api))
            .send()
            .await
            .unwrap();
        let (status, found) = status_json(res).await;
        assert_eq!(status, 200, "{found}");
        let res = app
            .client
            .get(format!("{}/addresses?q=санкт-петербург%20марата", app.api))
            .send()
            .await
            .unwrap();
        let (_, found) = status_json(res).await;
        assert_eq!(found["items"][0]["district_code"], "001", "{found}");
        let res = app
            .client
            .get(format!("{}/addresses?q=x", app.api))
            .send()
            .await
            .unwrap();
        let (status, p) = status_json(res).await;
        assert_eq!((status, p["code"].as_str()), (422, Some("address.query")));

        let me = confirmed_citizen(&app, "+79161112233").await;
        let (_, _, draft) = call(
            &app,
            Method::POST,
            "/applications",
            &me,
            &[],
            Some(json!({"service": "registration-stay"})),
        )
        .await;
        let id = draft["id"].as_str().unwrap().to_owned();
        let path = format!("/applications/{id}");
        let answers = answers_for("registration-stay", &draft);
        // A street the register does not have, in a region it covers: a draft
        // keeps it as typed, the electronic check refuses it.
        let mut wrong = answers.clone();
        wrong["dwelling_address"]["street"] = json!("улица Несуществующая");
        wrong["dwelling_address"]["district_code"] = json!("999");
        let (status, _, typed) = call(
            &app,
            Method::PUT,
            &path,
            &me,
            &[("If-Match", "\"1\"")],
            Some(json!({"answers": wrong})),
        )
        .await;
        assert_eq!(status, 200, "{typed}");
        assert!(
            typed["answers"]["dwelling_address"]
                .get("district_code")
                .is_none(),
            "a typed code is not taken: {typed}"
        );
        let (status, _, p) = call(
            &app,
            Method::POST,
            &format!("{path}/submit"),
            &me,
            &[],
            None,
        )
        .await;
        assert_eq!(status, 422, "{p}");
        assert!(
            fields(&p).contains(&(
                "address.unknown".to_owned(),
                "/dwelling_address/street".to_owned()
            )),
            "{p}"
        );
        // Written loosely, it is bound to the register's place with its codes.
        let mut loose = answers.clone();
        loose["dwelling_address"]["street"] = json!("ул. Марата");
        loose["dwelling_address"]["district"] = json!("");
        let (status, _, saved) = call(
            &app,
            Method::PUT,
            &path,
            &me,
            &[("If-Match", "\"2\"")],
            Some(json!({"answers": loose})),
        )
        .await;
        assert_eq!(status, 200, "{saved}");
        let a = &saved["answers"]["dwelling_address"];
        assert_eq!(
            (
                a["street"].as_str(),
                a["district_code"].as_str(),
                a["district"].as_str()
            ),
            (Some("улица Марата"), Some("001"), Some("Центральный район")),
            "{a}"
        );

        // In the browser: find, pick, and the parts are filled in.
        let csrf = browser_login(&app, "+79161112233", "Zelenyj-Slon-1985").await;
        let catalogue = app::catalogue::Catalogue::builtin().unwrap();
        let def = catalogue.get("registration-stay").unwrap();
        let section = def
            .form
            .sections
            .iter()
            .find(|s| s.fields.iter().any(|f| f.id == "dwelling_address"))
            .unwrap();
        let page_path = format!("/applications/{id}/sections/{}", section.id);
        let (_, html) = page(&app, &page_path).await;
        assert!(
            html.contains("dwelling_address._find"),
            "the search is on the page"
        );
        let version = saved["version"].to_string();
        let res = submit(
            &app,
            &page_path,
            &[
                ("csrf", &csrf),
                ("version", &version),
                ("_action", "find:dwelling_address"),
                ("dwelling_address._find", "Москва Тверская"),
            ],
        )
        .await;
        assert_eq!(res.status().as_u16(), 200);
        let html = res.text().await.unwrap();
        assert!(html.contains("125009, Москва, Тверская улица"), "{html}");
        let res = submit(
            &app,
            &page_path,
            &[
                ("csrf", &csrf),
                ("version", &version),
                ("_action", "pick:dwelling_address"),
                ("dwelling_address._find", "Москва Тверская"),
                ("dwelling_address._pick", "0"),
                ("dwelling_address.house", "7"),
            ],
        )
        .await;
        let html = res.text().await.unwrap();
        assert!(
            html.contains("value=\"Тверская улица\"")
                && html.contains("value=\"125009\"")
                && html.contains("value=\"7\""),
            "{html}"
        );
        // Nothing was saved by searching.
        let (_, _, same) = call(&app, Method::GET, &path, &me, &[], None).await;
        assert_eq!(same["version"], saved["version"]);
        app.stop().await;
    })
    .await;
}

/// The demo lets a visitor try applying at once: the applicant is confirmed
/// and has applications sent and a draft.
#[tokio::test]
async fn the_demo_applicant_has_a_story() {
    let app = TestApp::spawn_with("sqlite", true).await;
    let token = app
        .login("applicant@demo.migportal.ru", "Demo-Applicant-2026")
        .await;
    let (_, me) = app.with_token(Method::GET, "/me", &token, None).await;
    assert_eq!(me["level"], "confirmed", "{me}");
    let (_, _, list) = call(&app, Method::GET, "/applications", &token, &[], None).await;
    let mut statuses: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["status"].as_str())
        .collect();
    statuses.sort_unstable();
    // Sent, returned by the officer with a comment, accepted, invited to a
    // visit the office set, and a draft.
    assert_eq!(
        statuses,
        ["accepted", "draft", "invited", "returned", "submitted"],
        "{list}"
    );
    // The demo officer has them in the Moscow office's queues.
    let (officer, _) =
        crate::staff::staff_token(&app, "officer@demo.migportal.ru", "Demo-Officer-2026").await;
    for queue in ["new", "accepted", "awaiting_visit"] {
        let (status, _, page) = call(
            &app,
            Method::GET,
            &format!("/office/applications?queue={queue}"),
            &officer,
            &[],
            None,
        )
        .await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(
            page["items"].as_array().unwrap().len(),
            1,
            "{queue}: {page}"
        );
    }
    // Her visit is on the officer's day, at the office's first free time.
    let invited = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["status"] == "invited")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, _, history) = call(
        &app,
        Method::GET,
        &format!("/applications/{invited}/history"),
        &token,
        &[],
        None,
    )
    .await;
    let at = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|h| h["note"]["visit"].as_i64())
        .unwrap_or_else(|| panic!("{history}"));
    let date = time::OffsetDateTime::from_unix_timestamp(at / 1000 + 3 * 3600)
        .unwrap()
        .date();
    let (status, _, day) = call(
        &app,
        Method::GET,
        &format!("/office/visits?date={date}"),
        &officer,
        &[],
        None,
    )
    .await;
    assert_eq!(status, 200, "{day}");
    assert!(
        day["visits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["application"] == invited.as_str()),
        "{day}"
    );
    app.stop().await;
}

/// With an S3-compatible store configured, files go there (sealed) and come
/// back; run when CI starts one (`MIGPORTAL_TEST_S3_URL`).
#[tokio::test]
async fn files_live_in_an_s3_compatible_store_when_configured() {
    let Ok(endpoint) = std::env::var("MIGPORTAL_TEST_S3_URL") else {
        eprintln!(
            "files_live_in_an_s3_compatible_store_when_configured: set MIGPORTAL_TEST_S3_URL to run"
        );
        return;
    };
    let bucket = format!("migportal-{}", uuid::Uuid::new_v4().simple());
    let s3 = app::blobs::S3Settings {
        endpoint: endpoint.clone(),
        bucket: bucket.clone(),
        region: "us-east-1".into(),
        access_key: "test".into(),
        secret_key: "test".into(),
    };
    // The bucket, as an operator would make it.
    let url = reqwest::Url::parse(&format!("{endpoint}/{bucket}")).unwrap();
    let host = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(80));
    let mut req = reqwest::Client::new().put(url.clone());
    for (k, v) in app::blobs::sign_s3(
        &s3,
        "PUT",
        &host,
        &format!("/{bucket}"),
        &[],
        b"",
        time::OffsetDateTime::now_utc(),
    ) {
        req = req.header(k, v);
    }
    assert!(req.send().await.unwrap().status().is_success());
    let app = TestApp::spawn_config("sqlite", false, |c| {
        c.s3 = Some(migportal::config::S3Config {
            endpoint: endpoint.clone(),
            bucket: bucket.clone(),
            region: "us-east-1".into(),
            access_key: "test".into(),
            secret_key: "test".into(),
        });
    })
    .await;
    let me = confirmed_citizen(&app, "+79161112233").await;
    let (_, _, draft) = call(
        &app,
        Method::POST,
        "/applications",
        &me,
        &[],
        Some(json!({"service": "passport-internal"})),
    )
    .await;
    let id = draft["id"].as_str().unwrap().to_owned();
    let png = photo(image::ImageFormat::Png);
    let (status, file) = upload(&app, &me, &id, "/photo", "p.png", png).await;
    assert_eq!(status, 201, "{file}");
    let file_id = file["id"].as_str().unwrap();
    // In the bucket, sealed.
    let key = format!("applications/{id}/{file_id}.png");
    let blobs = app::blobs::S3Blobs::new(s3);
    use app::blobs::BlobStore;
    let stored = blobs.get(&key).await.unwrap();
    assert!(!stored.starts_with(b"\x89PNG"), "sealed at rest");
    let res = app
        .client
        .get(format!(
            "{}/applications/{id}/attachments/{file_id}",
            app.api
        ))
        .bearer_auth(&me)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.bytes().await.unwrap().starts_with(b"\x89PNG"));
    app.stop().await;
}
