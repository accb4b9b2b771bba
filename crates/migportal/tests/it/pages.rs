//! The pages as a browser without JavaScript uses them: forms, redirects, cookies.

use crate::support::*;
use std::time::{Duration, Instant};

pub(crate) fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a csrf field") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

pub(crate) async fn page(app: &TestApp, path: &str) -> (u16, String) {
    let res = app
        .client
        .get(format!("{}{path}", app.url))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

pub(crate) async fn submit(app: &TestApp, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(format!("{}{path}", app.url))
        .header("origin", app.url.clone())
        .form(form)
        .send()
        .await
        .unwrap()
}

/// Signs in through the login form; returns the CSRF token for later forms.
pub(crate) async fn browser_login(app: &TestApp, login: &str, password: &str) -> String {
    let (_, html) = page(app, "/login").await;
    let token = csrf_of(&html);
    let res = submit(
        app,
        "/login",
        &[("csrf", &token), ("login", login), ("password", password)],
    )
    .await;
    assert_eq!(location(&res), "/account");
    token
}

/// Signs a demo staff member in at the back office, enrolling TOTP; returns
/// the CSRF token and the answer to the code (the recovery codes page).
pub(crate) async fn browser_staff_login(
    app: &TestApp,
    email: &str,
    password: &str,
) -> (String, reqwest::Response) {
    let (_, html) = page(app, "/staff/login").await;
    let token = csrf_of(&html);
    let res = submit(
        app,
        "/staff/login",
        &[("csrf", &token), ("login", email), ("password", password)],
    )
    .await;
    assert_eq!(res.status().as_u16(), 200);
    let html = res.text().await.unwrap();
    let secret = html
        .split("secret=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let action = html
        .split("action=\"/login/second-factor/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let code = app::second_factor::current_code(&secret, web::system_clock()).unwrap();
    let res = submit(
        app,
        &format!("/login/second-factor/{action}"),
        &[("csrf", &token), ("code", &code)],
    )
    .await;
    (token, res)
}

pub(crate) fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .expect("a redirect")
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn register_confirm_login_and_check_identity_in_the_browser() {
    each_backend(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (status, html) = page(&app, "/register").await;
        assert_eq!(status, 200);
        assert!(html.contains("<html lang=\"ru\">") && html.contains("Регистрация"));
        let token = csrf_of(&html);

        // Mistakes come back with a summary, per-field messages and the values kept.
        let res = submit(
            &app,
            "/register",
            &[
                ("csrf", &token),
                ("surname", "Иванов"),
                ("given_name", ""),
                ("contact", "+7 916 123-45-67"),
                ("password", "Zelenyj-Slon-1985"),
                ("password_repeat", "другой"),
            ],
        )
        .await;
        assert_eq!(res.status().as_u16(), 422);
        let html = res.text().await.unwrap();
        assert!(
            html.contains("error-summary") && html.contains("href=\"#f-given_name\""),
            "{html}"
        );
        assert!(html.contains("Пароли не совпадают"));
        assert!(html.contains("value=\"Иванов\""), "typed values are kept");
        assert!(
            !html.contains("Zelenyj-Slon-1985"),
            "passwords are never echoed"
        );

        let res = submit(
            &app,
            "/register",
            &[
                ("csrf", &token),
                ("surname", "Иванов"),
                ("given_name", "Иван"),
                ("patronymic", "Иванович"),
                ("contact", "+7 916 123-45-67"),
                ("password", "Zelenyj-Slon-1985"),
                ("password_repeat", "Zelenyj-Slon-1985"),
            ],
        )
        .await;
        assert_eq!(res.status().as_u16(), 303);
        let confirm = location(&res);
        assert!(confirm.starts_with("/register/confirm/"));
        let (_, html) = page(&app, &confirm).await;
        assert!(html.contains("+7 *** ***-45-67"));
        let code = app.sms_code("+79161234567", 0).await;
        let res = submit(&app, &confirm, &[("csrf", &token), ("code", &code)]).await;
        assert_eq!(location(&res), "/login?confirmed=1");
        let (_, html) = page(&app, "/login?confirmed=1").await;
        assert!(html.contains("Контакт подтверждён"));

        let res = submit(
            &app,
            "/login",
            &[
                ("csrf", &token),
                ("login", "89161234567"),
                ("password", "Zelenyj-Slon-1985"),
            ],
        )
        .await;
        assert_eq!(location(&res), "/account");
        let cookie = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect::<Vec<_>>();
        assert!(
            cookie.iter().any(|c| c.starts_with("mp_session=")
                && c.contains("HttpOnly")
                && c.contains("SameSite=Lax")),
            "{cookie:?}"
        );
        let (_, html) = page(&app, "/account").await;
        assert!(html.contains("Упрощённая") && html.contains("Иванов Иван Иванович"));

        let (_, html) = page(&app, "/account/identity").await;
        assert!(
            html.contains("value=\"Иванов\""),
            "the form is pre-filled from the account"
        );
        let res = submit(
            &app,
            "/account/identity",
            &[
                ("csrf", &token),
                ("citizenship", "russian"),
                ("surname", "Иванов"),
                ("given_name", "Иван"),
                ("patronymic", "Иванович"),
                ("birth_date", "14.03.1985"),
                ("snils", "11223344595"),
                ("passport", "4510 123456"),
                ("passport_issued_on", "20.04.2015"),
                ("office_code", "770001"),
            ],
        )
        .await;
        assert_eq!(location(&res), "/account?submitted=1");
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let (_, html) = page(&app, "/account").await;
            if html.contains("Стандартная") {
                assert!(html.contains("Данные проверены"));
                break;
            }
            assert!(Instant::now() < deadline, "never verified: {html}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        // Log out with the form; the session is gone.
        let res = submit(&app, "/logout", &[("csrf", &token)]).await;
        assert_eq!(location(&res), "/login?out=1");
        let res = app
            .client
            .get(format!("{}/account", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(location(&res), "/login");
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn forms_without_the_token_change_nothing() {
    each_backend(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (_, html) = page(&app, "/register").await;
        let _ = csrf_of(&html);
        let res = submit(
            &app,
            "/register",
            &[
                ("csrf", "forged-token-forged-token-forged-token"),
                ("surname", "Иванов"),
                ("given_name", "Иван"),
                ("contact", "+79161234567"),
                ("password", "Zelenyj-Slon-1985"),
                ("password_repeat", "Zelenyj-Slon-1985"),
            ],
        )
        .await;
        assert_eq!(res.status().as_u16(), 403);
        let html = res.text().await.unwrap();
        assert!(
            html.contains("Форма устарела"),
            "a way back: the form with an explanation"
        );
        // A cross-site post is stopped before any handler.
        let res = app
            .client
            .post(format!("{}/login", app.url))
            .header("sec-fetch-site", "cross-site")
            .form(&[("login", "x"), ("password", "y")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 403);
        assert!(app.sms.lock().unwrap().is_empty());
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn english_on_request_and_demo_mailbox() {
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let res = app
            .client
            .get(format!("{}/lang/en?back=/register", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(location(&res), "/register");
        let (_, html) = page(&app, "/register").await;
        assert!(
            html.contains("<html lang=\"en\">") && html.contains("Create an account"),
            "{html}"
        );

        // Demo mode: an e-mail code lands in the demo mailbox page.
        let token = csrf_of(&html);
        let res = submit(
            &app,
            "/register",
            &[
                ("csrf", &token),
                ("surname", "Smith"),
                ("given_name", "John"),
                ("contact", "john.smith@example.org"),
                ("password", "Zelenyj-Slon-1985"),
                ("password_repeat", "Zelenyj-Slon-1985"),
            ],
        )
        .await;
        assert_eq!(res.status().as_u16(), 303);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (status, html) = page(&app, "/demo/mailbox").await;
            assert_eq!(status, 200);
            if html.contains("john.smith@example.org") {
                assert!(html.contains("confirmation code"), "{html}");
                break;
            }
            assert!(Instant::now() < deadline, "no demo message: {html}");
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        // No open redirect through the language switch.
        let res = app
            .client
            .get(format!("{}/lang/ru?back=//evil.example", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(location(&res), "/");
        // The demo logins work.
        let _ = app
            .login("applicant@demo.migportal.ru", "Demo-Applicant-2026")
            .await;
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_profiles_language_comes_before_the_browsers() {
    let app = TestApp::spawn("sqlite").await;
    // Registered in English (the switch), confirmed.
    let en = TestApp::client();
    en.get(format!("{}/lang/en", app.url)).send().await.unwrap();
    let html = en
        .get(format!("{}/register", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf_of(&html);
    let form = [
        ("csrf", token.as_str()),
        ("surname", "Смит"),
        ("given_name", "Джон"),
        ("contact", "+7 916 555-44-33"),
        ("password", "Zelenyj-Slon-1985"),
        ("password_repeat", "Zelenyj-Slon-1985"),
    ];
    let res = en
        .post(format!("{}/register", app.url))
        .header("origin", app.url.clone())
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    let confirm = location(&res);
    let code = app.sms_code("+79165554433", 0).await;
    let res = en
        .post(format!("{}{confirm}", app.url))
        .header("origin", app.url.clone())
        .form(&[("csrf", token.as_str()), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/login?confirmed=1");

    // A new browser that asks for Russian: before sign-in Russian, after it
    // the profile's English.
    let ru = TestApp::client();
    let get = |path: &str| {
        ru.get(format!("{}{path}", app.url))
            .header("accept-language", "ru-RU,ru;q=0.9")
            .send()
    };
    let html = get("/login").await.unwrap().text().await.unwrap();
    assert!(html.contains("<html lang=\"ru\">"), "{html}");
    let token = csrf_of(&html);
    let res = ru
        .post(format!("{}/login", app.url))
        .header("origin", app.url.clone())
        .form(&[
            ("csrf", token.as_str()),
            ("login", "+79165554433"),
            ("password", "Zelenyj-Slon-1985"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/account");
    let html = get("/account").await.unwrap().text().await.unwrap();
    assert!(html.contains("<html lang=\"en\">"), "{html}");
    // The switch still works, and the profile follows it.
    ru.get(format!("{}/lang/ru", app.url)).send().await.unwrap();
    let html = get("/account").await.unwrap().text().await.unwrap();
    assert!(html.contains("<html lang=\"ru\">"), "{html}");
    app.stop().await;
}

#[tokio::test]
async fn the_demo_mailbox_is_absent_outside_demo_mode() {
    let app = TestApp::spawn("sqlite").await;
    let (status, _) = page(&app, "/demo/mailbox").await;
    assert_eq!(status, 404);
    let (status, html) = page(&app, "/no/such/page").await;
    assert_eq!(status, 404);
    assert!(html.contains("Страница не найдена"));
    app.stop().await;
}

#[tokio::test]
async fn staff_back_office_in_the_browser() {
    let app = TestApp::spawn_with("sqlite", true).await;
    let res = app
        .client
        .get(format!("{}/staff", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/staff/login");
    let (_, res) =
        browser_staff_login(&app, "operator@demo.migportal.ru", "Demo-Operator-2026").await;
    assert_eq!(res.status().as_u16(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("Резервные коды"), "{html}");
    let (status, html) = page(&app, "/staff").await;
    assert_eq!(status, 200);
    assert!(html.contains("Оператор центра обслуживания"));
    // Staff have a workplace, not a person's pages, in the header.
    let header = html.split("</header>").next().unwrap_or_default();
    assert!(header.contains("href=\"/staff\""), "{header}");
    for person_only in [
        "href=\"/applications\"",
        "href=\"/inbox\"",
        "href=\"/documents\"",
    ] {
        assert!(
            !header.contains(person_only),
            "{person_only} in a staff header: {header}"
        );
    }
    // A search link writes nothing and finds nothing: searching is a POST.
    let (status, html) = page(&app, "/staff/operator?snils=112-233-445%2095").await;
    assert_eq!(status, 200);
    assert!(!html.contains("error-summary"), "{html}");
    let csrf = csrf_of(&html);
    let res = submit(
        &app,
        "/staff/operator/find",
        &[("csrf", &csrf), ("snils", "112-233-445 95")],
    )
    .await;
    assert_eq!(res.status().as_u16(), 200);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("error-summary"),
        "nobody has this SNILS yet: {html}"
    );
    // Without the form token, nothing is searched.
    let res = submit(&app, "/staff/operator/find", &[("snils", "112-233-445 95")]).await;
    assert_eq!(res.status().as_u16(), 403);
    // An operator is not an auditor.
    let (status, _) = page(&app, "/staff/audit").await;
    assert_eq!(status, 403);
    app.stop().await;
}

#[tokio::test]
async fn a_verified_person_orders_a_confirmation_letter_in_the_browser() {
    let app = TestApp::spawn("sqlite").await;
    let api_token = app
        .applicant("+79161234567", "Иванов", "Иван", Some("Иванович"))
        .await;
    app.with_token(
        reqwest::Method::PUT,
        "/me/identity",
        &api_token,
        Some(citizen_identity()),
    )
    .await;
    assert_eq!(app.identity_settled(&api_token).await["state"], "verified");
    let token = browser_login(&app, "+79161234567", "Zelenyj-Slon-1985").await;
    let (_, html) = page(&app, "/account").await;
    assert!(html.contains("href=\"/account/confirmation\""));
    let (status, html) = page(&app, "/account/confirmation").await;
    assert_eq!(status, 200);
    assert!(html.contains("Заказное письмо"));
    let res = submit(
        &app,
        "/account/confirmation/letter",
        &[
            ("csrf", &token),
            ("postcode", "1190"),
            ("region", "г. Москва"),
            ("city", "Москва"),
            ("street", "ул. Тимура Фрунзе"),
            ("house", "11"),
        ],
    )
    .await;
    assert_eq!(res.status().as_u16(), 422);
    assert!(res.text().await.unwrap().contains("Почтовый индекс"));
    let res = submit(
        &app,
        "/account/confirmation/letter",
        &[
            ("csrf", &token),
            ("postcode", "119021"),
            ("region", "г. Москва"),
            ("city", "Москва"),
            ("street", "ул. Тимура Фрунзе"),
            ("house", "11"),
        ],
    )
    .await;
    assert_eq!(location(&res), "/account/confirmation?letter=1");
    let (_, html) = page(&app, "/account/confirmation?letter=1").await;
    assert!(html.contains("Письмо заказано"), "{html}");
    let (status, html) = page(&app, "/account/data-access").await;
    assert_eq!(status, 200);
    assert!(html.contains("Сотрудники не обращались"));
    app.stop().await;
}

#[tokio::test]
async fn profile_page_saves_addresses_and_preferences() {
    let app = TestApp::spawn("sqlite").await;
    let api_token = app.applicant("+79161234567", "Иванов", "Иван", None).await;
    let token = browser_login(&app, "+79161234567", "Zelenyj-Slon-1985").await;
    let (status, html) = page(&app, "/account/profile").await;
    assert_eq!(status, 200);
    assert!(html.contains("Адрес регистрации") && html.contains("type=\"checkbox\""));
    let res = submit(
        &app,
        "/account/profile/addresses/registration",
        &[
            ("csrf", &token),
            ("region_code", "7"),
            ("postcode", "119021"),
            ("region", "г. Москва"),
            ("city", "Москва"),
            ("street", "Фрунзе"),
            ("house", "11"),
        ],
    )
    .await;
    assert_eq!(res.status().as_u16(), 422);
    assert!(res.text().await.unwrap().contains("Код региона"));
    let res = submit(
        &app,
        "/account/profile/addresses/registration",
        &[
            ("csrf", &token),
            ("region_code", "77"),
            ("postcode", "119021"),
            ("region", "г. Москва"),
            ("city", "Москва"),
            ("street", "Фрунзе"),
            ("house", "11"),
        ],
    )
    .await;
    assert_eq!(location(&res), "/account/profile?saved=1");
    // Only identity e-mails ticked: everything else off (but security).
    let res = submit(
        &app,
        "/account/profile/notifications",
        &[("csrf", &token), ("identity.email", "on")],
    )
    .await;
    assert_eq!(location(&res), "/account/profile?saved=1");
    let (_, p) = app
        .with_token(reqwest::Method::GET, "/me/profile", &api_token, None)
        .await;
    let enabled: Vec<String> = p["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["enabled"] == true)
        .map(|n| {
            format!(
                "{}.{}",
                n["kind"].as_str().unwrap(),
                n["channel"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        enabled,
        ["security.email", "security.sms", "identity.email"]
    );
    assert_eq!(p["addresses"][0]["region_code"], "77");
    app.stop().await;
}

#[tokio::test]
async fn second_factor_from_the_security_page() {
    let app = TestApp::spawn("sqlite").await;
    let _ = app.applicant("+79161234567", "Иванов", "Иван", None).await;
    let token = browser_login(&app, "+79161234567", "Zelenyj-Slon-1985").await;
    let (_, html) = page(&app, "/account/security").await;
    assert!(html.contains("Не подключён"));
    let res = submit(&app, "/account/second-factor/code", &[("csrf", &token)]).await;
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.text().await.unwrap().contains("Резервные коды"));
    let (_, html) = page(&app, "/account/security").await;
    assert!(html.contains("код по СМС"));
    let res = submit(
        &app,
        "/account/second-factor/off",
        &[("csrf", &token), ("password", "wrong-password-1")],
    )
    .await;
    assert_eq!(res.status().as_u16(), 422);
    let res = submit(
        &app,
        "/account/second-factor/off",
        &[("csrf", &token), ("password", "Zelenyj-Slon-1985")],
    )
    .await;
    assert_eq!(location(&res), "/account/security?second_factor_off=1");
    // An authenticator app: the page shows the key, then takes a code.
    let res = submit(&app, "/account/second-factor/totp", &[("csrf", &token)]).await;
    let html = res.text().await.unwrap();
    let secret = html
        .split("secret=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let res = submit(
        &app,
        "/account/second-factor/totp/confirm",
        &[("csrf", &token), ("code", "000000")],
    )
    .await;
    assert_eq!(res.status().as_u16(), 422);
    let code = app::second_factor::current_code(&secret, web::system_clock()).unwrap();
    let res = submit(
        &app,
        "/account/second-factor/totp/confirm",
        &[("csrf", &token), ("code", &code)],
    )
    .await;
    assert!(res.text().await.unwrap().contains("Резервные коды"));
    let (_, html) = page(&app, "/account/security").await;
    assert!(html.contains("приложения-аутентификатора"));
    app.stop().await;
}

#[tokio::test]
async fn an_operator_registers_a_citizen_in_the_browser() {
    let app = TestApp::spawn_with("sqlite", true).await;
    let (token, _) =
        browser_staff_login(&app, "operator@demo.migportal.ru", "Demo-Operator-2026").await;
    let mut form = vec![
        ("csrf", token.as_str()),
        ("phone", "+79163334455"),
        ("surname", "Сидоров"),
        ("given_name", "Пётр"),
        ("patronymic", "Алексеевич"),
        ("birth_date", "30.11.1978"),
        ("snils", "234-567-891 01"),
        ("passport", "4005 111222"),
        ("passport_issued_on", "10.12.2003"),
        ("office_code", "780-001"),
    ];
    let res = submit(&app, "/staff/operator/register", &form).await;
    assert_eq!(res.status().as_u16(), 422);
    assert!(
        res.text().await.unwrap().contains("контрольное число"),
        "a wrong SNILS is explained"
    );
    form[6] = ("snils", "234-567-891 00");
    let res = submit(&app, "/staff/operator/register", &form).await;
    assert_eq!(location(&res), "/staff/operator?registered=1");
    let code = app.sms_code("+79163334455", 0).await;
    assert_eq!(code.len(), 6);
    app.stop().await;
}
