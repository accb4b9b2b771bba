//! Notifications exactly once (issue 17, item 8), with real parts: the
//! portal's worker in its own process, killed with SIGKILL while it waits
//! for a real SMTP server (aiosmtpd) to answer, and a second worker that
//! takes over when the first one's lease runs out.

use crate::applications::{call, confirmed_sidorov};
use crate::staff::staff_token;
use crate::support::*;
use reqwest::Method;
use serde_json::json;
use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "../../../notify/tests/support/mod.rs"]
#[allow(dead_code)]
mod mail;

const SIDOROV: &str = "sidorov@example.test";

/// `migportal serve` as a worker of the test's database (its HTTP side is
/// not used), mailing through `smtp_port`; leases of 2 s.
pub(crate) fn worker(app: &TestApp, smtp_port: u16) -> Child {
    let config =
        std::env::temp_dir().join(format!("migportal-worker-{}.toml", uuid::Uuid::new_v4()));
    std::fs::write(
        &config,
        format!(
            "[smtp]\nhost = \"127.0.0.1\"\nport = {smtp_port}\ntls = \"none\"\n\
             from = \"Миграционный портал <noreply@migportal.test>\"\n"
        ),
    )
    .unwrap();
    let log = std::fs::File::create(config.with_extension("log")).unwrap();
    Command::new(env!("CARGO_BIN_EXE_migportal"))
        .arg("serve")
        .env("MIGPORTAL_CONFIG", &config)
        .env("MIGPORTAL_DATABASE_URL", &app.db.url)
        .env("MIGPORTAL_MIGRATE_ON_START", "false")
        .env("MIGPORTAL_LISTEN", "127.0.0.1:0")
        .env("MIGPORTAL_VAULT_KEY", KEY)
        .env("MIGPORTAL_VAULT_KEY_ID", "k1")
        .env("MIGPORTAL_REGISTRIES_URL", &app.running.registry_url)
        .env("MIGPORTAL_REGISTRIES_TOKEN", SIM_TOKEN)
        .env("MIGPORTAL_SMS_URL", &app.sms_url)
        .env("MIGPORTAL_SMS_TOKEN", "sms-token")
        .env("MIGPORTAL_JOB_LEASE_SECONDS", "2")
        .env(
            "MIGPORTAL_AUDIT_CHECKPOINT_FILE",
            config.with_extension("checkpoints"),
        )
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap()
}

/// The messages about applications to `to` in the maildir (its other
/// notices, such as the identity check's, may arrive late too): Message-ID
/// and the text.
fn mailed_to(server: &mail::SmtpServer, to: &str) -> Vec<(String, String)> {
    server
        .delivered()
        .iter()
        .map(|f| (std::fs::read_to_string(f).unwrap(), mail::parse_mail(f)))
        .filter(|(_, m)| m.to.contains(to) && m.body.contains("Заявление"))
        .map(|(raw, m)| {
            let id = raw
                .lines()
                .find_map(|l| l.strip_prefix("Message-ID: "))
                .unwrap_or_default()
                .to_owned();
            (id, m.body)
        })
        .collect()
}

async fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn each_status_change_is_mailed_once_through_a_dead_smtp_server_and_a_killed_worker() {
    if !mail::SmtpServer::available() {
        return;
    }
    each_backend(|backend| async move {
        // The portal serves without a worker: the worker is a process to kill.
        let app = TestApp::spawn_config(backend, true, |c| c.run_worker = false).await;
        let smtp_port = mail::free_port();
        let mut first = worker(&app, smtp_port);
        let staff = staff_token(&app, "officer@demo.migportal.ru", "Demo-Officer-2026")
            .await
            .0;
        let citizen = confirmed_sidorov(&app, "+79161112233").await;
        sql(
            &app.db.url,
            &format!("UPDATE accounts SET email = '{SIDOROV}' WHERE phone = '+79161112233'"),
        )
        .await;

        // The SMTP server is down while the application is sent and moved
        // three times by the office.
        let id = crate::lifecycle::sent(&app, &citizen, "passport-foreign-old").await;
        crate::support::pay_fee(&app, &id).await;
        let mut version = 0;
        for (step, body) in [
            ("accept", json!({})),
            ("invite", json!({"visit": "v1"})),
            ("visit-missed", json!({})),
        ] {
            let (_, _, case) = call(&app, Method::GET, &format!("/office/applications/{id}"), &staff, &[], None).await;
            let mut body = body;
            body["version"] = case["version"].clone();
            let (status, _, after) = call(&app, Method::POST, &format!("/office/applications/{id}/{step}"), &staff, &[], Some(body)).await;
            assert_eq!(status, 200, "{step}: {after}");
            version = after["version"].as_i64().unwrap();
        }
        assert!(version > 0);
        // Let the worker fail against the closed port at least once.
        tokio::time::sleep(Duration::from_millis(1500)).await;

        // The server comes back but holds the first message it gets: the
        // worker waits for its answer, and is killed while it waits.
        let server = mail::SmtpServer::start_holding_on(smtp_port)
            .await
            .expect("aiosmtpd is available");
        wait_for("a worker to be mid-send", Duration::from_secs(30), || server.holds_one()).await;
        first.kill().unwrap();
        first.wait().unwrap();
        server.release();
        assert!(mailed_to(&server, SIDOROV).is_empty());

        // A new worker takes the dead one's jobs when their lease runs out.
        let mut second = worker(&app, smtp_port);
        wait_for("four messages to Sidorov", Duration::from_secs(60), || {
            mailed_to(&server, SIDOROV).len() >= 4
        })
        .await;
        // Nothing more arrives: each event mailed exactly once.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let mails = mailed_to(&server, SIDOROV);
        let ids: std::collections::BTreeSet<&String> = mails.iter().map(|(id, _)| id).collect();
        assert_eq!((mails.len(), ids.len()), (4, 4), "{mails:?}");
        let mut told: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, body) in &mails {
            let what = if body.contains("отправлено в ведомство") {
                "submitted"
            } else if body.contains("принято ведомством") {
                "accepted"
            } else if body.contains("вас ждут в ведомстве") {
                "invited"
            } else {
                "other"
            };
            *told.entry(what).or_default() += 1;
        }
        // Accepted twice: first by the office, then again after the missed visit.
        assert_eq!(
            told,
            BTreeMap::from([("accepted", 2), ("invited", 1), ("submitted", 1)]),
            "{mails:?}"
        );

        // A worker that died after the send but before it marked the job
        // done: the job runs again, finds the delivery recorded, sends nothing.
        let everything = server.delivered().len();
        let before = app.running.store.job_stats().await.unwrap().pending;
        sql(
            &app.db.url,
            "UPDATE jobs SET done_at = NULL, outcome = NULL, locked_until = NULL, locked_by = NULL, \
             attempts = 0, run_at = 0 WHERE kind = 'notify' AND payload LIKE '%\"channel\":\"email\"%'",
        )
        .await;
        let deadline = Instant::now() + Duration::from_secs(30);
        while app.running.store.job_stats().await.unwrap().pending > before {
            assert!(Instant::now() < deadline, "the reopened jobs did not run");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(server.delivered().len(), everything, "a delivered message was sent again");
        second.kill().unwrap();
        second.wait().unwrap();
        app.stop().await;
    })
    .await;
}

/// A person who chose English gets their notices in English.
#[tokio::test]
async fn notices_are_written_in_the_language_the_person_chose() {
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let staff = crate::lifecycle::office(&app).await;
        let citizen = confirmed_sidorov(&app, "+79161112233").await;
        let id = crate::lifecycle::sent(&app, &citizen, "passport-internal").await;
        // The switch, signed in (the browser's session cookie).
        let browser = app.browser_with_session(&citizen);
        let res = browser
            .get(format!("{}/lang/en?back=/applications", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 303);
        let (_, c) = crate::lifecycle::case(&app, &staff.moscow, &id).await;
        let (status, _) = crate::lifecycle::act(
            &app,
            &staff.moscow,
            &id,
            "accept",
            json!({"version": c["version"]}),
        )
        .await;
        assert_eq!(status, 200);
        eventually("the SMS in English", || async {
            app.sms.lock().unwrap().iter().any(|m| {
                m["to"] == "+79161112233"
                    && m["text"]
                        .as_str()
                        .is_some_and(|t| t.contains("accepted by the office"))
            })
        })
        .await;
        app.stop().await;
    })
    .await;
}
