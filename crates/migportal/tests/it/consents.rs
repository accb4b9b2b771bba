//! Owner consent (issue 17, item 4): a registration at someone else's
//! dwelling waits for the owner — found by SNILS, or claiming the request
//! with the code the applicant passes on — who approves or refuses once; a
//! refusal or silence returns the application; the office cannot accept
//! before the owner agrees. On both databases.

use crate::applications::{call, confirmed_sidorov};
use crate::lifecycle::{act, case, office, sent_with};
use crate::support::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

/// Petrova, the demo applicant, owns the dwelling in these tests.
const PETROVA_SNILS: &str = "123-456-789 64";
/// A SNILS of nobody with an account.
const STRANGER_SNILS: &str = "112-233-445 95";

async fn status_of(app: &TestApp, token: &str, id: &str) -> Value {
    let (_, _, v) = call(
        app,
        Method::GET,
        &format!("/applications/{id}"),
        token,
        &[],
        None,
    )
    .await;
    v
}

async fn wait_for_status(app: &TestApp, token: &str, id: &str, want: &str) -> Value {
    for _ in 0..500 {
        let v = status_of(app, token, id).await;
        if v["status"] == want {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!(
        "{id} never became {want}: {}",
        status_of(app, token, id).await
    );
}

#[tokio::test]
async fn the_owner_consents_refuses_or_stays_silent() {
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let staff = office(&app).await;
        let citizen = confirmed_sidorov(&app, "+79161112233").await;
        let petrova = app
            .login("applicant@demo.migportal.ru", "Demo-Applicant-2026")
            .await;

        // An owner with no account found: a code for the applicant to pass on.
        let id = sent_with(&app, &citizen, "registration-stay", |a| {
            a["owner_snils"] = json!(STRANGER_SNILS);
        })
        .await;
        let (status, _, consent) = call(
            &app,
            Method::GET,
            &format!("/applications/{id}/consent"),
            &citizen,
            &[],
            None,
        )
        .await;
        assert_eq!(status, 200, "{consent}");
        assert_eq!(
            (consent["status"].as_str(), consent["owner_found"].as_bool()),
            (Some("pending"), Some(false))
        );
        let code = consent["code"].as_str().unwrap().to_owned();
        // The office sees it waits (without the code) and cannot accept yet.
        let (_, c) = case(&app, &staff.petersburg, &id).await;
        assert_eq!(c["consent"]["status"], "pending", "{c}");
        assert!(c["consent"]["code"].is_null());
        let (status, body) = act(
            &app,
            &staff.petersburg,
            &id,
            "accept",
            json!({"version": c["version"]}),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (409, Some("consent.pending")),
            "{body}"
        );
        // A wrong code claims nothing; the applicant cannot claim their own.
        let (status, _, body) = call(
            &app,
            Method::POST,
            "/consents/claim",
            &petrova,
            &[],
            Some(json!({"code": "AAAAA-BBBBB"})),
        )
        .await;
        assert_eq!(
            (status, body["errors"][0]["code"].as_str()),
            (422, Some("consent.bad_code")),
            "{body}"
        );
        let (status, _, _) = call(
            &app,
            Method::POST,
            "/consents/claim",
            &citizen,
            &[],
            Some(json!({"code": code})),
        )
        .await;
        assert_eq!(status, 422);
        // The owner claims it with the code (typed loosely), and refuses.
        let loose = code.to_lowercase().replace('-', " ");
        let (status, _, claimed) = call(
            &app,
            Method::POST,
            "/consents/claim",
            &petrova,
            &[],
            Some(json!({"code": loose})),
        )
        .await;
        assert_eq!(status, 200, "{claimed}");
        assert_eq!(claimed["applicant"], "Сидоров Пётр Алексеевич");
        let (_, _, inbox) = call(&app, Method::GET, "/inbox", &petrova, &[], None).await;
        assert!(
            inbox["todo"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["what"] == "answer_consent"),
            "{inbox}"
        );
        let consent_id = claimed["id"].as_str().unwrap().to_owned();
        // Nobody else answers it.
        let (status, _, _) = call(
            &app,
            Method::POST,
            &format!("/consents/{consent_id}/approve"),
            &citizen,
            &[],
            None,
        )
        .await;
        assert_eq!(status, 404);
        let (status, _, refused) = call(
            &app,
            Method::POST,
            &format!("/consents/{consent_id}/refuse"),
            &petrova,
            &[],
            None,
        )
        .await;
        assert_eq!(
            (status, refused["status"].as_str()),
            (200, Some("refused")),
            "{refused}"
        );
        let (status, _, body) = call(
            &app,
            Method::POST,
            &format!("/consents/{consent_id}/approve"),
            &petrova,
            &[],
            None,
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (409, Some("consent.answered")),
            "{body}"
        );
        // The portal returns the application, with the comment at the owner's SNILS.
        wait_for_status(&app, &citizen, &id, "returned").await;
        let (_, _, history) = call(
            &app,
            Method::GET,
            &format!("/applications/{id}/history"),
            &citizen,
            &[],
            None,
        )
        .await;
        let last = history["items"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            last["note"]["comments"][0]["field"], "/owner_snils",
            "{last}"
        );
        assert_eq!(last["note"]["consent"], "refused");

        // Resubmitted: the owner is asked again; silent for the whole time, it is returned again.
        let (_, headers, _) = call(
            &app,
            Method::GET,
            &format!("/applications/{id}"),
            &citizen,
            &[],
            None,
        )
        .await;
        let etag = headers["etag"].to_str().unwrap().to_owned();
        let (status, _, again) = call(
            &app,
            Method::POST,
            &format!("/applications/{id}/resubmit"),
            &citizen,
            &[("If-Match", &etag)],
            None,
        )
        .await;
        assert_eq!(
            (status, again["status"].as_str()),
            (200, Some("submitted")),
            "{again}"
        );
        let (_, _, consent) = call(
            &app,
            Method::GET,
            &format!("/applications/{id}/consent"),
            &citizen,
            &[],
            None,
        )
        .await;
        assert_eq!(consent["status"], "pending");
        assert_ne!(
            consent["code"].as_str(),
            Some(code.as_str()),
            "a new round has a new code"
        );
        // Seven days pass (the expiry job is due now).
        sql(
            &app.db.url,
            "UPDATE consents SET expires_at = 1 WHERE status = 'pending'",
        )
        .await;
        sql(
            &app.db.url,
            "UPDATE jobs SET run_at = 0 WHERE kind = 'consent_expire' AND done_at IS NULL",
        )
        .await;
        wait_for_status(&app, &citizen, &id, "returned").await;
        let (_, _, consent) = call(
            &app,
            Method::GET,
            &format!("/applications/{id}/consent"),
            &citizen,
            &[],
            None,
        )
        .await;
        assert_eq!(consent["status"], "expired");
        let (_, _, history) = call(
            &app,
            Method::GET,
            &format!("/applications/{id}/history"),
            &citizen,
            &[],
            None,
        )
        .await;
        let last = history["items"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["note"]["consent"], "expired", "{last}");
        let (status, _, _) = call(
            &app,
            Method::POST,
            &format!("/applications/{id}/cancel"),
            &citizen,
            &[],
            None,
        )
        .await;
        assert_eq!(status, 200);

        // An owner found by SNILS gets the request in their account and agrees.
        let id = sent_with(&app, &citizen, "registration-stay", |a| {
            a["owner_snils"] = json!(PETROVA_SNILS);
        })
        .await;
        let (_, _, consent) = call(
            &app,
            Method::GET,
            &format!("/applications/{id}/consent"),
            &citizen,
            &[],
            None,
        )
        .await;
        assert_eq!(
            (consent["owner_found"].as_bool(), consent["code"].is_null()),
            (Some(true), true),
            "{consent}"
        );
        let (_, _, mine) = call(&app, Method::GET, "/consents", &petrova, &[], None).await;
        let request = mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["status"] == "pending")
            .unwrap()
            .clone();
        assert!(request["dwelling"]["region"].is_string(), "{request}");
        let (status, _, approved) = call(
            &app,
            Method::POST,
            &format!("/consents/{}/approve", request["id"].as_str().unwrap()),
            &petrova,
            &[],
            None,
        )
        .await;
        assert_eq!(
            (status, approved["status"].as_str()),
            (200, Some("approved")),
            "{approved}"
        );
        let (_, c) = case(&app, &staff.petersburg, &id).await;
        let (status, c) = act(
            &app,
            &staff.petersburg,
            &id,
            "accept",
            json!({"version": c["version"]}),
        )
        .await;
        assert_eq!(
            (status, c["status"].as_str()),
            (200, Some("accepted")),
            "{c}"
        );
        app.stop().await;
    })
    .await;
}

/// Of ten answers sent at once (approvals and refusals), exactly one counts.
#[tokio::test]
async fn of_concurrent_answers_exactly_one_counts() {
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let citizen = confirmed_sidorov(&app, "+79161112233").await;
        let petrova = app
            .login("applicant@demo.migportal.ru", "Demo-Applicant-2026")
            .await;
        sent_with(&app, &citizen, "registration-stay", |a| {
            a["owner_snils"] = json!(PETROVA_SNILS);
        })
        .await;
        let (_, _, mine) = call(&app, Method::GET, "/consents", &petrova, &[], None).await;
        let id = mine["items"][0]["id"].as_str().unwrap().to_owned();
        let mut tasks = Vec::new();
        for i in 0..10 {
            let (client, api, token, id) = (
                app.client.clone(),
                app.api.clone(),
                petrova.clone(),
                id.clone(),
            );
            let verb = if i % 2 == 0 { "approve" } else { "refuse" };
            tasks.push(tokio::spawn(async move {
                let res = client
                    .post(format!("{api}/consents/{id}/{verb}"))
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap();
                status_json(res).await
            }));
        }
        let mut statuses = Vec::new();
        for t in tasks {
            let (status, body) = t.await.unwrap();
            if status == 409 {
                assert_eq!(body["code"], "consent.answered", "{body}");
            }
            statuses.push(status);
        }
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            1,
            "{statuses:?}"
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == 409).count(),
            9,
            "{statuses:?}"
        );
        app.stop().await;
    })
    .await;
}
