//! A portal started in-process per test with its own database, a reference
//! registry it talks to over HTTP, and a recording SMS gateway.

use axum::Json;
use axum::extract::State;
use axum::routing::post;
use migportal::config::{PasswordConfig, RegistriesConfig, SmsConfig};
use migportal::{Config, Running, StartOptions};
use registries::sim::{Population, SimConfig, SimState};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use store::testing::TestDb;
use store::vault::Vault;

pub const KEY: &str = "5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e";
pub const SIM_TOKEN: &str = "sim-token-for-tests";

pub struct TestApp {
    pub running: Running,
    /// The test acquirer the portal is a shop of.
    pub acquirer: acquirer::sim::SimState,
    pub acquirer_url: String,
    pub url: String,
    pub api: String,
    pub sim: SimState,
    pub sms: Arc<Mutex<Vec<Value>>>,
    /// Where the recording SMS gateway listens (for a worker in another process).
    pub sms_url: String,
    pub db: TestDb,
    pub client: reqwest::Client,
    /// The certification authority this portal trusts for qualified signatures.
    pub ca: qes::DemoCa,
}

/// A recording SMS gateway on loopback (a real HTTP listener).
pub async fn sms_gateway() -> (String, Arc<Mutex<Vec<Value>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let app = axum::Router::new()
        .route(
            "/send",
            post(
                |State(seen): State<Arc<Mutex<Vec<Value>>>>, Json(body): Json<Value>| async move {
                    seen.lock().unwrap().push(body);
                    Json(json!({"status": "queued"}))
                },
            ),
        )
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/send", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

pub const ACQUIRER_TOKEN: &str = "acquirer-token-for-tests";
pub const ACQUIRER_SECRET: &str = "acquirer-secret-for-tests";

/// The test acquirer on loopback, controlled through its state.
pub async fn acquirer() -> (String, acquirer::sim::SimState) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (router, state) = acquirer::sim::app(acquirer::sim::SimConfig {
        token: ACQUIRER_TOKEN.into(),
        secret: ACQUIRER_SECRET.into(),
        public_url: url.clone(),
    });
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, state)
}

/// The portal's side of the test acquirer: a payment no callback settled is
/// asked about `reconcile_after_seconds` after it starts.
pub fn payments_config(
    url: &str,
    reconcile_after_seconds: i64,
) -> migportal::config::PaymentsConfig {
    migportal::config::PaymentsConfig {
        url: url.into(),
        token: ACQUIRER_TOKEN.into(),
        secret: ACQUIRER_SECRET.into(),
        timeout_ms: 2_000,
        reconcile_after_seconds,
    }
}

/// The reference registry on loopback, controlled through its state.
pub async fn registry() -> (String, SimState) {
    let (router, state) = registries::sim::app(SimConfig {
        token: SIM_TOKEN.into(),
        population: Population::demo(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, state)
}

pub fn config(db_url: &str, registry_url: &str, sms_url: &str, demo: bool) -> Config {
    Config {
        listen: "127.0.0.1:0".into(),
        database_url: db_url.into(),
        demo,
        vault: migportal::config::VaultConfig {
            key_id: "k1".into(),
            key: Some(KEY.into()),
            ..Default::default()
        },
        registries: Some(RegistriesConfig {
            url: registry_url.into(),
            token: SIM_TOKEN.into(),
            timeout_ms: 500,
        }),
        sms: Some(SmsConfig {
            url: sms_url.into(),
            token: "sms-token".into(),
            timeout_ms: 15_000,
        }),
        // Short, so the slow-client tests finish quickly.
        audit_checkpoint_file: std::env::temp_dir()
            .join(format!(
                "migportal-checkpoints-{}.jsonl",
                uuid::Uuid::new_v4()
            ))
            .display()
            .to_string(),
        seeded_addresses: Some(true),
        attachments_dir: std::env::temp_dir()
            .join(format!("migportal-attachments-{}", uuid::Uuid::new_v4()))
            .display()
            .to_string(),
        // The suite signs in from one address many times a second.
        entrance_per_minute: 1_000_000,
        entrance_burst: 1_000_000,
        header_read_timeout_seconds: 1,
        shutdown_deadline_seconds: 2,
        // Cheap hashing: the suite logs in many times.
        password: Some(PasswordConfig {
            memory_kib: 256,
            iterations: 1,
        }),
        ..Config::default()
    }
}

impl TestApp {
    pub async fn spawn(backend: &str) -> Self {
        Self::spawn_with(backend, false).await
    }

    pub async fn spawn_with(backend: &str, demo: bool) -> Self {
        Self::spawn_config(backend, demo, |_| {}).await
    }

    /// Spawns with the test configuration changed by `change`.
    pub async fn spawn_config(backend: &str, demo: bool, change: impl FnOnce(&mut Config)) -> Self {
        let db = TestDb::new(backend).await.unwrap();
        let (registry_url, sim) = registry().await;
        let (sms_url, sms) = sms_gateway().await;
        let (acquirer_url, acquirer) = acquirer().await;
        let mut config = config(&db.url, &registry_url, &sms_url, demo);
        config.payments = Some(payments_config(&acquirer_url, 5));
        change(&mut config);
        let now = web::system_clock() / 1000;
        let ca = qes::demo_ca("Тестовый УЦ", now - 86_400, now + 86_400 * 365).unwrap();
        let ca_file =
            std::env::temp_dir().join(format!("migportal-ca-{}.pem", uuid::Uuid::new_v4()));
        std::fs::write(&ca_file, &ca.cert_pem).unwrap();
        config.qes_trust_file = Some(ca_file.display().to_string());
        let vault = Vault::new("k1", KEY).unwrap();
        let options = StartOptions {
            worker_poll: Duration::from_millis(20),
            ..StartOptions::default()
        };
        let running = migportal::start(config, vault, options).await.unwrap();
        let url = running.url();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .unwrap();
        Self {
            api: format!("{url}/api/v1"),
            url,
            running,
            acquirer,
            acquirer_url,
            sim,
            sms,
            sms_url,
            db,
            client,
            ca,
        }
    }

    /// A fresh browser-like client (own cookies, no redirects).
    pub fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .unwrap()
    }

    /// A browser (its own cookie jar, no redirects followed) carrying the
    /// session an API sign-in made, as its `mp_session` cookie.
    pub fn browser_with_session(&self, token: &str) -> reqwest::Client {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        jar.add_cookie_str(&format!("mp_session={token}"), &self.url.parse().unwrap());
        reqwest::Client::builder()
            .cookie_provider(jar)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// The `nth` code (0-based) sent by SMS to `phone` (E.164), waiting for the
    /// worker (30 s: on a loaded machine it may be typesetting the demo's
    /// documents first); notices without a code are skipped.
    pub async fn sms_code(&self, phone: &str, nth: usize) -> String {
        self.sms_code_within(phone, nth, Duration::from_secs(30))
            .await
    }

    /// [`TestApp::sms_code`], waiting at most `wait`.
    pub async fn sms_code_within(&self, phone: &str, nth: usize, wait: Duration) -> String {
        let deadline = Instant::now() + wait;
        loop {
            let codes: Vec<String> = self
                .sms
                .lock()
                .unwrap()
                .iter()
                .filter(|m| m["to"] == phone)
                .filter_map(|m| m["text"].as_str().map(code_in))
                .filter(|c| !c.is_empty())
                .collect();
            if let Some(c) = codes.get(nth) {
                return c.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no SMS #{nth} to {phone}: {:?}",
                self.sms.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let res = self
            .client
            .post(format!("{}{path}", self.api))
            .json(&body)
            .send()
            .await
            .unwrap();
        status_json(res).await
    }

    pub async fn with_token(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.api))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        status_json(req.send().await.unwrap()).await
    }

    /// Registers with a phone, confirms the code and logs in; returns the bearer token.
    pub async fn applicant(
        &self,
        phone: &str,
        surname: &str,
        given: &str,
        patronymic: Option<&str>,
    ) -> String {
        let password = "Zelenyj-Slon-1985";
        let (status, reg) = self
            .post(
                "/accounts",
                json!({"surname": surname, "given_name": given, "patronymic": patronymic, "phone": phone, "password": password}),
            )
            .await;
        assert_eq!(status, 201, "{reg}");
        let code = self.sms_code(phone, 0).await;
        let ch = reg["challenge_id"].as_str().unwrap();
        let (status, body) = self
            .post(
                &format!("/accounts/confirmations/{ch}"),
                json!({"code": code}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        self.login(phone, password).await
    }

    pub async fn login(&self, login: &str, password: &str) -> String {
        let (status, body) = self
            .post("/sessions", json!({"login": login, "password": password}))
            .await;
        assert_eq!(status, 201, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    /// Polls the identity state until it leaves "pending".
    pub async fn identity_settled(&self, token: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let (status, body) = self
                .with_token(reqwest::Method::GET, "/me/identity", token, None)
                .await;
            assert_eq!(status, 200, "{body}");
            if body["state"] != "pending" {
                return body;
            }
            assert!(Instant::now() < deadline, "identity still pending: {body}");
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }

    pub async fn stop(self) {
        self.running.stop().await;
        drop(self.db);
    }
}

pub async fn status_json(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, value)
}

/// The six-digit code inside a message text.
pub fn code_in(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap_or_default()
        .to_owned()
}

/// Waits (up to 10 s) until `done` holds, else fails saying `what`.
pub async fn eventually<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done().await {
        assert!(Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

/// Runs a test body on every configured backend.
pub async fn each_backend<F, Fut>(test: F)
where
    F: Fn(&'static str) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for backend in store::testing::backends() {
        eprintln!("--- on {backend}");
        test(backend).await;
    }
}

pub fn citizen_identity() -> Value {
    json!({
        "citizenship": "russian",
        "surname": "Иванов", "given_name": "Иван", "patronymic": "Иванович",
        "birth_date": "14.03.1985", "snils": "112-233-445 95",
        "passport": "45 10 123456", "passport_issued_on": "20.04.2015", "office_code": "770-001",
    })
}

/// Runs SQL on the test database directly, to simulate what only time or a
/// crash can do (an expired code).
pub async fn sql(db_url: &str, statement: &str) {
    use sqlx::Connection;
    if db_url.starts_with("sqlite") {
        let mut c = sqlx::SqliteConnection::connect(db_url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(statement.to_owned()))
            .execute(&mut c)
            .await
            .unwrap();
    } else {
        let mut c = sqlx::PgConnection::connect(db_url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(statement.to_owned()))
            .execute(&mut c)
            .await
            .unwrap();
    }
}

/// Pays an application's due fee as a confirmed provider payment would,
/// through the store's own path (for tests about what comes after paying).
pub async fn pay_fee(app: &TestApp, application: &str) {
    use store::{ChargeStatus, NewPayment, Settled, Settlement};
    let id = uuid::Uuid::parse_str(application).unwrap();
    let s = &app.running.store;
    let now = app::system_clock();
    for c in s.charges_of(id).await.unwrap() {
        if c.status != ChargeStatus::Due {
            continue;
        }
        let payment = uuid::Uuid::now_v7();
        let new = NewPayment {
            id: payment,
            uin: c.uin.clone(),
            account_id: c.account_id,
        };
        s.start_payment(new, vec![], None, now).await.unwrap();
        let settled = Settlement {
            payment_id: payment,
            paid_kopecks: Some(c.portal_kopecks),
            callback: None,
            on_paid: vec![],
            on_refund: vec![],
        };
        let out = s.settle_payment(settled, now).await.unwrap();
        assert!(matches!(out, Settled::Paid { .. }), "{out:?}");
    }
}

/// A TCP proxy in front of a service that can be cut and restored, as a
/// network fault: while cut, each connection is closed at once (a host
/// that is down); while up, bytes pass both ways.
pub struct Cuttable {
    pub url: String,
    up: Arc<std::sync::atomic::AtomicBool>,
    hang: Arc<std::sync::atomic::AtomicBool>,
}

impl Cuttable {
    /// Must be called within the tests' runtime.
    pub fn new(target_url: &str) -> Self {
        use std::sync::atomic::{AtomicBool, Ordering};
        let rest = target_url.trim_start_matches("http://");
        let (target, path) = rest.split_once('/').map_or((rest, ""), |(t, p)| (t, p));
        let target = target.to_owned();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        // The same path on the proxy's address.
        let url = format!("http://{}/{path}", listener.local_addr().unwrap());
        let url = url.trim_end_matches('/').to_owned();
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let hang = Arc::new(AtomicBool::new(false));
        let (flag, hanging) = (up.clone(), hang.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if hanging.load(Ordering::SeqCst) {
                    // Takes the request and never answers (a hung host).
                    tokio::spawn(async move {
                        tokio::time::sleep(Duration::from_secs(600)).await;
                        drop(inbound);
                    });
                    continue;
                }
                if !flag.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let target = target.clone();
                tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Self { url, up, hang }
    }

    pub fn set_up(&self, up: bool) {
        self.up.store(up, std::sync::atomic::Ordering::SeqCst);
    }

    /// While on, connections are taken and never answered.
    pub fn set_hanging(&self, hang: bool) {
        self.hang.store(hang, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The first column of the first row of `query`, as text (NULL: empty).
pub async fn scalar(db_url: &str, query: &str) -> String {
    use sqlx::{Connection, Row};
    let q = sqlx::AssertSqlSafe(format!("SELECT CAST(({query}) AS TEXT)"));
    let value: Option<String> = if db_url.starts_with("sqlite") {
        let mut c = sqlx::SqliteConnection::connect(db_url).await.unwrap();
        sqlx::query(q).fetch_one(&mut c).await.unwrap().get(0)
    } else {
        let mut c = sqlx::PgConnection::connect(db_url).await.unwrap();
        sqlx::query(q).fetch_one(&mut c).await.unwrap().get(0)
    };
    value.unwrap_or_default()
}
