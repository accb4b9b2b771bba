//! Issue 22, item 4: the secrets a person gives the portal never reach its
//! logs, even at the most talkative level an operator would set. A real
//! `migportal serve` process is run with `RUST_LOG=trace` through a whole
//! journey, and every line it wrote is searched.

use crate::applications::answers_for;
use crate::instances::spawn_logging;
use crate::support::*;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use store::testing::TestDb;

const PHONE: &str = "+79161234567";
const PASSWORD: &str = "Zelenyj-Slon-1985";
const NEW_PASSWORD: &str = "Sinij-Kit-Plyvet-2031";
/// The demo population's Иванов: what the reference registry knows.
const SNILS: &str = "112-233-445 95";
const PASSPORT: &str = "4510 123456";

struct Client {
    api: String,
    http: reqwest::Client,
}

impl Client {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.api));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        status_json(req.send().await.unwrap()).await
    }
}

fn sms_code(sms: &Arc<Mutex<Vec<Value>>>, nth: usize) -> Option<String> {
    sms.lock()
        .unwrap()
        .iter()
        .filter_map(|m| m["text"].as_str().map(code_in))
        .filter(|c| !c.is_empty())
        .nth(nth)
}

async fn wait_code(sms: &Arc<Mutex<Vec<Value>>>, nth: usize) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(c) = sms_code(sms, nth) {
            return c;
        }
        assert!(Instant::now() < deadline, "no SMS #{nth}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_whole_journey_leaves_no_secret_in_the_logs() {
    use reqwest::Method;
    let db = TestDb::new("sqlite").await.unwrap();
    // Migrates the database the process is started on.
    store::connect(&db.url, true, store::audit::AuditKey::derive(b"test"))
        .await
        .unwrap();
    let (registry_url, _sim) = registry().await;
    let (sms_url, sms) = sms_gateway().await;
    let lines = Arc::new(Mutex::new(Vec::new()));
    let instance = spawn_logging(
        &db.url,
        &registry_url,
        &sms_url,
        "trace",
        Some(lines.clone()),
    );
    let c = Client {
        api: format!("{}/api/v1", instance.url),
        http: reqwest::Client::new(),
    };

    // Register, confirm by SMS, a wrong password, then the right one.
    let (status, reg) = c
        .call(
            Method::POST,
            "/accounts",
            None,
            Some(
                json!({"surname": "Иванов", "given_name": "Иван", "patronymic": "Иванович",
                        "phone": PHONE, "password": PASSWORD}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{reg}");
    let code = wait_code(&sms, 0).await;
    let challenge = reg["challenge_id"].as_str().unwrap();
    let (status, body) = c
        .call(
            Method::POST,
            &format!("/accounts/confirmations/{challenge}"),
            None,
            Some(json!({"code": code})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = c
        .call(
            Method::POST,
            "/sessions",
            None,
            Some(json!({"login": PHONE, "password": format!("{PASSWORD}x")})),
        )
        .await;
    assert_eq!(status, 401);
    let (status, session) = c
        .call(
            Method::POST,
            "/sessions",
            None,
            Some(json!({"login": PHONE, "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, 201, "{session}");
    let token = session["token"].as_str().unwrap().to_owned();

    // The identity with SNILS and passport, checked by the registry.
    let (status, body) = c
        .call(
            Method::PUT,
            "/me/identity",
            Some(&token),
            Some(
                json!({"citizenship": "russian", "surname": "Иванов", "given_name": "Иван",
                        "patronymic": "Иванович", "birth_date": "14.03.1985", "snils": SNILS,
                        "passport": PASSPORT, "passport_issued_on": "20.04.2015",
                        "office_code": "770-001"}),
            ),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, me) = c
            .call(Method::GET, "/me/identity", Some(&token), None)
            .await;
        if me["state"] == "verified" {
            break;
        }
        assert!(Instant::now() < deadline, "never verified: {me}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // An application whose answers carry the passport, saved and sent.
    let (status, draft) = c
        .call(
            Method::POST,
            "/applications",
            Some(&token),
            Some(json!({"service": "address-reference"})),
        )
        .await;
    assert_eq!(status, 201, "{draft}");
    let id = draft["id"].as_str().unwrap();
    let answers = answers_for("address-reference", &draft);
    let (status, saved) = c
        .call(
            Method::PUT,
            &format!("/applications/{id}"),
            Some(&token),
            Some(json!({"answers": answers, "version": draft["version"]})),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    let (status, sent) = c
        .call(
            Method::POST,
            &format!("/applications/{id}/submit"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, 200, "{sent}");

    // A new password, and a log-in with it.
    let (status, body) = c
        .call(
            Method::PUT,
            "/me/password",
            Some(&token),
            Some(json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD})),
        )
        .await;
    assert!(status == 200 || status == 204, "{status} {body}");
    let (status, second) = c
        .call(
            Method::POST,
            "/sessions",
            None,
            Some(json!({"login": PHONE, "password": NEW_PASSWORD})),
        )
        .await;
    assert_eq!(status, 201, "{second}");
    // Let the worker finish the receipt and the notices (its lines count too).
    tokio::time::sleep(Duration::from_secs(2)).await;
    drop(instance);

    let lines = lines.lock().unwrap().clone();
    let text = lines.join("\n");
    // The capture works: the process wrote its debug lines, requests among them.
    assert!(
        lines.len() > 50
            && text.contains("registry check answered")
            && text.contains("kind=\"verify_identity\"")
            && text.contains("UPDATE applications SET status = 'submitted'"),
        "too little was logged to judge: {} lines\n{text}",
        lines.len()
    );
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    let secrets = [
        ("the password", PASSWORD.to_owned()),
        ("the mistyped password", format!("{PASSWORD}x")),
        ("the new password", NEW_PASSWORD.to_owned()),
        ("the SNILS as typed", SNILS.to_owned()),
        ("the SNILS's digits", digits(SNILS)),
        ("the SNILS's first nine", digits(SNILS)[..9].to_owned()),
        ("the passport as typed", PASSPORT.to_owned()),
        ("the passport's digits", digits(PASSPORT)),
        ("the session token", token.clone()),
        (
            "the second session token",
            second["token"].as_str().unwrap().to_owned(),
        ),
        ("the confirmation code", code.clone()),
    ];
    // Each line without its timestamp (whose microseconds are six digits
    // that could equal the code by chance).
    let bodies: Vec<&str> = lines
        .iter()
        .map(|l| l.split_once(' ').map_or(l.as_str(), |(_, rest)| rest))
        .collect();
    for (what, secret) in secrets {
        let hit = bodies.iter().find(|l| l.contains(&secret));
        assert!(hit.is_none(), "{what} is in the logs: {}", hit.unwrap());
    }
}
