//! "Documents and data": addresses, notification preferences, a second
//! contact; office staff limited to their territory; registration at a
//! service centre.

use crate::staff::staff_token;
use crate::support::*;
use reqwest::Method;
use serde_json::{Value, json};

fn moscow() -> serde_json::Value {
    json!({"region_code": "77", "postcode": "119021", "region": "г. Москва", "city": "Москва", "street": "ул. Тимура Фрунзе", "house": "11", "flat": "5"})
}

#[tokio::test]
async fn profile_addresses_preferences_and_a_second_contact() {
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let token = app
            .applicant("+79161230000", "Профилев", "Павел", None)
            .await;
        let (status, p) = app
            .with_token(Method::GET, "/me/profile", &token, None)
            .await;
        assert_eq!(status, 200);
        assert_eq!(p["notifications"].as_array().unwrap().len(), 10);
        assert!(
            p["notifications"]
                .as_array()
                .unwrap()
                .iter()
                .all(|n| n["enabled"] == true)
        );

        let mut bad = moscow();
        bad["region_code"] = json!("7");
        bad["postcode"] = json!("x");
        let (status, body) = app
            .with_token(
                Method::PUT,
                "/me/profile/addresses/registration",
                &token,
                Some(bad),
            )
            .await;
        assert_eq!(status, 422);
        let codes: Vec<&str> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["region_code.format", "postcode.format"]);
        let (status, _) = app
            .with_token(
                Method::PUT,
                "/me/profile/addresses/holiday",
                &token,
                Some(moscow()),
            )
            .await;
        assert_eq!(status, 404);
        let (status, _) = app
            .with_token(
                Method::PUT,
                "/me/profile/addresses/registration",
                &token,
                Some(moscow()),
            )
            .await;
        assert_eq!(status, 204);

        let prefs =
            json!({"notifications": [{"kind": "identity", "channel": "sms", "enabled": false}]});
        let (status, _) = app
            .with_token(
                Method::PUT,
                "/me/profile/notifications",
                &token,
                Some(prefs),
            )
            .await;
        assert_eq!(status, 204);
        let off =
            json!({"notifications": [{"kind": "security", "channel": "sms", "enabled": false}]});
        let (status, body) = app
            .with_token(Method::PUT, "/me/profile/notifications", &token, Some(off))
            .await;
        assert_eq!(
            (status, body["errors"][0]["code"].as_str()),
            (422, Some("notifications.security_required"))
        );
        // Eleven choices (one per kind and channel is ten): refused whole,
        // the first ten not saved either.
        let mut many: Vec<Value> = (0..10)
            .map(|i| {
                let kind = ["identity", "applications", "messages", "reminders", "security"][i / 2];
                let channel = ["sms", "email"][i % 2];
                json!({"kind": kind, "channel": channel, "enabled": true})
            })
            .collect();
        many.push(json!({"kind": "messages", "channel": "sms", "enabled": false}));
        let (status, body) = app
            .with_token(
                Method::PUT,
                "/me/profile/notifications",
                &token,
                Some(json!({ "notifications": many })),
            )
            .await;
        assert_eq!(
            (status, body["errors"][0]["code"].as_str()),
            (422, Some("group.too_many")),
            "{body}"
        );
        let (_, p) = app
            .with_token(Method::GET, "/me/profile", &token, None)
            .await;
        assert_eq!(p["addresses"][0]["city"], "Москва");
        let sms_identity = p["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["kind"] == "identity" && n["channel"] == "sms")
            .unwrap()
            .clone();
        assert_eq!(sms_identity["enabled"], false);

        // An e-mail is added only after its code (demo mode: the demo mailbox).
        let (status, body) = app
            .with_token(
                Method::POST,
                "/me/profile/contacts",
                &token,
                Some(json!({"contact": "pavel@example.org", "password": "Zelenyj-Slon-1985"})),
            )
            .await;
        assert_eq!(status, 202, "{body}");
        let ch = body["challenge_id"].as_str().unwrap().to_owned();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let code = loop {
            let msgs = app.running.store.list_demo_messages(20).await.unwrap();
            if let Some(m) = msgs.iter().find(|m| m.destination == "pavel@example.org") {
                break code_in(&m.body);
            }
            assert!(std::time::Instant::now() < deadline, "no code e-mail");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        };
        let (status, _) = app
            .with_token(
                Method::POST,
                &format!("/me/profile/contacts/{ch}"),
                &token,
                Some(json!({"code": code})),
            )
            .await;
        assert_eq!(status, 204);
        let (_, me) = app.with_token(Method::GET, "/me", &token, None).await;
        assert_eq!(me["email"], "pavel@example.org");
        // Someone else's e-mail: refused after its code.
        let (_, body) = app
            .with_token(
                Method::POST,
                "/me/profile/contacts",
                &token,
                Some(json!({"contact": "applicant@demo.migportal.ru", "password": "Zelenyj-Slon-1985"})),
            )
            .await;
        let ch2 = body["challenge_id"].as_str().unwrap().to_owned();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let code2 = loop {
            let msgs = app.running.store.list_demo_messages(20).await.unwrap();
            if let Some(m) = msgs
                .iter()
                .find(|m| m.destination == "applicant@demo.migportal.ru" && m.body.contains("код"))
            {
                break code_in(&m.body);
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no second code e-mail"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        };
        let (status, body) = app
            .with_token(
                Method::POST,
                &format!("/me/profile/contacts/{ch2}"),
                &token,
                Some(json!({"code": code2})),
            )
            .await;
        assert_eq!(
            (status, body["errors"][0]["code"].as_str()),
            (409, Some("email.taken"))
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn office_staff_see_only_people_of_their_territory() {
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let here = app
            .applicant("+79161231111", "Москвичёв", "Матвей", None)
            .await;
        let there = app
            .applicant("+79161232222", "Питерский", "Пётр", None)
            .await;
        app.with_token(
            Method::PUT,
            "/me/profile/addresses/registration",
            &here,
            Some(moscow()),
        )
        .await;
        let mut spb = moscow();
        spb["region_code"] = json!("78");
        app.with_token(
            Method::PUT,
            "/me/profile/addresses/registration",
            &there,
            Some(spb),
        )
        .await;
        let id_of = |t: String| {
            let app = &app;
            async move {
                app.with_token(Method::GET, "/me", &t, None).await.1["id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            }
        };
        let (here_id, there_id) = (id_of(here.clone()).await, id_of(there.clone()).await);

        let (officer, _) =
            staff_token(&app, "officer@demo.migportal.ru", "Demo-Officer-2026").await;
        let (status, card) = app
            .with_token(
                Method::GET,
                &format!("/office/people/{here_id}"),
                &officer,
                None,
            )
            .await;
        assert_eq!(status, 200, "{card}");
        assert_eq!(card["surname"], "Москвичёв");
        let (status, body) = app
            .with_token(
                Method::GET,
                &format!("/office/people/{there_id}"),
                &officer,
                None,
            )
            .await;
        assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
        let (operator, _) =
            staff_token(&app, "operator@demo.migportal.ru", "Demo-Operator-2026").await;
        let (status, _) = app
            .with_token(
                Method::GET,
                &format!("/office/people/{here_id}"),
                &operator,
                None,
            )
            .await;
        assert_eq!(status, 403);

        // The person sees the officer's read; the refused one is in the audit log.
        let (_, log) = app
            .with_token(Method::GET, "/me/data-access", &here, None)
            .await;
        assert_eq!(log["accesses"][0]["purpose"], "office_case");
        let (_, none) = app
            .with_token(Method::GET, "/me/data-access", &there, None)
            .await;
        assert!(none["accesses"].as_array().unwrap().is_empty());
        let (auditor, _) =
            staff_token(&app, "auditor@demo.migportal.ru", "Demo-Auditor-2026").await;
        let (_, events) = app
            .with_token(
                Method::GET,
                &format!("/audit?action=access.denied_other_office&subject={there_id}"),
                &auditor,
                None,
            )
            .await;
        assert_eq!(events["events"].as_array().unwrap().len(), 1, "{events}");
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn an_operator_registers_a_person_from_scratch() {
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let (operator, _) = staff_token(&app, "operator@demo.migportal.ru", "Demo-Operator-2026").await;
        let identity = json!({
            "citizenship": "russian", "surname": "Сидоров", "given_name": "Пётр", "patronymic": "Алексеевич",
            "birth_date": "30.11.1978", "snils": "234-567-891 00", "passport": "4005 111222",
            "passport_issued_on": "10.12.2003", "office_code": "780-001"
        });
        let (status, body) = app.with_token(Method::POST, "/operator/people", &operator, Some(json!({"identity": identity.clone()}))).await;
        assert_eq!((status, body["errors"][0]["code"].as_str()), (422, Some("contact.required")));
        let (status, done) = app.with_token(Method::POST, "/operator/people", &operator, Some(json!({"phone": "+79163334455", "identity": identity}))).await;
        assert_eq!(status, 201, "{done}");
        let first = done["first_login"].as_str().unwrap();
        // The person sets a password with the code sent to their phone.
        let code = app.sms_code("+79163334455", 0).await;
        let text = app.sms.lock().unwrap().iter().find(|m| m["to"] == "+79163334455").unwrap()["text"].as_str().unwrap().to_owned();
        assert!(text.contains(&format!("/password-reset/{first}")), "the message says where to go: {text}");
        let (status, _) = app.post(&format!("/password-resets/{first}"), json!({"code": code, "new_password": "Svoj-Parol-Petra-78"})).await;
        assert_eq!(status, 204);
        let token = app.login("+79163334455", "Svoj-Parol-Petra-78").await;
        let (_, me) = app.with_token(Method::GET, "/me", &token, None).await;
        assert_eq!(me["level"], "confirmed");
        assert_eq!(app.identity_settled(&token).await["state"], "verified");
        app.stop().await;
    })
    .await;
}
