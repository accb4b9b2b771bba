//! End-to-end: the real client against the simulator on a loopback port.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use serde_json::{Value, json};

use crate::sim::{Faults, Population, SimConfig, SimState, app};
use crate::*;

const TOKEN: &str = "test-token";

struct Sim {
    url: String,
    state: SimState,
}

async fn start() -> Sim {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let config = SimConfig {
        token: TOKEN.into(),
        population: Population::demo(),
    };
    let (router, state) = app(config);
    tokio::spawn(async move { axum::serve(listener, router).await });
    Sim { url, state }
}

fn client(sim: &Sim) -> RegistryClient {
    RegistryClient::new(&sim.url, TOKEN, Duration::from_secs(5)).unwrap()
}

async fn admin(sim: &Sim, path: &str, body: Option<Value>) -> (u16, Value) {
    let http = reqwest::Client::new();
    let url = format!("{}{path}", sim.url);
    let req = match body {
        Some(b) => http.post(url).json(&b),
        None => http.get(url),
    };
    let resp = req.bearer_auth(TOKEN).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn snils(snils: &str, surname: &str, given: &str, patr: Option<&str>, birth: &str) -> SnilsCheck {
    SnilsCheck {
        snils: snils.into(),
        surname: surname.into(),
        given_name: given.into(),
        patronymic: patr.map(Into::into),
        birth_date: birth.into(),
    }
}

fn ivanov_snils() -> SnilsCheck {
    snils(
        "11223344595",
        "Иванов",
        "Иван",
        Some("Иванович"),
        "1985-03-14",
    )
}

fn passport(series: &str, number: &str, issued: &str, office: &str) -> PassportCheck {
    PassportCheck {
        series: series.into(),
        number: number.into(),
        issued_on: issued.into(),
        office_code: office.into(),
        surname: "Иванов".into(),
        given_name: "Иван".into(),
        patronymic: Some("Иванович".into()),
        birth_date: "1985-03-14".into(),
    }
}

fn karimov() -> ForeignDocumentCheck {
    ForeignDocumentCheck {
        passport_number: "FA1234567".into(),
        citizenship: "UZB".into(),
        migration_card: Some("46171234567".into()),
        surname: "KARIMOV".into(),
        given_name: "ALISHER".into(),
        birth_date: "1992-05-20".into(),
    }
}

#[tokio::test]
async fn snils_match_mismatch_not_found() {
    let sim = start().await;
    let c = client(&sim);
    assert_eq!(
        c.check_snils(&ivanov_snils()).await.unwrap(),
        SnilsOutcome::Match
    );
    let mut r = ivanov_snils();
    r.birth_date = "1985-03-15".into();
    assert_eq!(c.check_snils(&r).await.unwrap(), SnilsOutcome::Mismatch);
    r = ivanov_snils();
    r.snils = "13579246894".into();
    assert_eq!(c.check_snils(&r).await.unwrap(), SnilsOutcome::NotFound);
    // Ё ≡ Е and case-insensitive.
    let sidorov = snils(
        "23456789100",
        "СИДОРОВ",
        "петр",
        Some("Алексеевич"),
        "1978-11-30",
    );
    assert_eq!(c.check_snils(&sidorov).await.unwrap(), SnilsOutcome::Match);
    assert_eq!(sim.state.requests(), 4);
}

#[tokio::test]
async fn passport_valid_invalid_mismatch_not_found() {
    let sim = start().await;
    let c = client(&sim);
    let ok = passport("4510", "123456", "2015-04-20", "770-001");
    assert_eq!(c.check_passport(&ok).await.unwrap(), DocumentOutcome::Valid);

    let mut other = ok.clone();
    other.given_name = "Пётр".into();
    assert_eq!(
        c.check_passport(&other).await.unwrap(),
        DocumentOutcome::Mismatch
    );
    let wrong_office = passport("4510", "123456", "2015-04-20", "770-002");
    assert_eq!(
        c.check_passport(&wrong_office).await.unwrap(),
        DocumentOutcome::Mismatch
    );

    let mut lost = passport("5015", "666777", "2015-05-05", "540-001");
    lost.surname = "Морозов".into();
    lost.given_name = "Дмитрий".into();
    lost.patronymic = Some("Николаевич".into());
    lost.birth_date = "1970-04-04".into();
    assert_eq!(
        c.check_passport(&lost).await.unwrap(),
        DocumentOutcome::Invalid
    );

    let unknown = passport("4510", "999999", "2015-04-20", "770-001");
    assert_eq!(
        c.check_passport(&unknown).await.unwrap(),
        DocumentOutcome::NotFound
    );
}

#[tokio::test]
async fn foreign_documents_valid_invalid_mismatch_not_found() {
    let sim = start().await;
    let c = client(&sim);
    assert_eq!(
        c.check_foreign_document(&karimov()).await.unwrap(),
        DocumentOutcome::Valid
    );

    let mut r = karimov();
    r.migration_card = Some("46170000000".into());
    assert_eq!(
        c.check_foreign_document(&r).await.unwrap(),
        DocumentOutcome::Mismatch
    );

    r = karimov();
    r.passport_number = "FA0000000".into();
    assert_eq!(
        c.check_foreign_document(&r).await.unwrap(),
        DocumentOutcome::NotFound
    );

    let expired = ForeignDocumentCheck {
        passport_number: "400123456".into(),
        citizenship: "TJK".into(),
        migration_card: Some("46179876543".into()),
        surname: "RAHIMOV".into(),
        given_name: "JASUR".into(),
        birth_date: "1987-08-08".into(),
    };
    assert_eq!(
        c.check_foreign_document(&expired).await.unwrap(),
        DocumentOutcome::Invalid
    );

    let no_card = ForeignDocumentCheck {
        passport_number: "N12345678".into(),
        citizenship: "KAZ".into(),
        migration_card: None,
        surname: "Nurlanov".into(),
        given_name: "Daulet".into(),
        birth_date: "1994-10-03".into(),
    };
    assert_eq!(
        c.check_foreign_document(&no_card).await.unwrap(),
        DocumentOutcome::Valid
    );
}

#[tokio::test]
async fn inn_match_mismatch_not_found() {
    let sim = start().await;
    let c = client(&sim);
    let mut r = InnCheck {
        inn: "500100732259".into(),
        surname: "Иванов".into(),
        given_name: "Иван".into(),
        patronymic: Some("Иванович".into()),
        birth_date: "1985-03-14".into(),
    };
    assert_eq!(c.check_inn(&r).await.unwrap(), InnOutcome::Match);
    r.surname = "Петров".into();
    assert_eq!(c.check_inn(&r).await.unwrap(), InnOutcome::Mismatch);
    r.inn = "774312345611".into();
    assert_eq!(c.check_inn(&r).await.unwrap(), InnOutcome::NotFound);
}

#[tokio::test]
async fn wrong_token_is_rejected_and_not_counted() {
    let sim = start().await;
    let c = RegistryClient::new(&sim.url, "wrong", Duration::from_secs(5)).unwrap();
    let err = c.check_snils(&ivanov_snils()).await.unwrap_err();
    assert!(matches!(err, RegistryError::Rejected(_)), "{err}");
    assert!(!err.is_temporary());
    assert!(err.to_string().contains("unauthorized"), "{err}");

    let resp = reqwest::get(format!("{}/admin/stats", sim.url))
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body, json!({"error": "unauthorized"}));
    assert_eq!(sim.state.requests(), 0);
}

#[tokio::test]
async fn unavailable_fault_then_recovery() {
    let sim = start().await;
    let c = client(&sim);
    let (status, body) = admin(&sim, "/admin/faults", Some(json!({"unavailable": true}))).await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({"delay_ms": 0, "unavailable": true}));
    assert_eq!(admin(&sim, "/admin/faults", None).await.1, body);

    let err = c.check_snils(&ivanov_snils()).await.unwrap_err();
    assert!(matches!(err, RegistryError::Unavailable(_)), "{err}");
    assert!(err.is_temporary());

    admin(&sim, "/admin/faults", Some(json!({"unavailable": false}))).await;
    assert_eq!(
        c.check_snils(&ivanov_snils()).await.unwrap(),
        SnilsOutcome::Match
    );
    // The failed attempt and the retry both reached the registry.
    assert_eq!(
        admin(&sim, "/admin/stats", None).await.1,
        json!({"requests": 2})
    );
}

#[tokio::test]
async fn slow_registry_times_out_as_unavailable() {
    let sim = start().await;
    sim.state.set_faults(Faults {
        delay_ms: 1_000,
        unavailable: false,
    });
    let c = RegistryClient::new(&sim.url, TOKEN, Duration::from_millis(200)).unwrap();
    let started = std::time::Instant::now();
    let err = c.check_snils(&ivanov_snils()).await.unwrap_err();
    assert!(matches!(err, RegistryError::Unavailable(_)), "{err}");
    assert!(started.elapsed() < Duration::from_millis(900));

    let (status, _) = admin(&sim, "/admin/faults", Some(json!({"delay_ms": 600_001}))).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn server_not_listening_is_unavailable() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let c = RegistryClient::new(&format!("http://{addr}"), TOKEN, Duration::from_secs(2)).unwrap();
    let err = c.check_snils(&ivanov_snils()).await.unwrap_err();
    assert!(matches!(err, RegistryError::Unavailable(_)), "{err}");
}

#[tokio::test]
async fn malformed_requests_get_400() {
    let sim = start().await;
    let http = reqwest::Client::new();
    let post = |body: &'static str| {
        http.post(format!("{}/v1/snils/check", sim.url))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let resp = post("{not json").await.unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "bad_request");
    assert!(body["detail"].is_string());

    let extra = r#"{"snils":"1","surname":"a","given_name":"b","patronymic":null,"birth_date":"x","extra":1}"#;
    assert_eq!(post(extra).await.unwrap().status(), 400);

    let big = "x".repeat(17 * 1024);
    let resp = http
        .post(format!("{}/v1/snils/check", sim.url))
        .bearer_auth(TOKEN)
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
}

#[tokio::test]
async fn person_added_at_run_time_matches() {
    let sim = start().await;
    let c = client(&sim);
    let r = snils("24681357994", "Орлова", "Ксения", None, "2003-06-06");
    assert_eq!(c.check_snils(&r).await.unwrap(), SnilsOutcome::NotFound);
    let person = json!({
        "surname": "Орлова", "given_name": "Ксения", "patronymic": null,
        "birth_date": "2003-06-06", "snils": "24681357994"
    });
    let (status, body) = admin(&sim, "/admin/people", Some(person)).await;
    assert_eq!(status, 201);
    assert_eq!(body["people"], Population::demo().len() + 1);
    assert_eq!(c.check_snils(&r).await.unwrap(), SnilsOutcome::Match);

    let invalid = json!({"surname": "", "given_name": "X", "birth_date": "2003-06-06"});
    assert_eq!(admin(&sim, "/admin/people", Some(invalid)).await.0, 400);
}

#[tokio::test]
async fn healthz_needs_no_token_and_client_checks_base_url() {
    let sim = start().await;
    let resp = reqwest::get(format!("{}/healthz", sim.url)).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "ok");
    let err = RegistryClient::new("not a url", TOKEN, Duration::from_secs(1)).unwrap_err();
    assert!(matches!(err, RegistryError::Rejected(_)));
}

#[tokio::test]
async fn unparseable_answer_is_a_protocol_error() {
    // An ordinary web server where the registry should be.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = axum::Router::new().fallback(|| async { "<html>hello</html>" });
    tokio::spawn(async move { axum::serve(listener, router).await });
    let c = RegistryClient::new(&url, TOKEN, Duration::from_secs(5)).unwrap();
    let err = c.check_snils(&ivanov_snils()).await.unwrap_err();
    assert!(matches!(err, RegistryError::Protocol(_)), "{err}");
}

#[tokio::test]
async fn graceful_shutdown_stops_the_server() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let config = SimConfig {
        token: TOKEN.into(),
        population: Population::new(),
    };
    let server = tokio::spawn(crate::sim::serve_with_shutdown(listener, config, async {
        let _ = rx.await;
    }));
    tx.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

#[test]
fn requests_do_not_leak_personal_data_in_debug() {
    let shown = format!("{:?}", ivanov_snils());
    assert_eq!(shown, "SnilsCheck { .. }");
}
