//! `migportal-bench crash`: kill -9 the portal under a steady load of
//! submissions, start it again, and prove from the database that nothing
//! acknowledged was lost or done twice (issue 22, item 1). With
//! `--restart-postgres` the fault is the database instead: PostgreSQL is
//! restarted in immediate mode (its processes stop at once, as in a
//! crash, and it recovers from its WAL) while the portal keeps running.
//!
//! Each client, as its own applicant, makes drafts and sends them (each
//! draft and submission with an `Idempotency-Key`); a request that meets a dead portal
//! (refused, reset, cut off) is sent again, with the same key, until it is
//! answered. Meanwhile the portal process is killed with SIGKILL at even
//! intervals and started again on the same database (its worker with it).
//! Afterwards, with the worker caught up:
//! - every acknowledged submission is `submitted` with the number it was
//!   answered with, one `submitted` history event, one receipt, one audit
//!   event, and its notice once in the mailbox;
//! - no application is half-changed (a number without its event, or the
//!   reverse), no draft is left over (made twice), no job is left due or
//!   failed for good, and each submission's notice was sent;
//! - every submission sent again with its key answers as the first time.

use crate::load::{Harness, Layout};
use anyhow::{Context, anyhow};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// A killed worker's jobs are taken again after this (60 s by default; a
/// deployment chooses it, `job_lease_seconds`).
const LEASE_SECONDS: i64 = 5;

pub struct Args {
    pub seconds: u64,
    pub clients: usize,
    pub kills: usize,
    pub postgres: bool,
    pub fault: Fault,
}

/// What is struck down during the run.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The portal's process, by SIGKILL, then started again.
    Portal,
    /// PostgreSQL, by `pg_ctlcluster … restart -m immediate` (Debian's
    /// tools, the cluster on port 5432); the portal stays up.
    Postgres,
}

/// What the clients got acknowledged: application id → the number
/// answered, the submission's key, and whose it is (an index of `people`).
type Acknowledged = BTreeMap<String, (String, String, usize)>;

pub async fn run(a: Args) -> anyhow::Result<()> {
    let name = if a.postgres { "PostgreSQL" } else { "SQLite" };
    let what = match a.fault {
        Fault::Portal => "the portal killed",
        Fault::Postgres => "PostgreSQL restarted (immediate)",
    };
    println!(
        "== crash on {name}: {} clients, {} s, {what} {} times",
        a.clients, a.seconds, a.kills
    );
    let mut portal = Harness::start(
        a.postgres,
        crate::load::people_for(a.clients),
        Layout {
            worker_apart: false,
            instances: 1,
            standby: None,
            job_lease_seconds: Some(LEASE_SECONDS),
        },
    )
    .await?;
    let result = drive(&mut portal, &a).await;
    portal.stop().await;
    result
}

async fn drive(portal: &mut Harness, a: &Args) -> anyhow::Result<()> {
    let o = crate::load::Options {
        seconds: a.seconds,
        clients: a.clients,
        postgres: a.postgres,
        only: Some("send".into()),
        worker_apart: false,
        instances: 1,
        standby: None,
    };
    let t = Arc::new(crate::load::Target::prepare(portal, &o).await?);
    // What preparing left to the worker (identity checks, their notices)
    // is done before the run, so all that follows is the run's own.
    crate::load::settle(&portal.store).await?;
    let since = app::system_clock();
    let api = Arc::new(RwLock::new(portal.api()));
    let deadline = Instant::now() + Duration::from_secs(a.seconds);
    let retried = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for client in 0..a.clients.max(1).min(t.people.len()) {
        let (t, api, retried) = (t.clone(), api.clone(), retried.clone());
        tasks.push(tokio::spawn(async move {
            client_loop(&t, &api, client, deadline, &retried).await
        }));
    }
    // The killer: evenly spread over the run.
    let every = Duration::from_secs(a.seconds) / u32::try_from(a.kills + 1)?;
    let mut killed = 0;
    for _ in 0..a.kills {
        tokio::time::sleep(every).await;
        let down = Instant::now();
        match a.fault {
            Fault::Portal => {
                portal.kill_and_restart().await?;
                if let Ok(mut g) = api.write() {
                    *g = portal.api();
                }
                println!(
                    "killed (SIGKILL) and started again in {:.1} s",
                    down.elapsed().as_secs_f64()
                );
            }
            Fault::Postgres => {
                restart_postgres().await?;
                println!(
                    "PostgreSQL restarted (immediate) and accepting in {:.1} s",
                    down.elapsed().as_secs_f64()
                );
            }
        }
        killed += 1;
    }
    let mut acknowledged = Acknowledged::new();
    for task in tasks {
        acknowledged.extend(
            task.await
                .map_err(|e| anyhow!("a client panicked: {e}"))??,
        );
    }
    let retried = retried.load(std::sync::atomic::Ordering::SeqCst);
    if let Some(pace) = crate::load::settle(&portal.store).await? {
        println!("{pace}");
    }
    let url = portal.db.url.clone();
    let resumed = outbox_resumed(&url).await?;
    println!(
        "the outbox resumed: the jobs in flight at the faults done {resumed:.1} s after the run \
         (lease {LEASE_SECONDS} s)"
    );
    let faults = match a.fault {
        Fault::Portal => "kills of the portal",
        Fault::Postgres => "restarts of PostgreSQL",
    };
    let found = verify(&url, since, &acknowledged).await?;
    let replayed = replay(&t, &portal.api(), &acknowledged).await?;
    let (line, once) = crate::load::exactly_once(&url, since).await?;
    println!(
        "{killed} {faults}; {} submissions acknowledged, {retried} requests sent again after \
         no answer or a 5xx; found afterwards: {found} exactly once, 0 lost, 0 doubled, none half-changed; \
         {replayed} answered again with the same key as the first time; {line}",
        acknowledged.len()
    );
    if !once {
        return Err(anyhow!(
            "a notice or a receipt is not there exactly once: {line}"
        ));
    }
    if acknowledged.is_empty() || killed == 0 || retried == 0 {
        return Err(anyhow!(
            "nothing was proven: no submission acknowledged, no kill, or no request cut by one"
        ));
    }
    Ok(())
}

/// Restarts the local PostgreSQL cluster on port 5432 in immediate mode
/// (no shutdown checkpoint: it recovers from its WAL, as after a crash)
/// and waits until it accepts connections again.
async fn restart_postgres() -> anyhow::Result<()> {
    let mut versions: Vec<String> = std::fs::read_dir("/etc/postgresql")
        .context("Debian's PostgreSQL clusters (/etc/postgresql)")?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    versions.sort();
    let version = versions
        .first()
        .ok_or_else(|| anyhow!("no cluster in /etc/postgresql"))?;
    let status = tokio::process::Command::new("pg_ctlcluster")
        .args([
            "--skip-systemctl-redirect",
            version,
            "main",
            "restart",
            "-m",
            "immediate",
        ])
        .status()
        .await
        .context("pg_ctlcluster")?;
    if !status.success() {
        return Err(anyhow!("pg_ctlcluster restart failed: {status}"));
    }
    let until = Instant::now() + Duration::from_secs(60);
    while tokio::net::TcpStream::connect("127.0.0.1:5432")
        .await
        .is_err()
    {
        if Instant::now() > until {
            return Err(anyhow!("PostgreSQL did not come back in 60 s"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// Drafts and sends until the deadline; each request sent again (same key)
/// until the portal answers it.
async fn client_loop(
    t: &crate::load::Target,
    api: &RwLock<String>,
    client: usize,
    deadline: Instant,
    retried: &std::sync::atomic::AtomicUsize,
) -> anyhow::Result<Acknowledged> {
    let who = client % t.people.len();
    let person = &t.people[who];
    let mut acknowledged = Acknowledged::new();
    let mut n = 0;
    while Instant::now() < deadline {
        n += 1;
        let key = format!("crash-{client}-{n}");
        let draft = answered(api, &person.token, retried, |api| {
            t.http
                .post(format!("{api}/applications"))
                .header("Idempotency-Key", format!("{key}-draft"))
                .json(&json!({"service": crate::load::SUBMITTED}))
        })
        .await?;
        let id = draft["id"].as_str().context("no id")?.to_owned();
        let version = draft["version"].as_i64().context("no version")?;
        // A save has no key: sent again on the same version it is refused
        // as stale if it went through, and then the draft is read back.
        let saved = match answered(api, &person.token, retried, |api| {
            t.http
                .put(format!("{api}/applications/{id}"))
                .header("If-Match", format!("\"{version}\""))
                .json(&json!({"answers": t.answers}))
        })
        .await
        {
            Ok(v) => v,
            // Sent again after it went through: stale now; read it back.
            Err(e) if e.to_string().starts_with("409") => {
                answered(api, &person.token, retried, |api| {
                    t.http.get(format!("{api}/applications/{id}"))
                })
                .await?
            }
            Err(e) => return Err(e),
        };
        let version = saved["version"].as_i64().context("no version")?;
        let send_key = format!("{key}-send");
        let sent = answered(api, &person.token, retried, |api| {
            t.http
                .post(format!("{api}/applications/{id}/submit"))
                .header("If-Match", format!("\"{version}\""))
                .header("Idempotency-Key", send_key.clone())
        })
        .await?;
        let number = sent["number"]
            .as_str()
            .with_context(|| format!("a submission answered without a number: {sent}"))?;
        acknowledged.insert(id, (number.to_owned(), send_key, who));
    }
    Ok(acknowledged)
}

/// Sends the request made by `make` (for the portal's current address)
/// until the portal answers; a refusal (4xx) is an error, a dead or dying
/// portal (no answer, 5xx) is waited out for up to a minute.
async fn answered(
    api: &RwLock<String>,
    token: &str,
    retried: &std::sync::atomic::AtomicUsize,
    make: impl Fn(&str) -> reqwest::RequestBuilder,
) -> anyhow::Result<Value> {
    let give_up = Instant::now() + Duration::from_secs(60);
    let mut first = true;
    loop {
        let current = api.read().map(|g| g.clone()).unwrap_or_default();
        match make(&current).bearer_auth(token).send().await {
            // A body cut off by the kill is no answer either.
            Ok(res) if res.status().is_success() => {
                if let Ok(v) = res.json::<Value>().await {
                    return Ok(v);
                }
            }
            Ok(res) if res.status().is_client_error() => {
                let status = res.status();
                let body: Value = res.json().await.unwrap_or(Value::Null);
                return Err(anyhow!("{status} {body}"));
            }
            // A 5xx or no answer: the portal died under it.
            _ => {}
        }
        if first {
            retried.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            first = false;
        }
        if Instant::now() > give_up {
            return Err(anyhow!("the portal did not answer for a minute"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Jobs due now and not done (not those planned for later: reminders,
/// reconciliations).
const DUE: &str = "SELECT COUNT(*) FROM jobs WHERE done_at IS NULL AND attempts < max_attempts \
    AND run_at <= $1";

async fn due(url: &str) -> anyhow::Result<i64> {
    Ok(if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await?;
        sqlx::query_scalar(DUE)
            .bind(app::system_clock())
            .fetch_one(&pool)
            .await?
    } else {
        let pool = sqlx::SqlitePool::connect(url).await?;
        sqlx::query_scalar(DUE)
            .bind(app::system_clock())
            .fetch_one(&pool)
            .await?
    })
}

/// Waits until no job is left undone (the killed worker's jobs wait out
/// their lease); the seconds it took.
async fn outbox_resumed(url: &str) -> anyhow::Result<f64> {
    let started = Instant::now();
    let give_up = Duration::from_secs(u64::try_from(LEASE_SECONDS)? + 60);
    while due(url).await? > 0 {
        if started.elapsed() > give_up {
            return Err(anyhow!(
                "{} jobs still undone {} s after the run",
                due(url).await?,
                give_up.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(started.elapsed().as_secs_f64())
}

/// Each acknowledged submission is in the database once, whole; nothing
/// is half-changed and no job is left due. The count of those found.
async fn verify(url: &str, since: i64, acknowledged: &Acknowledged) -> anyhow::Result<usize> {
    // One row per application submitted since the start: its number, its
    // history events to `submitted`, receipts and audit events.
    const SENT: &str = "SELECT a.id, a.status, a.number, \
        (SELECT COUNT(*) FROM application_events e WHERE e.application_id = a.id AND e.to_status = 'submitted'), \
        (SELECT COUNT(*) FROM documents d WHERE d.application_id = a.id AND d.kind = 'application_receipt'), \
        (SELECT COUNT(*) FROM audit_events l WHERE l.subject_id = a.id AND l.action = 'application.submitted') \
        FROM applications a WHERE a.created_at >= $1 AND (a.number IS NOT NULL OR a.status <> 'draft' \
        OR EXISTS (SELECT 1 FROM application_events e WHERE e.application_id = a.id AND e.to_status = 'submitted'))";
    type Row = (uuid::Uuid, String, Option<String>, i64, i64, i64);
    let rows: Vec<Row> = if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await?;
        sqlx::query_as(SENT).bind(since).fetch_all(&pool).await?
    } else {
        let pool = sqlx::SqlitePool::connect(url).await?;
        sqlx::query_as(SENT).bind(since).fetch_all(&pool).await?
    };
    let (drafts, dead, noticed) = leftovers(url, since).await?;
    let mut problems = Vec::new();
    let mut found = 0;
    for (id, status, number, events, receipts, audits) in &rows {
        let whole =
            status == "submitted" && number.is_some() && (*events, *receipts, *audits) == (1, 1, 1);
        if !whole {
            problems.push(format!(
                "{id}: {status}, number {number:?}, {events} events, {receipts} receipts, {audits} audit events"
            ));
        }
    }
    let by_id: BTreeMap<String, &Row> = rows.iter().map(|r| (r.0.to_string(), r)).collect();
    for (id, (number, _, _)) in acknowledged {
        match by_id.get(id) {
            Some(r) if r.2.as_deref() == Some(number.as_str()) => found += 1,
            Some(r) => problems.push(format!("{id}: answered {number}, holds {:?}", r.2)),
            None => problems.push(format!("{id}: acknowledged as {number}, lost")),
        }
    }
    // Every client's draft ends sent: a draft left over is one made twice.
    if drafts != 0 {
        problems.push(format!(
            "{drafts} drafts left: made twice by a retried request"
        ));
    }
    if dead != 0 {
        problems.push(format!("{dead} jobs failed for good"));
    }
    // Each submission's notice (the people here have one channel) was sent.
    if usize::try_from(noticed)? != acknowledged.len() {
        problems.push(format!(
            "{noticed} notices sent for {} submissions",
            acknowledged.len()
        ));
    }
    if problems.is_empty() {
        Ok(found)
    } else {
        Err(anyhow!(
            "{} problems:\n{}",
            problems.len(),
            problems.join("\n")
        ))
    }
}

/// Drafts made since `since` and still drafts, jobs given up for good,
/// and notices sent, since `since`.
async fn leftovers(url: &str, since: i64) -> anyhow::Result<(i64, i64, i64)> {
    const DRAFTS: &str =
        "SELECT COUNT(*) FROM applications WHERE created_at >= $1 AND status = 'draft'";
    const DEAD: &str = "SELECT COUNT(*) FROM jobs WHERE created_at >= $1 AND done_at IS NULL \
        AND attempts >= max_attempts";
    const NOTICED: &str =
        "SELECT COUNT(*) FROM deliveries WHERE started_at >= $1 AND sent_at IS NOT NULL";
    let mut n = [0i64; 3];
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await?;
        for (i, q) in [DRAFTS, DEAD, NOTICED].into_iter().enumerate() {
            n[i] = sqlx::query_scalar(q).bind(since).fetch_one(&pool).await?;
        }
    } else {
        let pool = sqlx::SqlitePool::connect(url).await?;
        for (i, q) in [DRAFTS, DEAD, NOTICED].into_iter().enumerate() {
            n[i] = sqlx::query_scalar(q).bind(since).fetch_one(&pool).await?;
        }
    }
    Ok((n[0], n[1], n[2]))
}

/// Every acknowledged submission sent again with its key: the same answer.
async fn replay(
    t: &crate::load::Target,
    api: &str,
    acknowledged: &Acknowledged,
) -> anyhow::Result<usize> {
    let mut same = 0;
    for (id, (number, key, who)) in acknowledged {
        let res = t
            .http
            .post(format!("{api}/applications/{id}/submit"))
            .header("Idempotency-Key", key.clone())
            .bearer_auth(&t.people[*who].token)
            .send()
            .await?;
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        if !status.is_success()
            || body["number"].as_str() != Some(number.as_str())
            || body["status"] != "submitted"
        {
            return Err(anyhow!(
                "{id}: the retry answered {status} {body}, the first {number}"
            ));
        }
        same += 1;
    }
    Ok(same)
}
