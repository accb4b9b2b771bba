//! Issue 22, item 5: every kind of answer carries the security headers, and
//! cookies and HSTS follow the scheme people reach the portal by.

use crate::support::*;
use reqwest::header::HeaderMap;

/// The answers a browser or client can get: a page, a page for a signed-in
/// person, the API (success and problem), a file, an unknown path, an error.
const PATHS: &[&str] = &[
    "/",
    "/login",
    "/services",
    "/static/style.css",
    "/api/v1/services",
    "/api/v1/me",
    "/api/v1/openapi.json",
    "/no-such-page",
    "/api/v1/no-such-thing",
];

/// The headers of each of [`PATHS`], fetched anonymously.
async fn answers(app: &TestApp) -> Vec<(&'static str, HeaderMap)> {
    let mut out = Vec::new();
    for path in PATHS {
        let res = app
            .client
            .get(format!("{}{path}", app.url))
            .send()
            .await
            .unwrap();
        out.push((*path, res.headers().clone()));
    }
    out
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> &'a str {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no {name} in {h:?}"))
}

fn assert_strict(path: &str, h: &HeaderMap) {
    let csp = header(h, "content-security-policy");
    for part in [
        "default-src 'none'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(part), "{path}: {part} missing in {csp}");
    }
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval") && !csp.contains('*'),
        "{path}: {csp}"
    );
    assert_eq!(header(h, "x-content-type-options"), "nosniff", "{path}");
    assert_eq!(header(h, "x-frame-options"), "DENY", "{path}");
    assert_eq!(header(h, "referrer-policy"), "same-origin", "{path}");
    let permissions = header(h, "permissions-policy");
    for feature in ["camera=()", "microphone=()", "geolocation=()"] {
        assert!(permissions.contains(feature), "{path}: {permissions}");
    }
}

fn cookies(h: &HeaderMap) -> Vec<String> {
    h.get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect()
}

/// Logs in through the form with the CSRF cookie sent by hand (a cookie
/// marked Secure is not sent back over http by a client's cookie store);
/// the answer's cookies.
async fn page_login(app: &TestApp, login: &str, password: &str) -> Vec<String> {
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = plain
        .get(format!("{}/login", app.url))
        .send()
        .await
        .unwrap();
    let csrf = cookies(res.headers())
        .iter()
        .find_map(|c| {
            c.strip_prefix("mp_csrf=")
                .and_then(|rest| rest.split(';').next())
                .map(str::to_owned)
        })
        .expect("the login page sets the CSRF cookie");
    let res = plain
        .post(format!("{}/login", app.url))
        .header("cookie", format!("mp_csrf={csrf}"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("login", login),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303, "login through the form");
    cookies(res.headers())
}

#[tokio::test]
async fn every_answer_carries_the_security_headers_and_http_has_no_hsts() {
    let app = TestApp::spawn("sqlite").await;
    let token = app
        .applicant("+79160000001", "Иванов", "Иван", Some("Иванович"))
        .await;
    for (path, headers) in answers(&app).await {
        assert_strict(path, &headers);
        assert!(
            headers.get("strict-transport-security").is_none(),
            "{path}: HSTS over plain http"
        );
    }
    // A signed-in answer and a refused write (CSRF) carry them too.
    let res = app
        .client
        .get(format!("{}/me", app.api))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_strict("/api/v1/me signed in", res.headers());
    let res = app
        .client
        .post(format!("{}/logout", app.url))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    assert_strict("refused POST /logout", res.headers());

    // Over http the cookies are HttpOnly and SameSite, without Secure (a
    // browser would drop a Secure cookie set over http).
    let set = page_login(&app, "+79160000001", "Zelenyj-Slon-1985").await;
    let session = set
        .iter()
        .find(|c| c.starts_with("mp_session="))
        .expect("session cookie");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );
    assert!(!session.contains("Secure"), "{session}");
    app.stop().await;
}

#[tokio::test]
async fn over_https_the_portal_asks_for_https_only_and_secure_cookies() {
    let app = TestApp::spawn_config("sqlite", false, |c| {
        c.public_url = Some("https://portal.example.ru".into());
    })
    .await;
    app.applicant("+79160000001", "Иванов", "Иван", Some("Иванович"))
        .await;
    for (path, headers) in answers(&app).await {
        assert_strict(path, &headers);
        assert_eq!(
            header(&headers, "strict-transport-security"),
            "max-age=31536000; includeSubDomains",
            "{path}"
        );
    }
    let res = reqwest::get(format!("{}/login", app.url)).await.unwrap();
    let csrf = cookies(res.headers());
    assert!(
        csrf.iter()
            .any(|c| c.starts_with("mp_csrf=") && c.contains("; Secure")),
        "{csrf:?}"
    );
    let set = page_login(&app, "+79160000001", "Zelenyj-Slon-1985").await;
    let session = set
        .iter()
        .find(|c| c.starts_with("mp_session="))
        .expect("session cookie");
    for flag in ["HttpOnly", "SameSite=Lax", "Secure"] {
        assert!(session.contains(flag), "{flag} missing: {session}");
    }
    app.stop().await;
}
