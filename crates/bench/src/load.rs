//! `migportal-bench load`: the portal under load over HTTP, as clients meet
//! it. It starts the portal itself on loopback (a fresh SQLite database in a
//! temporary directory, or a fresh PostgreSQL database when
//! `MIGPORTAL_TEST_POSTGRES_URL` is set and `--postgres` given) with its demo
//! data, signs the demo applicant in, then runs each scenario for a bounded
//! time with a number of clients at once and prints throughput and latency.
//!
//! Scenarios: `me` (a session look-up and an account read), `status` (one
//! application as its owner reads it), `list` (the owner's applications),
//! `availability` (a month of an office's free times), `submit` (create a
//! draft, save its answers, send it: three requests, timed together).
//! Not yet: the officer's queue and booking (they need staff sessions and
//! accepted applications prepared in bulk).

use anyhow::{Context, anyhow};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::testing::TestDb;

const SCENARIOS: [&str; 5] = ["me", "status", "list", "availability", "submit"];

/// What one run is asked to do.
pub struct Options {
    pub seconds: u64,
    pub clients: usize,
    pub postgres: bool,
    pub only: Option<String>,
}

/// What the clients share: the address, the applicant's token, the ids
/// the reads use, and the answers a submission sends.
struct Target {
    http: reqwest::Client,
    api: String,
    token: String,
    application: String,
    office: String,
    answers: Value,
}

pub async fn run(o: Options) -> anyhow::Result<()> {
    let db = TestDb::new(if o.postgres { "postgres" } else { "sqlite" })
        .await
        .map_err(|e| anyhow!("{e} (set {})", store::testing::POSTGRES_ENV))?;
    let dir = std::env::temp_dir().join(format!("migportal-load-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;
    let config = migportal::Config {
        listen: "127.0.0.1:0".into(),
        database_url: db.url.clone(),
        demo: true,
        vault: migportal::config::VaultConfig {
            key_id: "load".into(),
            key: Some(hex_key()),
            ..Default::default()
        },
        audit_checkpoint_file: dir.join("checkpoints.jsonl").display().to_string(),
        attachments_dir: dir.join("attachments").display().to_string(),
        seeded_addresses: Some(true),
        // One address signs in and sends many requests a second.
        entrance_per_minute: 1_000_000,
        entrance_burst: 1_000_000,
        ..migportal::Config::default()
    };
    let vault = migportal::wiring::vault(&config)?;
    let running = migportal::start(config, vault, migportal::StartOptions::default()).await?;
    let result = drive(&running.url(), &o).await;
    running.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn hex_key() -> String {
    rand::random::<[u8; 32]>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn drive(base: &str, o: &Options) -> anyhow::Result<()> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(o.clients.max(1))
        .build()?;
    let api = format!("{base}/api/v1");
    let login = json!({"login": migportal::demo::LOGINS[0].login, "password": migportal::demo::LOGINS[0].password});
    let res = http
        .post(format!("{api}/sessions"))
        .json(&login)
        .send()
        .await?;
    let status = res.status();
    let body: Value = res.json().await?;
    let token = body["token"]
        .as_str()
        .with_context(|| format!("the demo applicant cannot sign in: {status} {body}"))?
        .to_owned();
    let get = |path: String| {
        let (http, token) = (http.clone(), token.clone());
        async move {
            let v: Value = http
                .get(path)
                .bearer_auth(token)
                .send()
                .await?
                .json()
                .await?;
            anyhow::Ok(v)
        }
    };
    let list = get(format!("{api}/applications")).await?;
    let application = list["items"][0]["id"]
        .as_str()
        .context("the demo applicant has no application")?
        .to_owned();
    let offices = get(format!("{api}/offices")).await?;
    let office = offices["offices"]
        .as_array()
        .and_then(|a| a.first())
        .and_then(|o| o["id"].as_str())
        .context("no office")?
        .to_owned();
    let catalogue = app::catalogue::Catalogue::builtin()?;
    let answers = catalogue
        .example(SUBMITTED, app::today(app::system_clock()))
        .context("no example answers")?;
    let target = Arc::new(Target {
        http,
        api,
        token,
        application,
        office,
        answers,
    });
    println!(
        "load: {} clients, {} s per scenario, on {}",
        o.clients,
        o.seconds,
        if o.postgres { "PostgreSQL" } else { "SQLite" }
    );
    let mut failing = Vec::new();
    for scenario in SCENARIOS {
        if o.only
            .as_deref()
            .is_some_and(|only| !only.split(',').any(|s| s == scenario))
        {
            continue;
        }
        let (report, ok) = scenario_run(&target, scenario, o).await;
        println!("{scenario:>13}: {report}");
        if !ok {
            failing.push(scenario);
        }
    }
    // A load run is also a check: any refused or lost request fails it.
    if failing.is_empty() {
        Ok(())
    } else {
        Err(anyhow!("requests failed in: {}", failing.join(", ")))
    }
}

/// The service the `submit` scenario applies for: free, no visit, open to
/// anyone signed in, any number at a time.
const SUBMITTED: &str = "address-reference";

/// The scenario's report line, and whether every request succeeded.
async fn scenario_run(t: &Arc<Target>, scenario: &'static str, o: &Options) -> (String, bool) {
    let until = Instant::now() + Duration::from_secs(o.seconds);
    let started = Instant::now();
    let mut clients = Vec::new();
    for client in 0..o.clients.max(1) {
        let t = t.clone();
        clients.push(tokio::spawn(async move {
            let mut took = Vec::new();
            let mut failed: BTreeMap<String, usize> = BTreeMap::new();
            let mut n = 0u64;
            while Instant::now() < until {
                n += 1;
                let at = Instant::now();
                match once(&t, scenario, client, n).await {
                    Ok(()) => took.push(at.elapsed()),
                    Err(why) => *failed.entry(why).or_default() += 1,
                }
            }
            (took, failed)
        }));
    }
    let mut took = Vec::new();
    let mut failed: BTreeMap<String, usize> = BTreeMap::new();
    for c in clients {
        if let Ok((t, f)) = c.await {
            took.extend(t);
            for (why, n) in f {
                *failed.entry(why).or_default() += n;
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let done = took.len();
    let mut line = format!(
        "{done} done, {:.0}/s, {}",
        done as f64 / secs.max(f64::EPSILON),
        crate::summary(took)
    );
    if !failed.is_empty() {
        line.push_str(&format!("; failed: {failed:?}"));
    }
    if let Some(rss) = rss_kib() {
        line.push_str(&format!("; process RSS {} MB", rss / 1024));
    }
    let ok = failed.is_empty() && done > 0;
    (line, ok)
}

/// One request (or, for `submit`, one submission) of a scenario; an error
/// says what went wrong in a few words, to be counted.
async fn once(t: &Target, scenario: &str, client: usize, n: u64) -> Result<(), String> {
    let api = &t.api;
    match scenario {
        "me" => read(t, format!("{api}/me")).await,
        "status" => read(t, format!("{api}/applications/{}", t.application)).await,
        "list" => read(t, format!("{api}/applications")).await,
        "availability" => {
            let from = app::today(app::system_clock());
            let to = from + time::Duration::days(30);
            read(
                t,
                format!(
                    "{api}/offices/{}/availability?from={from}&to={to}",
                    t.office
                ),
            )
            .await
        }
        "submit" => submit(t, client, n).await,
        other => Err(format!("unknown scenario {other}")),
    }
}

async fn read(t: &Target, url: String) -> Result<(), String> {
    let res = t
        .http
        .get(url)
        .bearer_auth(&t.token)
        .send()
        .await
        .map_err(|e| format!("send: {e}"))?;
    let status = res.status();
    // The body is read in full, as a client does.
    res.bytes().await.map_err(|e| format!("read: {e}"))?;
    if status.as_u16() == 200 {
        Ok(())
    } else {
        Err(status.to_string())
    }
}

async fn submit(t: &Target, client: usize, n: u64) -> Result<(), String> {
    let api = &t.api;
    let send = |req: reqwest::RequestBuilder| async move {
        let res = req
            .bearer_auth(&t.token)
            .send()
            .await
            .map_err(|e| format!("send: {e}"))?;
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            Ok(body)
        } else {
            Err(format!(
                "{status} {}",
                body["code"].as_str().unwrap_or_default()
            ))
        }
    };
    let draft = send(
        t.http
            .post(format!("{api}/applications"))
            .json(&json!({"service": SUBMITTED})),
    )
    .await?;
    let id = draft["id"].as_str().ok_or("no id")?.to_owned();
    let version = draft["version"].as_i64().ok_or("no version")?;
    send(
        t.http
            .put(format!("{api}/applications/{id}"))
            .header("If-Match", format!("\"{version}\""))
            .json(&json!({"answers": t.answers})),
    )
    .await?;
    send(
        t.http
            .post(format!("{api}/applications/{id}/submit"))
            .header("Idempotency-Key", format!("load-{client}-{n}-{id}")),
    )
    .await?;
    Ok(())
}

/// The resident memory of this process (the portal and the load both), in KiB.
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
