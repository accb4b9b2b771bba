//! Account security: sessions, log out everywhere, password change and reset,
//! notices about new devices and security changes.

use crate::support::*;
use reqwest::Method;
use serde_json::json;

const PHONE: &str = "+79160006666";
const PASSWORD: &str = "Zelenyj-Slon-1985";

async fn login_as(app: &TestApp, device: &str, password: &str) -> (u16, serde_json::Value) {
    let res = app
        .client
        .post(format!("{}/sessions", app.api))
        .header("user-agent", device)
        .json(&json!({"login": PHONE, "password": password}))
        .send()
        .await
        .unwrap();
    status_json(res).await
}

fn texts(app: &TestApp) -> Vec<String> {
    app.sms
        .lock()
        .unwrap()
        .iter()
        .filter(|m| m["to"] == PHONE)
        .filter_map(|m| m["text"].as_str().map(str::to_owned))
        .collect()
}

async fn wait_text(app: &TestApp, needle: &str, count: usize) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while texts(app).iter().filter(|t| t.contains(needle)).count() < count {
        assert!(
            std::time::Instant::now() < deadline,
            "no {count}× {needle:?} in {:?}",
            texts(app)
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn sessions_password_change_and_new_devices() {
    each_backend(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let first = app.applicant(PHONE, "Безопасный", "Борис", None).await;
        let (_, second) = login_as(&app, "Firefox on Linux", PASSWORD).await;
        let second = second["token"].as_str().unwrap().to_owned();
        let (_, again) = login_as(&app, "Firefox on Linux", PASSWORD).await;
        let third = again["token"].as_str().unwrap().to_owned();
        // Two devices seen (reqwest's default and Firefox): two notices, not three.
        wait_text(&app, "нового устройства", 2).await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(
            texts(&app)
                .iter()
                .filter(|t| t.contains("нового устройства"))
                .count(),
            2
        );
        assert!(texts(&app).iter().any(|t| t.contains("Firefox on Linux")));

        let (status, body) = app
            .with_token(Method::GET, "/me/sessions", &second, None)
            .await;
        assert_eq!(status, 200);
        let list = body["sessions"].as_array().unwrap();
        assert_eq!(list.len(), 3);
        assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1);

        let change =
            |current: &str, new: &str| json!({"current_password": current, "new_password": new});
        let (status, body) = app
            .with_token(
                Method::PUT,
                "/me/password",
                &second,
                Some(change("wrong-one-123", "Sinij-Kit-na-Kryshe-7")),
            )
            .await;
        assert_eq!(
            (status, body["errors"][0]["code"].as_str()),
            (422, Some("password.current_wrong"))
        );
        let (status, body) = app
            .with_token(
                Method::PUT,
                "/me/password",
                &second,
                Some(change(PASSWORD, "qwerty123456")),
            )
            .await;
        assert_eq!(
            (status, body["errors"][0]["code"].as_str()),
            (422, Some("password.too_common"))
        );
        let (status, _) = app
            .with_token(
                Method::PUT,
                "/me/password",
                &second,
                Some(change(PASSWORD, "Sinij-Kit-na-Kryshe-7")),
            )
            .await;
        assert_eq!(status, 204);
        // The session that changed it stays; the others end.
        assert_eq!(
            app.with_token(Method::GET, "/me", &second, None).await.0,
            200
        );
        assert_eq!(
            app.with_token(Method::GET, "/me", &first, None).await.0,
            401
        );
        assert_eq!(
            app.with_token(Method::GET, "/me", &third, None).await.0,
            401
        );
        wait_text(&app, "Пароль вашей учётной записи migportal изменён", 1).await;
        assert_eq!(login_as(&app, "Firefox on Linux", PASSWORD).await.0, 401);
        let (status, fourth) = login_as(&app, "Firefox on Linux", "Sinij-Kit-na-Kryshe-7").await;
        assert_eq!(status, 201);

        // Log out everywhere, this session included.
        let (status, body) = app
            .with_token(Method::DELETE, "/me/sessions", &second, None)
            .await;
        assert_eq!((status, body["ended"].as_u64()), (200, Some(2)));
        assert_eq!(
            app.with_token(Method::GET, "/me", &second, None).await.0,
            401
        );
        wait_text(&app, "на всех устройствах", 1).await;
        assert_eq!(
            app.with_token(Method::GET, "/me", fourth["token"].as_str().unwrap(), None)
                .await
                .0,
            401
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn password_reset_through_the_proven_phone() {
    each_backend(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let old = app.applicant(PHONE, "Забывчивый", "Захар", None).await;
        // An unknown login gets the same answer and no message.
        let before = app.sms.lock().unwrap().len();
        let (status, _) = app
            .post("/password-resets", json!({"login": "+79169990000"}))
            .await;
        assert_eq!(status, 202);
        let (status, started) = app
            .post("/password-resets", json!({"login": "8 916 000-66-66"}))
            .await;
        assert_eq!(status, 202);
        let id = started["challenge_id"].as_str().unwrap().to_owned();
        let code = app.sms_code(PHONE, 1).await;
        assert_eq!(
            app.sms
                .lock()
                .unwrap()
                .iter()
                .filter(|m| m["to"] == "+79169990000")
                .count(),
            0
        );
        assert!(app.sms.lock().unwrap().len() > before);

        let (status, body) = app
            .post(
                &format!("/password-resets/{id}"),
                json!({"code": code, "new_password": "123"}),
            )
            .await;
        assert_eq!(
            (status, body["errors"][0]["code"].as_str()),
            (422, Some("password.too_short"))
        );
        let (status, body) = app
            .post(
                &format!("/password-resets/{id}"),
                json!({"code": code, "new_password": "Novyj-Parol-Zakhara-9"}),
            )
            .await;
        assert_eq!(status, 204, "{body}");
        let (status, body) = app
            .post(
                &format!("/password-resets/{id}"),
                json!({"code": code, "new_password": "Novyj-Parol-Zakhara-9"}),
            )
            .await;
        assert_eq!(
            (status, body["errors"][0]["code"].as_str()),
            (422, Some("otp.no_longer_valid"))
        );
        assert_eq!(
            app.with_token(Method::GET, "/me", &old, None).await.0,
            401,
            "every session ended"
        );
        let _ = app.login(PHONE, "Novyj-Parol-Zakhara-9").await;
        // A contact-confirmation code id cannot be used as a reset.
        let (status, _) = app
            .post(
                "/password-resets/01939a4e-0000-7000-8000-000000000000",
                json!({"code": "123456", "new_password": "Novyj-Parol-Zakhara-9"}),
            )
            .await;
        assert_eq!(status, 422);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn an_applicant_may_turn_on_a_second_factor() {
    each_backend(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let token = app.applicant(PHONE, "Осторожный", "Олег", None).await;
        let (status, e) = app
            .with_token(Method::POST, "/me/second-factor", &token, None)
            .await;
        assert_eq!(status, 201, "{e}");
        let secret = e["secret"].as_str().unwrap().to_owned();
        let (status, _) = app
            .with_token(
                Method::PUT,
                "/me/second-factor",
                &token,
                Some(json!({"code": "000000"})),
            )
            .await;
        assert_eq!(status, 422);
        let code = app::second_factor::current_code(&secret, web::system_clock()).unwrap();
        let (status, on) = app
            .with_token(
                Method::PUT,
                "/me/second-factor",
                &token,
                Some(json!({"code": code})),
            )
            .await;
        assert_eq!(status, 200, "{on}");
        assert_eq!(on["recovery_codes"].as_array().unwrap().len(), 10);
        wait_text(&app, "второй фактор", 1).await;

        // Now a password alone is not enough.
        let (status, step) = login_as(&app, "Firefox", PASSWORD).await;
        assert_eq!(
            (status, step["second_factor"].as_str()),
            (202, Some("totp"))
        );
        let recovery = on["recovery_codes"][0].as_str().unwrap();
        let (status, done) = app
            .post(
                &format!(
                    "/sessions/second-factor/{}",
                    step["challenge_id"].as_str().unwrap()
                ),
                json!({"code": recovery}),
            )
            .await;
        assert_eq!(status, 201, "{done}");
        // Turning it off needs a code too; then it is gone.
        let (status, _) = app
            .with_token(
                Method::DELETE,
                "/me/second-factor",
                &token,
                Some(json!({"code": "123456"})),
            )
            .await;
        assert_eq!(status, 422);
        let (status, _) = app
            .with_token(
                Method::DELETE,
                "/me/second-factor",
                &token,
                Some(json!({"code": on["recovery_codes"][1]})),
            )
            .await;
        assert_eq!(status, 204);
        assert_eq!(login_as(&app, "Firefox", PASSWORD).await.0, 201);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_code_by_sms_as_the_second_factor() {
    each_backend(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let token = app.applicant(PHONE, "Смс", "Семён", None).await;
        let (status, on) = app
            .with_token(Method::POST, "/me/second-factor/code", &token, None)
            .await;
        assert_eq!(status, 201, "{on}");
        let (status, body) = app
            .with_token(Method::POST, "/me/second-factor/code", &token, None)
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (409, Some("second_factor.already_enabled"))
        );

        let (status, step) = login_as(&app, "Firefox", PASSWORD).await;
        assert_eq!(
            (
                status,
                step["second_factor"].as_str(),
                step["destination"].as_str()
            ),
            (202, Some("code"), Some("+7 *** ***-66-66"))
        );
        let challenge = step["challenge_id"].as_str().unwrap();
        let code = app.sms_code(PHONE, 1).await;
        let (status, _) = app
            .post(
                &format!("/sessions/second-factor/{challenge}"),
                json!({"code": "000000"}),
            )
            .await;
        assert_eq!(status, 422);
        let (status, done) = app
            .post(
                &format!("/sessions/second-factor/{challenge}"),
                json!({"code": code}),
            )
            .await;
        assert_eq!(status, 201, "{done}");
        let (status, _) = app
            .post(
                &format!("/sessions/second-factor/{challenge}"),
                json!({"code": code}),
            )
            .await;
        assert_eq!(status, 422, "a login code works once");

        // Off with the password.
        let (status, _) = app
            .with_token(
                Method::DELETE,
                "/me/second-factor",
                &token,
                Some(json!({"password": "wrong-password-1"})),
            )
            .await;
        assert_eq!(status, 422);
        let (status, _) = app
            .with_token(
                Method::DELETE,
                "/me/second-factor",
                &token,
                Some(json!({"password": PASSWORD})),
            )
            .await;
        assert_eq!(status, 204);
        assert_eq!(login_as(&app, "Firefox", PASSWORD).await.0, 201);
        app.stop().await;
    })
    .await;
}
