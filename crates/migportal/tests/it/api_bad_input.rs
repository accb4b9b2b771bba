//! Hostile or broken input: each gets a specific problem document and changes nothing.

use crate::support::*;
use reqwest::Method;
use serde_json::{Value, json};

async fn raw(app: &TestApp, path: &str, content_type: &str, body: Vec<u8>) -> (u16, Value, String) {
    let res = app
        .client
        .post(format!("{}{path}", app.api))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let (status, body) = status_json(res).await;
    (status, body, ct)
}

#[tokio::test]
async fn broken_requests_get_specific_problems() {
    each_backend(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let (s, b, ct) = raw(&app, "/accounts", "application/json", b"{\"surname\": ".to_vec()).await;
        assert_eq!((s, b["code"].as_str(), ct.as_str()), (400, Some("json.syntax"), "application/problem+json"));

        let (s, b, _) = raw(&app, "/accounts", "application/json", r#"{"surname": 5, "given_name": "I", "password": "x"}"#.as_bytes().to_vec()).await;
        assert_eq!((s, b["code"].as_str()), (422, Some("json.schema")), "{b}");

        let body = json!({"surname": "И", "given_name": "И", "phone": "+79160000009", "password": "Zelenyj-Slon-1985", "role": "administrator"});
        let (s, b, _) = raw(&app, "/accounts", "application/json", body.to_string().into_bytes()).await;
        assert_eq!((s, b["code"].as_str()), (422, Some("json.schema")));
        assert!(b["title"].as_str().unwrap().contains("role"), "the unknown field is named: {b}");

        let (s, b, _) = raw(&app, "/accounts", "text/plain", b"hello".to_vec()).await;
        assert_eq!((s, b["code"].as_str()), (415, Some("json.content_type")));

        let huge = format!("{{\"surname\": \"{}\"}}", "Я".repeat(100_000));
        let (s, b, _) = raw(&app, "/accounts", "application/json", huge.into_bytes()).await;
        assert_eq!((s, b["code"].as_str()), (413, Some("body.too_large")), "{b}");

        let (s, b) = app.post("/accounts/confirmations/not-a-uuid", json!({"code": "123456"})).await;
        assert_eq!((s, b["code"].as_str()), (404, Some("not_found")));
        // An unknown challenge answers like a dead code.
        let (s, b) = app.post("/accounts/confirmations/01939a4e-0000-7000-8000-000000000000", json!({"code": "123456"})).await;
        assert_eq!((s, b["errors"][0]["code"].as_str()), (422, Some("otp.no_longer_valid")));
        let (s, b) = app.post("/nowhere", json!({})).await;
        assert_eq!((s, b["code"].as_str()), (404, Some("not_found")));
        let res = app.client.get(format!("{}/accounts", app.api)).send().await.unwrap();
        let (s, b) = status_json(res).await;
        assert_eq!((s, b["code"].as_str()), (405, Some("method_not_allowed")));
        let (s, b) = app.with_token(Method::GET, "/me", "forged-token", None).await;
        assert_eq!((s, b["code"].as_str()), (401, Some("unauthenticated")));

        // Nothing above created anything: the phone is still free.
        let (s, _) = app
            .post("/accounts", json!({"surname": "И", "given_name": "И", "phone": "+79160000009", "password": "Zelenyj-Slon-1985"}))
            .await;
        assert_eq!(s, 201);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn field_rules_name_every_problem() {
    each_backend(|backend| async move {
        let app = TestApp::spawn(backend).await;
        // Latin "a" hidden in a Cyrillic surname, a landline, a common password.
        let (s, b) = app
            .post("/accounts", json!({"surname": "Ивaнов", "given_name": "Иван", "phone": "+7 495 123-45-67", "password": "Password2024!"}))
            .await;
        assert_eq!(s, 422);
        let codes: Vec<(&str, &str)> = b["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
            .collect();
        assert_eq!(codes, [("surname", "name.mixed_scripts"), ("phone", "phone.not_mobile"), ("password", "password.too_common")]);

        let token = app.applicant("+79161234567", "Иванов", "Иван", Some("Иванович")).await;
        let mut bad = citizen_identity();
        bad["snils"] = json!("112-233-445 96");
        bad["inn"] = json!("500100732258");
        bad["office_code"] = json!("77-0001");
        bad["passport_issued_on"] = json!("31.02.2015");
        let (s, b) = app.with_token(Method::PUT, "/me/identity", &token, Some(bad)).await;
        assert_eq!(s, 422);
        let codes: Vec<&str> = b["errors"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap()).collect();
        for expected in ["snils.checksum", "inn.checksum", "office_code.format", "date.format"] {
            assert!(codes.contains(&expected), "{expected} missing from {b}");
        }
        // Refused input started no check.
        let (_, state) = app.with_token(Method::GET, "/me/identity", &token, None).await;
        assert_eq!(state["state"], "not_submitted");
        assert_eq!(app.sim.requests(), 0);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn cross_site_writes_are_refused() {
    each_backend(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let res = app
            .client
            .post(format!("{}/accounts", app.api))
            .header("origin", "https://evil.example")
            .header("sec-fetch-site", "cross-site")
            .json(&json!({"surname": "И", "given_name": "И", "phone": "+79160000010", "password": "Zelenyj-Slon-1985"}))
            .send()
            .await
            .unwrap();
        let (s, b) = status_json(res).await;
        assert_eq!((s, b["code"].as_str()), (403, Some("csrf")));
        app.stop().await;
    })
    .await;
}

/// Garbage of every shape at every endpoint: never a 5xx, never a panic.
#[tokio::test]
async fn no_input_makes_the_server_fail() {
    let app = TestApp::spawn("sqlite").await;
    let token = app.applicant("+79160000020", "Тестов", "Тест", None).await;
    let strings = [
        "",
        " ",
        "\u{0}",
        "null",
        "{}",
        "[]",
        "1e999",
        "\"\u{202e}\"",
        "Я".repeat(3000).as_str().to_owned().leak(),
        "{\"surname\":{\"a\":[1,2,{}]}}",
        "{\"code\":123456}",
        "{\"login\":null,\"password\":[]}",
        "{\"citizenship\":\"foreign\",\"birth_date\":\"99.99.9999\",\"country\":\"\u{1F600}\"}",
        "{\"snils\":\"١١٢٢٣٣٤٤٥٩٥\",\"passport\":\"４５１０１２３４５６\"}",
        "\u{feff}{}",
        "{\"a\":",
        "[[[[[[[[[[]]]]]]]]]]",
    ];
    let paths = [
        (reqwest::Method::POST, "/accounts"),
        (
            reqwest::Method::POST,
            "/accounts/confirmations/01939a4e-0000-7000-8000-000000000000",
        ),
        (reqwest::Method::POST, "/accounts/confirmations/%00/resend"),
        (reqwest::Method::POST, "/sessions"),
        (reqwest::Method::PUT, "/me/identity"),
        (reqwest::Method::DELETE, "/sessions/current"),
    ];
    for (method, path) in &paths {
        for body in &strings {
            for ct in [
                "application/json",
                "application/x-www-form-urlencoded",
                "text/plain",
            ] {
                let res = app
                    .client
                    .request(method.clone(), format!("{}{path}", app.api))
                    .bearer_auth(&token)
                    .header("content-type", ct)
                    .body(body.to_string())
                    .send()
                    .await
                    .unwrap();
                assert!(
                    res.status().as_u16() < 500,
                    "{method} {path} {ct} {body:?} → {}",
                    res.status()
                );
            }
        }
    }
    // Pages take the same beating.
    for path in [
        "/register",
        "/login",
        "/register/confirm/x",
        "/account/identity",
        "/logout",
    ] {
        for body in &strings {
            let res = app
                .client
                .post(format!("{}{path}", app.url))
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            assert!(
                res.status().as_u16() < 500,
                "POST {path} {body:?} → {}",
                res.status()
            );
        }
    }
    // The portal still works afterwards (the DELETE above ended that session).
    let token = app.login("+79160000020", "Zelenyj-Slon-1985").await;
    let (status, _) = app
        .with_token(reqwest::Method::GET, "/me", &token, None)
        .await;
    assert_eq!(status, 200);
    app.stop().await;
}
