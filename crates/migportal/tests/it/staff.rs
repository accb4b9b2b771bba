//! The back office: staff entrance with a mandatory second factor, every
//! staff route against every role, service-centre confirmation, the person's
//! access log, administration and the audit log.

use crate::support::*;
use reqwest::Method;
use serde_json::{Value, json};

fn now_ms() -> i64 {
    web::system_clock()
}

/// Logs a demo staff member in through the back office, enrolling TOTP.
pub async fn staff_token(app: &TestApp, email: &str, password: &str) -> (String, Vec<String>) {
    let (status, body) = app
        .post(
            "/staff/sessions",
            json!({"login": email, "password": password}),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let secret = body["enrolment"]["secret"]
        .as_str()
        .expect("enrolment on first login");
    let code = app::second_factor::current_code(secret, now_ms()).unwrap();
    let challenge = body["challenge_id"].as_str().unwrap();
    let (status, body) = app
        .post(
            &format!("/sessions/second-factor/{challenge}"),
            json!({"code": code}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let codes = body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (body["token"].as_str().unwrap().to_owned(), codes)
}

pub(crate) const DEMO: [(&str, &str, &str); 5] = [
    ("officer", "officer@demo.migportal.ru", "Demo-Officer-2026"),
    ("head_of_office", "head@demo.migportal.ru", "Demo-Head-2026"),
    (
        "operator",
        "operator@demo.migportal.ru",
        "Demo-Operator-2026",
    ),
    (
        "administrator",
        "admin@demo.migportal.ru",
        "Demo-Admin-2026",
    ),
    ("auditor", "auditor@demo.migportal.ru", "Demo-Auditor-2026"),
];

#[tokio::test]
async fn staff_sign_in_needs_the_back_office_and_a_second_factor() {
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        // Not at the public entrance, and applicants not at the staff one.
        let (status, body) = app
            .post(
                "/sessions",
                json!({"login": "officer@demo.migportal.ru", "password": "Demo-Officer-2026"}),
            )
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (403, Some("account.staff_entrance"))
        );
        let (status, body) = app
            .post(
                "/staff/sessions",
                json!({"login": "applicant@demo.migportal.ru", "password": "Demo-Applicant-2026"}),
            )
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (403, Some("account.not_staff"))
        );

        let (status, first) = app
            .post(
                "/staff/sessions",
                json!({"login": "officer@demo.migportal.ru", "password": "Demo-Officer-2026"}),
            )
            .await;
        assert_eq!(status, 202);
        assert!(
            first["enrolment"]["otpauth_uri"]
                .as_str()
                .unwrap()
                .starts_with("otpauth://totp/")
        );
        let challenge = first["challenge_id"].as_str().unwrap();
        let (status, body) = app
            .post(
                &format!("/sessions/second-factor/{challenge}"),
                json!({"code": "000000"}),
            )
            .await;
        assert_eq!(
            (status, body["errors"][0]["code"].as_str()),
            (422, Some("otp.wrong"))
        );
        let code = app::second_factor::current_code(
            first["enrolment"]["secret"].as_str().unwrap(),
            now_ms(),
        )
        .unwrap();
        let (status, done) = app
            .post(
                &format!("/sessions/second-factor/{challenge}"),
                json!({"code": code}),
            )
            .await;
        assert_eq!(status, 201, "{done}");
        let recovery: Vec<String> = done["recovery_codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(recovery.len(), 10);

        // Next time: no enrolment; the same TOTP code is not good twice; a recovery code works once.
        let (status, second) = app
            .post(
                "/staff/sessions",
                json!({"login": "officer@demo.migportal.ru", "password": "Demo-Officer-2026"}),
            )
            .await;
        assert_eq!(status, 202);
        assert!(second["enrolment"].is_null());
        let ch2 = second["challenge_id"].as_str().unwrap();
        let (status, _) = app
            .post(
                &format!("/sessions/second-factor/{ch2}"),
                json!({"code": code}),
            )
            .await;
        assert_eq!(status, 422, "replayed TOTP code");
        let (status, _) = app
            .post(
                &format!("/sessions/second-factor/{ch2}"),
                json!({"code": recovery[0]}),
            )
            .await;
        assert_eq!(status, 201);
        let (_, third) = app
            .post(
                "/staff/sessions",
                json!({"login": "officer@demo.migportal.ru", "password": "Demo-Officer-2026"}),
            )
            .await;
        let ch3 = third["challenge_id"].as_str().unwrap();
        let (status, _) = app
            .post(
                &format!("/sessions/second-factor/{ch3}"),
                json!({"code": recovery[0]}),
            )
            .await;
        assert_eq!(status, 422, "a recovery code is good once");
        app.stop().await;
    })
    .await;
}

/// Every staff route × every role, asserted.
#[tokio::test]
async fn authorisation_matrix() {
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let mut tokens = vec![("anonymous", String::new())];
        for (role, email, password) in DEMO {
            tokens.push((role, staff_token(&app, email, password).await.0));
        }
        tokens.push((
            "applicant",
            app.login("applicant@demo.migportal.ru", "Demo-Applicant-2026")
                .await,
        ));

        let office =
            json!({"code": "", "name": "", "address": "", "time_zone": "", "territory": []});
        let new_staff = json!({"role": "nobody", "email": "", "surname": "", "given_name": ""});
        let change = json!({"role": "nobody", "status": "x"});
        let some_id = "01939a4e-0000-7000-8000-000000000000";
        // (method, path, body, expected status per role in the order of `tokens`:
        //  anonymous, officer, head, operator, administrator, auditor, applicant)
        let routes: Vec<(Method, String, Option<Value>, [u16; 7])> = vec![
            (
                Method::GET,
                "/admin/offices".into(),
                None,
                [401, 200, 200, 200, 200, 403, 403],
            ),
            (
                Method::POST,
                "/admin/offices".into(),
                Some(office.clone()),
                [401, 403, 403, 403, 422, 403, 403],
            ),
            (
                Method::PUT,
                format!("/admin/offices/{some_id}"),
                Some(office),
                [401, 403, 403, 403, 404, 403, 403],
            ),
            (
                Method::GET,
                "/admin/staff".into(),
                None,
                [401, 403, 403, 403, 200, 403, 403],
            ),
            (
                Method::POST,
                "/admin/staff".into(),
                Some(new_staff),
                [401, 403, 403, 403, 422, 403, 403],
            ),
            (
                Method::PUT,
                format!("/admin/staff/{some_id}"),
                Some(change),
                [401, 403, 403, 403, 422, 403, 403],
            ),
            (
                Method::GET,
                "/audit".into(),
                None,
                [401, 403, 403, 403, 403, 200, 403],
            ),
            (
                Method::POST,
                "/operator/people/search".into(),
                Some(json!({"snils": "112-233-445 95"})),
                [401, 403, 403, 404, 403, 403, 403],
            ),
            (
                Method::POST,
                format!("/operator/people/{some_id}/confirmation"),
                Some(json!({"passport": "4510123456"})),
                [401, 403, 403, 409, 403, 403, 403],
            ),
            (
                Method::POST,
                "/operator/people".into(),
                Some(json!({})),
                [401, 403, 403, 422, 403, 403, 403],
            ),
            (
                Method::GET,
                format!("/office/people/{some_id}"),
                None,
                [401, 404, 404, 403, 403, 403, 403],
            ),
        ];
        for (method, path, body, expected) in &routes {
            for ((role, token), want) in tokens.iter().zip(expected) {
                let mut req = app
                    .client
                    .request(method.clone(), format!("{}{path}", app.api));
                if !token.is_empty() {
                    req = req.bearer_auth(token);
                }
                if let Some(b) = body {
                    req = req.json(b);
                }
                let (status, answer) = status_json(req.send().await.unwrap()).await;
                assert_eq!(status, *want, "{role} {method} {path}: {answer}");
            }
        }
        // Refusals are audited.
        let auditor = &tokens[5].1;
        let (_, log) = app
            .with_token(
                Method::GET,
                "/audit?action=access.denied&limit=200",
                auditor,
                None,
            )
            .await;
        assert!(log["events"].as_array().unwrap().len() >= 20, "{log}");
        // Paged by `next_before`, three at a time, the log comes out whole:
        // every event once, each page older than the one before, filter kept.
        let mut seen: Vec<String> = Vec::new();
        let mut path = "/audit?action=access.denied&limit=3".to_owned();
        loop {
            let (status, page) = app.with_token(Method::GET, &path, auditor, None).await;
            assert_eq!(status, 200, "{page}");
            let events = page["events"].as_array().unwrap();
            if events.is_empty() {
                assert!(page["next_before"].is_null(), "{page}");
                break;
            }
            for e in events {
                assert!(
                    e["action"].as_str().unwrap().starts_with("access.denied"),
                    "{e}"
                );
                assert!(e["lane"].as_i64().unwrap() >= 1, "{e}");
                let id = e["id"].as_str().unwrap().to_owned();
                assert!(seen.last().is_none_or(|last| *last > id), "newest first");
                seen.push(id);
            }
            let next = page["next_before"].as_str().unwrap();
            assert_eq!(Some(next), events.last().and_then(|e| e["id"].as_str()));
            path = format!("/audit?action=access.denied&limit=3&before={next}");
        }
        assert_eq!(seen.len(), log["events"].as_array().unwrap().len());
        let (status, body) = app
            .with_token(Method::GET, "/audit?before=1042", auditor, None)
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("query.invalid"))
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn service_centre_confirms_and_the_person_sees_who_looked() {
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let person = app
            .applicant("+79161234567", "Иванов", "Иван", Some("Иванович"))
            .await;
        app.with_token(
            Method::PUT,
            "/me/identity",
            &person,
            Some(citizen_identity()),
        )
        .await;
        assert_eq!(app.identity_settled(&person).await["state"], "verified");
        let (operator, _) =
            staff_token(&app, "operator@demo.migportal.ru", "Demo-Operator-2026").await;

        let (status, body) = app
            .with_token(
                Method::POST,
                "/operator/people/search",
                &operator,
                Some(json!({"snils": "11223344595"})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["documents"], "СНИЛС ***-***-445 95; ** ** ***456");
        let id = body["id"].as_str().unwrap().to_owned();
        let (status, _) = app
            .with_token(
                Method::POST,
                "/operator/people/search",
                &operator,
                Some(json!({"phone": "+79169999999"})),
            )
            .await;
        assert_eq!(status, 404);

        let (status, body) = app
            .with_token(
                Method::POST,
                &format!("/operator/people/{id}/confirmation"),
                &operator,
                Some(json!({"passport": "45 10 654321"})),
            )
            .await;
        assert_eq!(
            (status, body["errors"][0]["code"].as_str()),
            (422, Some("confirmation.passport_mismatch"))
        );
        let (status, _) = app
            .with_token(
                Method::POST,
                &format!("/operator/people/{id}/confirmation"),
                &operator,
                Some(json!({"passport": "45 10 123456"})),
            )
            .await;
        assert_eq!(status, 200);
        let (_, me) = app.with_token(Method::GET, "/me", &person, None).await;
        assert_eq!(me["level"], "confirmed");

        // The person sees the look-up: who, which role, why.
        let (_, log) = app
            .with_token(Method::GET, "/me/data-access", &person, None)
            .await;
        let entries = log["accesses"].as_array().unwrap();
        assert_eq!(entries.len(), 1, "{log}");
        assert_eq!(entries[0]["role"], "operator");
        assert_eq!(entries[0]["purpose"], "identity_confirmation");
        assert!(
            entries[0]["staff"]
                .as_str()
                .unwrap()
                .starts_with("Операторов")
        );

        // A confirmed person's documents change only at a service centre.
        let (status, body) = app
            .with_token(
                Method::PUT,
                "/me/identity",
                &person,
                Some(citizen_identity()),
            )
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (409, Some("identity.locked"))
        );

        // The auditor finds the confirmation, with who did it.
        let (auditor, _) =
            staff_token(&app, "auditor@demo.migportal.ru", "Demo-Auditor-2026").await;
        let (_, log) = app
            .with_token(
                Method::GET,
                "/audit?action=identity.confirmed",
                &auditor,
                None,
            )
            .await;
        let e = &log["events"][0];
        assert_eq!(
            (e["actor_role"].as_str(), e["subject_id"].as_str()),
            (Some("operator"), Some(id.as_str()))
        );
        let (status, body) = app
            .with_token(Method::GET, "/audit?actor=not-an-id", &auditor, None)
            .await;
        assert_eq!(
            (status, body["errors"][0]["code"].as_str()),
            (422, Some("id.format"))
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn administrators_manage_offices_and_staff() {
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let (admin, _) = staff_token(&app, "admin@demo.migportal.ru", "Demo-Admin-2026").await;
        let office = json!({"code": "500-010", "name": "ОВМ МУ МВД России «Балашихинское»", "address": "г. Балашиха, ул. Советская, д. 1",
                            "time_zone": "Europe/Moscow", "territory": ["50-012", "50-013"]});
        let (status, body) = app.with_token(Method::POST, "/admin/offices", &admin, Some(office.clone())).await;
        assert_eq!(status, 201, "{body}");
        let (status, body) = app.with_token(Method::POST, "/admin/offices", &admin, Some(office)).await;
        assert_eq!((status, body["errors"][0]["code"].as_str()), (409, Some("office.code_taken")));
        let bad = json!({"code": "5000-10", "name": " ", "address": "x", "time_zone": "Mars/Olympus", "territory": ["moscow"]});
        let (status, body) = app.with_token(Method::POST, "/admin/offices", &admin, Some(bad)).await;
        assert_eq!(status, 422);
        let codes: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap()).collect();
        assert_eq!(codes, ["office_code.format", "field.required", "time_zone.unknown", "territory.format"]);

        let (status, created) = app
            .with_token(Method::POST, "/admin/staff", &admin, Some(json!({"role": "officer", "email": "new.officer@example.ru", "surname": "Новиков", "given_name": "Никита", "office_code": "500-010"})))
            .await;
        assert_eq!(status, 201, "{created}");
        let (status, body) = app
            .with_token(Method::POST, "/admin/staff", &admin, Some(json!({"role": "officer", "email": "x@example.ru", "surname": "Б", "given_name": "В"})))
            .await;
        assert_eq!((status, body["errors"][0]["code"].as_str()), (422, Some("office.required")));
        let id = created["id"].as_str().unwrap();
        let (status, _) = app.with_token(Method::PUT, &format!("/admin/staff/{id}"), &admin, Some(json!({"role": "head_of_office", "office_code": "500-010", "status": "blocked"}))).await;
        assert_eq!(status, 204);
        let (_, list) = app.with_token(Method::GET, "/admin/staff", &admin, None).await;
        let row = list["staff"].as_array().unwrap().iter().find(|s| s["id"] == id).unwrap().clone();
        assert_eq!((row["role"].as_str(), row["status"].as_str()), (Some("head_of_office"), Some("blocked")));
        // An administrator cannot lock themselves out.
        let (_, me) = app.with_token(Method::GET, "/me", &admin, None).await;
        let me_id = me["id"].as_str().unwrap();
        let (status, body) = app.with_token(Method::PUT, &format!("/admin/staff/{me_id}"), &admin, Some(json!({"role": "administrator", "status": "blocked"}))).await;
        assert_eq!((status, body["errors"][0]["code"].as_str()), (422, Some("staff.cannot_demote_self")));
        app.stop().await;
    })
    .await;
}
