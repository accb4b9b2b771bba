//! Registration → code → login → logout over the API.

use crate::support::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn register_confirm_login_logout() {
    each_backend(|backend| async move {
        let app = TestApp::spawn(backend).await;
        // Spaces around values are trimmed, not refused.
        let (status, reg) = app
            .post(
                "/accounts",
                json!({"surname": "  Петрова ", "given_name": "Анна", "phone": "8 (916) 555-12-34", "password": "Zelenyj-Slon-1985"}),
            )
            .await;
        assert_eq!(status, 201, "{reg}");
        assert_eq!(reg["channel"], "sms");
        assert_eq!(reg["destination"], "+7 *** ***-12-34");
        let ch = reg["challenge_id"].as_str().unwrap().to_owned();

        // Before the code is entered the account cannot log in.
        let (status, body) = app.post("/sessions", json!({"login": "+79165551234", "password": "Zelenyj-Slon-1985"})).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("account.not_confirmed")));

        let code = app.sms_code("+79165551234", 0).await;
        let sms = app.sms.lock().unwrap()[0].clone();
        assert!(sms["text"].as_str().unwrap().contains("Никому не сообщайте"), "{sms}");

        let wrong = if code == "000000" { "111111" } else { "000000" };
        let (status, body) = app.post(&format!("/accounts/confirmations/{ch}"), json!({"code": wrong})).await;
        assert_eq!(status, 422);
        assert_eq!(body["errors"][0]["code"], "otp.wrong");
        assert_eq!(body["errors"][0]["message"], "Неверный код. Осталось попыток: 4");

        let (status, _) = app.post(&format!("/accounts/confirmations/{ch}"), json!({"code": code})).await;
        assert_eq!(status, 200);
        // A code works once.
        let (status, body) = app.post(&format!("/accounts/confirmations/{ch}"), json!({"code": code})).await;
        // A used code answers like any code that no longer works: no oracle.
        assert_eq!((status, body["errors"][0]["code"].as_str()), (422, Some("otp.no_longer_valid")));

        let token = app.login("89165551234", "Zelenyj-Slon-1985").await;
        let (status, me) = app.with_token(Method::GET, "/me", &token, None).await;
        assert_eq!(status, 200);
        assert_eq!((me["surname"].as_str(), me["level"].as_str()), (Some("Петрова"), Some("simplified")));

        let (status, _) = app.with_token(Method::DELETE, "/sessions/current", &token, None).await;
        assert_eq!(status, 204);
        let (status, body) = app.with_token(Method::GET, "/me", &token, None).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("unauthenticated")));
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn email_registration_and_duplicates() {
    each_backend(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let token = app.applicant("+79160000001", "Сидоров", "Пётр", Some("Алексеевич")).await;
        assert!(!token.is_empty());
        // The same phone again: a specific conflict, nothing created.
        let (status, body) = app
            .post("/accounts", json!({"surname": "Другой", "given_name": "Человек", "phone": "+7 916 000-00-01", "password": "Zelenyj-Slon-1985"}))
            .await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["errors"][0]["code"], "phone.taken");
        // Both contacts at once, or none.
        let (status, body) = app
            .post("/accounts", json!({"surname": "А", "given_name": "Б", "phone": "+79160000002", "email": "a@b.ru", "password": "Zelenyj-Slon-1985"}))
            .await;
        assert_eq!((status, body["errors"][0]["code"].as_str()), (422, Some("contact.one_only")));
        let (status, body) = app.post("/accounts", json!({"surname": "А", "given_name": "Б", "password": "Zelenyj-Slon-1985"})).await;
        assert_eq!((status, body["errors"][0]["code"].as_str()), (422, Some("contact.required")));
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn codes_expire_resends_are_limited_and_attempts_burn() {
    each_backend(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, reg) = app
            .post("/accounts", json!({"surname": "Кузнецов", "given_name": "Алексей", "phone": "+79160000003", "password": "Zelenyj-Slon-1985"}))
            .await;
        let ch = reg["challenge_id"].as_str().unwrap().to_owned();
        let first = app.sms_code("+79160000003", 0).await;

        // Too soon for a new code.
        let res = app.client.post(format!("{}/accounts/confirmations/{ch}/resend", app.api)).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 429);
        assert!(res.headers().get("retry-after").is_some());
        let (_, body) = status_json(res).await;
        assert_eq!(body["code"], "otp.resend_wait");

        // Six minutes later the code has expired; a new one may be sent.
        sql(&app.db.url, "UPDATE otp_challenges SET sent_at = sent_at - 360000").await;
        let (status, body) = app.post(&format!("/accounts/confirmations/{ch}"), json!({"code": first})).await;
        assert_eq!((status, body["errors"][0]["code"].as_str()), (422, Some("otp.no_longer_valid")));
        let (status, _) = app.post(&format!("/accounts/confirmations/{ch}/resend"), json!({})).await;
        assert_eq!(status, 202);
        let second = app.sms_code("+79160000003", 1).await;

        // Five wrong entries burn the challenge; then even the right code is refused.
        let wrong = if second == "999999" { "888888" } else { "999999" };
        for _ in 0..4 {
            let (status, _) = app.post(&format!("/accounts/confirmations/{ch}"), json!({"code": wrong})).await;
            assert_eq!(status, 422);
        }
        let (status, body) = app.post(&format!("/accounts/confirmations/{ch}"), json!({"code": wrong})).await;
        assert_eq!((status, body["errors"][0]["code"].as_str()), (429, Some("otp.too_many_attempts")));
        // The right code on a burnt challenge: the same answer as a wrong one.
        let (status, body) = app.post(&format!("/accounts/confirmations/{ch}"), json!({"code": second})).await;
        assert_eq!((status, body["errors"][0]["code"].as_str()), (422, Some("otp.no_longer_valid")));
        let (status, body) = app.post(&format!("/accounts/confirmations/{ch}"), json!({"code": wrong})).await;
        assert_eq!((status, body["errors"][0]["code"].as_str()), (422, Some("otp.no_longer_valid")));
        // The way back: registering again with the same phone starts over.
        let (status, reg) = app
            .post("/accounts", json!({"surname": "Кузнецов", "given_name": "Алексей", "phone": "+79160000003", "password": "Zelenyj-Slon-1985"}))
            .await;
        assert_eq!(status, 201, "{reg}");
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn failed_logins_slow_down_then_lock() {
    each_backend(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let _ = app
            .applicant("+79160000004", "Фёдорова", "Елена", None)
            .await;
        for _ in 0..4 {
            let (status, body) = app
                .post(
                    "/sessions",
                    json!({"login": "+79160000004", "password": "wrong-password-1"}),
                )
                .await;
            assert_eq!(
                (status, body["code"].as_str()),
                (401, Some("bad_credentials"))
            );
        }
        // The fifth try comes too soon: refused without checking the password.
        let res = app
            .client
            .post(format!("{}/sessions", app.api))
            .json(&json!({"login": "+79160000004", "password": "Zelenyj-Slon-1985"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 429);
        assert!(res.headers().get("retry-after").is_some());
        // An unknown login is refused just like a wrong password.
        let (status, body) = app
            .post(
                "/sessions",
                json!({"login": "nobody@example.ru", "password": "whatever-1234"}),
            )
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (401, Some("bad_credentials"))
        );
        app.stop().await;
    })
    .await;
}

/// Nobody can flood a stranger's phone: re-registering the same number again
/// and again stops after a few codes.
#[tokio::test]
async fn codes_to_one_phone_are_limited() {
    each_backend(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let body = json!({"surname": "Флудов", "given_name": "Фёдор", "phone": "+79160009999", "password": "Zelenyj-Slon-1985"});
        for _ in 0..3 {
            let (status, b) = app.post("/accounts", body.clone()).await;
            assert_eq!(status, 201, "{b}");
        }
        let res = app.client.post(format!("{}/accounts", app.api)).json(&body).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 429);
        assert!(res.headers().get("retry-after").is_some());
        let (_, b) = status_json(res).await;
        assert_eq!(b["code"], "otp.send_wait");
        // Another number is not affected.
        let (status, _) = app.post("/accounts", json!({"surname": "Другой", "given_name": "Дмитрий", "phone": "+79160009998", "password": "Zelenyj-Slon-1985"})).await;
        assert_eq!(status, 201);
        app.stop().await;
    })
    .await;
}

/// An SMS gateway that takes the request and never answers: registration
/// is answered at once (the code waits in the outbox), each attempt gives
/// up after the gateway's time limit and is retried with backoff, and the
/// code arrives once — when the gateway answers again.
#[tokio::test]
async fn a_hanging_sms_gateway_delays_the_code_and_loses_nothing() {
    each_backend(|backend| async move {
        let mut gateway = None;
        let app = TestApp::spawn_config(backend, false, |c| {
            let sms = c.sms.as_mut().expect("an SMS gateway");
            let proxy = Cuttable::new(&sms.url);
            proxy.set_hanging(true);
            sms.url = proxy.url.clone();
            sms.timeout_ms = 300;
            gateway = Some(proxy);
        })
        .await;
        let gateway = gateway.expect("the proxy");
        let phone = "+79165550777";
        let started = std::time::Instant::now();
        let (status, reg) = app
            .post(
                "/accounts",
                json!({"surname": "Лебедева", "given_name": "Ольга", "phone": phone, "password": "Zelenyj-Slon-1985"}),
            )
            .await;
        assert_eq!(status, 201, "{reg}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "registration waited for the gateway"
        );
        // At least one attempt hangs and is given up on meanwhile.
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        let to_phone = |app: &TestApp| {
            app.sms
                .lock()
                .unwrap()
                .iter()
                .filter(|m| m["to"] == phone)
                .count()
        };
        assert_eq!(to_phone(&app), 0, "nothing passes a hung gateway");
        let attempts = scalar(&app.db.url, "SELECT attempts FROM jobs WHERE kind = 'deliver_code'").await;
        assert!(attempts.parse::<u32>().unwrap() >= 1, "an attempt was made: {attempts}");
        gateway.set_hanging(false);
        // Within 10 s of the gateway's recovery: the hung attempt was given
        // up after the configured 300 ms, not the default 15 s.
        let code = app
            .sms_code_within(phone, 0, std::time::Duration::from_secs(10))
            .await;
        let challenge = reg["challenge_id"].as_str().unwrap();
        let (status, body) = app
            .post(&format!("/accounts/confirmations/{challenge}"), json!({"code": code}))
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(to_phone(&app), 1, "the code arrived once");
        app.stop().await;
    })
    .await;
}
