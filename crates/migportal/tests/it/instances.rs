//! Two `migportal serve` processes on one PostgreSQL: each outbox job is
//! handled once, and a job whose instance is killed mid-way is finished by
//! another after its lease.

use crate::support::*;
use domain::identifiers::{PassportRf, Snils};
use registries::sim::{DocStatus, Faults, SimPassport, SimPerson};
use reqwest::Method;
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use store::testing::{TestDb, backends};

pub(crate) struct Instance {
    child: Child,
    pub(crate) url: String,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn spawn(db_url: &str, registry_url: &str, sms_url: &str) -> Instance {
    spawn_logging(db_url, registry_url, sms_url, "warn", None)
}

/// [`spawn`] with `RUST_LOG` set to `log`; with `lines`, every line the
/// process writes (stdout and stderr) is kept there.
pub(crate) fn spawn_logging(
    db_url: &str,
    registry_url: &str,
    sms_url: &str,
    log: &str,
    lines: Option<std::sync::Arc<std::sync::Mutex<Vec<String>>>>,
) -> Instance {
    let mut child = Command::new(env!("CARGO_BIN_EXE_migportal"))
        .arg("serve")
        .env("MIGPORTAL_DATABASE_URL", db_url)
        .env("MIGPORTAL_LISTEN", "127.0.0.1:0")
        .env("MIGPORTAL_DEMO", "false")
        .env("MIGPORTAL_MIGRATE_ON_START", "false")
        .env("MIGPORTAL_VAULT_KEY", KEY)
        .env("MIGPORTAL_REGISTRIES_URL", registry_url)
        .env("MIGPORTAL_REGISTRIES_TOKEN", SIM_TOKEN)
        .env("MIGPORTAL_SMS_URL", sms_url)
        .env("MIGPORTAL_SMS_TOKEN", "t")
        .env("MIGPORTAL_JOB_LEASE_SECONDS", "8")
        .env("MIGPORTAL_AUDIT_CHECKPOINT_FILE", "")
        .env("MIGPORTAL_ENTRANCE_PER_MINUTE", "1000000")
        .env("MIGPORTAL_ENTRANCE_BURST", "1000000")
        .env("RUST_LOG", log)
        .stdout(Stdio::piped())
        .stderr(if lines.is_some() {
            Stdio::piped()
        } else {
            Stdio::inherit()
        })
        .spawn()
        .expect("start migportal serve");
    let stdout = child.stdout.take().expect("stdout");
    if let (Some(stderr), Some(kept)) = (child.stderr.take(), lines.clone()) {
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                kept.lock().unwrap().push(line);
            }
        });
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line.trim().strip_prefix("migportal is serving at ") {
                let _ = tx.send(url.to_owned());
            }
            if let Some(kept) = &lines {
                kept.lock().unwrap().push(line);
            }
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the instance printed its URL");
    Instance { child, url }
}

fn person(i: u32) -> (SimPerson, serde_json::Value) {
    let snils = Snils::with_checksum(&format!("{:09}", 300_000_000 + i * 7919)).unwrap();
    let passport = PassportRf::from_parts("4520", &format!("{:06}", 500_000 + i)).unwrap();
    let sim = SimPerson {
        surname: "Тестов".into(),
        given_name: format!(
            "Тест{}",
            ["а", "б", "в", "г", "д", "е", "ж", "з"][i as usize % 8]
        ),
        patronymic: None,
        birth_date: "1990-01-01".into(),
        snils: Some(snils.as_digits().into()),
        inn: None,
        passport: Some(SimPassport {
            series: passport.series().into(),
            number: passport.number().into(),
            issued_on: "2010-02-01".into(),
            office_code: "770-001".into(),
            status: DocStatus::Valid,
        }),
        foreign: None,
    };
    let form = json!({
        "citizenship": "russian", "surname": sim.surname, "given_name": sim.given_name,
        "birth_date": "01.01.1990", "snils": snils.to_string(),
        "passport": passport.to_string(), "passport_issued_on": "01.02.2010", "office_code": "770-001"
    });
    (sim, form)
}

async fn applicant(
    api: &str,
    phone: &str,
    given: &str,
    db: &std::sync::Arc<dyn store::Store>,
) -> String {
    let hash = app::credentials::password::hash(
        "Zelenyj-Slon-1985".into(),
        web::PasswordCost {
            memory_kib: 256,
            iterations: 1,
            parallelism: 1,
        },
    )
    .await
    .unwrap();
    db.create_account(
        store::NewAccount {
            id: uuid::Uuid::now_v7(),
            surname: "Тестов".into(),
            given_name: given.into(),
            patronymic: None,
            phone: Some(phone.into()),
            email: None,
            password_hash: hash,
            status: domain::account::AccountStatus::Active,
            level: domain::account::AssuranceLevel::Simplified,
            role: domain::account::Role::Applicant,
            office_id: None,
            lang: "ru".into(),
        },
        None,
        1,
    )
    .await
    .unwrap();
    let res = reqwest::Client::new()
        .post(format!("{api}/sessions"))
        .json(&json!({"login": phone, "password": "Zelenyj-Slon-1985"}))
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(res).await;
    assert_eq!(status, 201, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

async fn put_identity(api: &str, token: &str, form: serde_json::Value) {
    let res = reqwest::Client::new()
        .request(Method::PUT, format!("{api}/me/identity"))
        .bearer_auth(token)
        .json(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 202);
}

async fn state_of(api: &str, token: &str) -> String {
    let res = reqwest::Client::new()
        .get(format!("{api}/me/identity"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let (_, body) = status_json(res).await;
    body["state"].as_str().unwrap_or_default().to_owned()
}

async fn verify_jobs(pg: &sqlx::PgPool) -> Vec<(i64, Option<String>)> {
    use sqlx::Row;
    sqlx::query(
        "SELECT attempts, outcome FROM jobs WHERE kind = 'verify_identity' ORDER BY created_at, id",
    )
    .fetch_all(pg)
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get("attempts"), r.get("outcome")))
    .collect()
}

#[tokio::test]
async fn two_instances_share_the_outbox_and_recover_a_killed_one() {
    if !backends().contains(&"postgres") {
        eprintln!("two_instances_share_the_outbox: needs MIGPORTAL_TEST_POSTGRES_URL; skipped");
        return;
    }
    let db = TestDb::new("postgres").await.unwrap();
    let store = store::connect(&db.url, true, store::audit::AuditKey::derive(b"test"))
        .await
        .unwrap();
    let pg = sqlx::PgPool::connect(&db.url).await.unwrap();
    let (registry_url, sim) = registry().await;
    let sms_url = {
        let app = axum::Router::new().route("/send", axum::routing::post(|| async { "ok" }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/send", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    };
    let a = spawn(&db.url, &registry_url, &sms_url);
    let b = spawn(&db.url, &registry_url, &sms_url);
    let apis = [format!("{}/api/v1", a.url), format!("{}/api/v1", b.url)];

    // Normal case: checks submitted through both instances, handled once each.
    let n = 8u32;
    let mut tokens = Vec::new();
    for i in 0..n {
        let (p, form) = person(i);
        sim.add_person(p).unwrap();
        let api = &apis[i as usize % 2];
        let token = applicant(
            api,
            &format!("+7916700{:04}", i),
            form["given_name"].as_str().unwrap(),
            &store,
        )
        .await;
        put_identity(api, &token, form).await;
        tokens.push((api.clone(), token));
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    for (api, token) in &tokens {
        while state_of(api, token).await != "verified" {
            assert!(Instant::now() < deadline, "not all checks finished");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    while verify_jobs(&pg).await.iter().any(|j| j.1.is_none()) {
        assert!(Instant::now() < deadline, "jobs never marked done");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let jobs = verify_jobs(&pg).await;
    assert_eq!(jobs.len(), n as usize);
    assert!(
        jobs.iter().all(|j| *j == (1, Some("done".into()))),
        "each job once: {jobs:?}"
    );
    assert_eq!(
        sim.requests(),
        u64::from(n) * 2,
        "passport + SNILS per check, nothing twice"
    );

    // Crash case: only A runs; it is killed while the registry is answering.
    drop(b);
    // Each registry call takes 1 s: a check (two calls) fits well in the 8 s lease,
    // even on a loaded CI machine.
    sim.set_faults(Faults {
        delay_ms: 1_000,
        unavailable: false,
    });
    let (p, form) = person(100);
    sim.add_person(p).unwrap();
    let token = applicant(
        &apis[0],
        "+79167009999",
        form["given_name"].as_str().unwrap(),
        &store,
    )
    .await;
    let before = sim.requests();
    put_identity(&apis[0], &token, form).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while sim.requests() == before {
        assert!(Instant::now() < deadline, "A never started the check");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(a); // SIGKILL mid-job: the lease stays in the database.
    let c = spawn(&db.url, &registry_url, &sms_url);
    let api_c = format!("{}/api/v1", c.url);
    let deadline = Instant::now() + Duration::from_secs(40);
    while state_of(&api_c, &token).await != "verified" {
        assert!(
            Instant::now() < deadline,
            "the killed instance's job was never recovered"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The job is marked done just after the state changes.
    let deadline = Instant::now() + Duration::from_secs(10);
    while verify_jobs(&pg)
        .await
        .last()
        .and_then(|j| j.1.clone())
        .is_none()
    {
        assert!(Instant::now() < deadline, "the job was never marked done");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let jobs = verify_jobs(&pg).await;
    assert_eq!(
        jobs.last(),
        Some(&(2, Some("done".into()))),
        "claimed by A, finished by C: {jobs:?}"
    );
    drop(c);
    pg.close().await;
}

/// SIGTERM: the instance stops accepting, finishes the job in flight, exits 0.
#[tokio::test]
async fn sigterm_finishes_work_in_flight() {
    let db = TestDb::new("sqlite").await.unwrap();
    let store = store::connect(&db.url, true, store::audit::AuditKey::derive(b"test"))
        .await
        .unwrap();
    let (registry_url, sim) = registry().await;
    let mut a = spawn(&db.url, &registry_url, "http://127.0.0.1:9/unused");
    let api = format!("{}/api/v1", a.url);
    let (p, form) = person(7);
    sim.add_person(p).unwrap();
    let token = applicant(
        &api,
        "+79167008888",
        form["given_name"].as_str().unwrap(),
        &store,
    )
    .await;
    sim.set_faults(Faults {
        delay_ms: 1_000,
        unavailable: false,
    });
    put_identity(&api, &token, form).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while sim.requests() == 0 {
        assert!(Instant::now() < deadline, "the check never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let pid = a.child.id().to_string();
    let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(s) = a.child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "no exit after SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "exit status {exit:?}");
    let account = store
        .find_auth(&store::LoginLookup::Phone("+79167008888".into()))
        .await
        .unwrap()
        .unwrap();
    let identity = store.get_identity(account.id).await.unwrap().unwrap();
    assert_eq!(
        identity.state,
        domain::account::VerificationState::Verified,
        "the job in flight was finished"
    );
}

/// `migportal audit verify` on an intact log, then on one edited in the database.
#[tokio::test]
async fn audit_verify_names_the_altered_entry() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await;
        let _ = app.applicant("+79160005555", "Аудитов", "Пётр", None).await;
        let checkpoints = std::env::temp_dir()
            .join(format!("cp-{}.jsonl", uuid::Uuid::new_v4()))
            .display()
            .to_string();
        let run = || {
            Command::new(env!("CARGO_BIN_EXE_migportal"))
                .args(["audit", "verify"])
                .env("MIGPORTAL_DATABASE_URL", &app.db.url)
                .env("MIGPORTAL_VAULT_KEY", KEY)
                .env("MIGPORTAL_VAULT_KEY_ID", "k1")
                .env("MIGPORTAL_DEMO", "true")
                .env("MIGPORTAL_AUDIT_CHECKPOINT_FILE", &checkpoints)
                .env("MIGPORTAL_MIGRATE_ON_START", "false")
                .env("RUST_LOG", "error")
                .output()
                .unwrap()
        };
        let ok = run();
        assert!(ok.status.success(), "{ok:?}");
        assert!(
            String::from_utf8_lossy(&ok.stdout).contains("audit log intact: 3 entries"),
            "{ok:?}"
        );
        // Someone with full access to the database drops the guard first.
        if backend == "sqlite" {
            sql(&app.db.url, "DROP TRIGGER audit_events_no_update").await;
        } else {
            sql(&app.db.url, "ALTER TABLE audit_events DISABLE TRIGGER USER").await;
        }
        // The second event in time, wherever its lane.
        let events = app
            .running
            .store
            .search_audit(&store::AuditFilter::default(), 10)
            .await
            .unwrap();
        let second = &events[events.len() - 2];
        sql(
            &app.db.url,
            &format!(
                "UPDATE audit_events SET actor_id = NULL WHERE lane = {} AND seq = {}",
                second.lane, second.seq
            ),
        )
        .await;
        let bad = run();
        assert_eq!(bad.status.code(), Some(1));
        let out = String::from_utf8_lossy(&bad.stdout);
        assert!(
            out.contains(&format!(
                "BROKEN at entry #{} of lane {} ({})",
                second.seq, second.lane, second.id
            )) && out.contains("content altered"),
            "{out}"
        );
        app.stop().await;
    }
}
