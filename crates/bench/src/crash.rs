//! `migportal-bench crash`: kill -9 the portal under a steady load of
//! submissions, start it again, and prove from the database that nothing
//! acknowledged was lost or done twice (issue 22, item 1). With
//! `--restart-postgres` the fault is the database instead: PostgreSQL is
//! restarted in immediate mode (its processes stop at once, as in a
//! crash, and it recovers from its WAL) while the portal keeps running.
//!
//! Each client, as its own applicant, makes drafts and sends them (each
//! draft and submission with an `Idempotency-Key`), and as many booking
//! clients book, move and cancel visits ([`crate::crash_visits`], checked
//! there); a request that meets a dead portal
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
//! - every submission sent again with its key answers as the first time;
//! - each person's notices: one per submission, first booking and cancel.

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
    let visitors = Arc::new(
        crate::crash_visits::prepare(&portal.store, &portal.vault()?, a.clients.max(1)).await?,
    );
    // What preparing left to the worker (identity checks, their notices)
    // is done before the run, so all that follows is the run's own.
    // Every job due then, or waiting to be tried again, is done (not
    // merely quiet for a moment), or a late identity notice would count
    // as one of the run's.
    crate::load::settle(&portal.store).await?;
    outbox_resumed(&portal.db.url).await?;
    let since = app::system_clock();
    let api = Arc::new(RwLock::new(portal.api()));
    let deadline = Instant::now() + Duration::from_secs(a.seconds);
    let retried = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let retried_bookings = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for client in 0..a.clients.max(1).min(t.people.len()) {
        let (t, api, retried) = (t.clone(), api.clone(), retried.clone());
        tasks.push(tokio::spawn(async move {
            client_loop(&t, &api, client, deadline, &retried).await
        }));
    }
    let mut bookers = Vec::new();
    for client in 0..visitors.people.len() {
        let (t, v, api, retried) = (
            t.clone(),
            visitors.clone(),
            api.clone(),
            retried_bookings.clone(),
        );
        bookers.push(tokio::spawn(async move {
            let person = &v.people[client];
            let steps = crate::crash_visits::client_loop(
                &t.http, &api, v.office, person, client, deadline, &retried,
            )
            .await?;
            anyhow::Ok((person.application, (client, steps)))
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
    let mut booked = crate::crash_visits::Acknowledged::new();
    for task in bookers {
        let (id, steps) = task
            .await
            .map_err(|e| anyhow!("a booking client panicked: {e}"))??;
        booked.insert(id, steps);
    }
    let retried = retried.load(std::sync::atomic::Ordering::SeqCst);
    let retried_bookings = retried_bookings.load(std::sync::atomic::Ordering::SeqCst);
    if let Some(pace) = crate::load::settle(&portal.store).await?.line() {
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
    let visits = crate::crash_visits::verify(&url, visitors.office, &booked).await?;
    // One notice per submission, first booking (to `invited`) and cancel.
    let notices = acknowledged.len() + visits.fresh + visits.cancelled;
    let found = verify(&url, since, &acknowledged, notices).await?;
    let replayed = replay(&t, &portal.api(), &acknowledged).await?;
    let rebooked =
        crate::crash_visits::replay(&t.http, &portal.api(), &visitors.people, &booked).await?;
    // Sent again, nothing was done again.
    crate::crash_visits::verify(&url, visitors.office, &booked).await?;
    let (line, once) = crate::load::exactly_once(&url, since).await?;
    println!(
        "{killed} {faults}; {} submissions acknowledged, {retried} requests sent again after \
         no answer or a 5xx; found afterwards: {found} exactly once, 0 lost, 0 doubled, none half-changed; \
         {replayed} answered again with the same key as the first time; {line}",
        acknowledged.len()
    );
    println!(
        "bookings: {} booked or moved and {} cancelled, acknowledged, {retried_bookings} \
         requests sent again; each found exactly once (appointment, how it ended, history, \
         audit), the live visit's invitation made, every slot's places = its live bookings; \
         {rebooked} sent again with their keys were answered with success and changed nothing; \
         {notices} notices sent, one per submission, first booking and cancel",
        visits.booked, visits.cancelled
    );
    if !once {
        return Err(anyhow!(
            "a notice or a receipt is not there exactly once: {line}"
        ));
    }
    if acknowledged.is_empty()
        || visits.booked == 0
        || killed == 0
        || retried == 0
        || retried_bookings == 0
    {
        return Err(anyhow!(
            "nothing was proven: no submission or booking acknowledged, no kill, or no request \
             cut by one"
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
            Err(e) if Refused::of(&e).is_some_and(|r| r.status == 409) => {
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

/// The portal refused a request (4xx): its status and problem body.
#[derive(Debug)]
pub(crate) struct Refused {
    pub status: u16,
    pub body: Value,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.body)
    }
}

impl std::error::Error for Refused {}

impl Refused {
    /// The refusal `e` is, if it is one.
    pub(crate) fn of(e: &anyhow::Error) -> Option<&Refused> {
        e.downcast_ref::<Refused>()
    }
}

/// Sends the request made by `make` (for the portal's current address)
/// until the portal answers; a refusal (4xx) is an error ([`Refused`]), a
/// dead or dying portal (no answer, 5xx) is waited out for up to a minute.
pub(crate) async fn answered(
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
                let status = res.status().as_u16();
                let body: Value = res.json().await.unwrap_or(Value::Null);
                return Err(Refused { status, body }.into());
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

/// Jobs not done that are due now or waiting to be tried again after a
/// failure (not those planned for later and never tried: reminders,
/// reconciliations).
const DUE: &str =
    "SELECT COUNT(*) FROM jobs WHERE done_at IS NULL AND (run_at <= $1 OR attempts > 0)";

async fn due(url: &str) -> anyhow::Result<i64> {
    scalar(url, DUE, app::system_clock()).await
}

/// A parameter bound alike on both databases.
pub(crate) trait Bind:
    for<'q> sqlx::Encode<'q, sqlx::Postgres>
    + sqlx::Type<sqlx::Postgres>
    + for<'q> sqlx::Encode<'q, sqlx::Sqlite>
    + sqlx::Type<sqlx::Sqlite>
    + Send
    + 'static
{
}

impl<T> Bind for T where
    T: for<'q> sqlx::Encode<'q, sqlx::Postgres>
        + sqlx::Type<sqlx::Postgres>
        + for<'q> sqlx::Encode<'q, sqlx::Sqlite>
        + sqlx::Type<sqlx::Sqlite>
        + Send
        + 'static
{
}

/// The rows `query` (with its one parameter `bind`) reads, on either
/// database (the same SQL on both).
pub(crate) async fn rows<T, B>(url: &str, query: &'static str, bind: B) -> anyhow::Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + Send
        + Unpin,
    B: Bind,
{
    Ok(if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await?;
        let rows = sqlx::query_as(query).bind(bind).fetch_all(&pool).await?;
        pool.close().await;
        rows
    } else {
        let pool = sqlx::SqlitePool::connect(url).await?;
        let rows = sqlx::query_as(query).bind(bind).fetch_all(&pool).await?;
        pool.close().await;
        rows
    })
}

/// The one number `query` counts.
pub(crate) async fn scalar<B>(url: &str, query: &'static str, bind: B) -> anyhow::Result<i64>
where
    B: Bind,
{
    let found: Vec<(i64,)> = rows(url, query, bind).await?;
    found
        .first()
        .map(|r| r.0)
        .ok_or_else(|| anyhow!("no count from {query}"))
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
async fn verify(
    url: &str,
    since: i64,
    acknowledged: &Acknowledged,
    notices: usize,
) -> anyhow::Result<usize> {
    // One row per application submitted since the start: its number, its
    // history events to `submitted`, receipts and audit events.
    const SENT: &str = "SELECT a.id, a.status, a.number, \
        (SELECT COUNT(*) FROM application_events e WHERE e.application_id = a.id AND e.to_status = 'submitted'), \
        (SELECT COUNT(*) FROM documents d WHERE d.application_id = a.id AND d.kind = 'application_receipt'), \
        (SELECT COUNT(*) FROM audit_events l WHERE l.subject_id = a.id AND l.action = 'application.submitted') \
        FROM applications a WHERE a.created_at >= $1 AND (a.number IS NOT NULL OR a.status <> 'draft' \
        OR EXISTS (SELECT 1 FROM application_events e WHERE e.application_id = a.id AND e.to_status = 'submitted'))";
    type Row = (uuid::Uuid, String, Option<String>, i64, i64, i64);
    let rows: Vec<Row> = rows(url, SENT, since).await?;
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
    // Each notice (the people here have one channel) was sent.
    if usize::try_from(noticed)? != notices {
        problems.push(format!(
            "{noticed} notices sent, {notices} expected ({} submissions); the notices asked \
             for since the start, by kind: {}",
            acknowledged.len(),
            notices_by_kind(url, since).await?
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

/// The notices enqueued since `since`, counted by the first part of their
/// key (`application-status`, …; a channel's copy is `notice`).
async fn notices_by_kind(url: &str, since: i64) -> anyhow::Result<String> {
    const KEYS: &str =
        "SELECT COALESCE(dedup_key, '') FROM jobs WHERE kind = 'notify' AND created_at >= $1";
    let keys: Vec<(String,)> = rows(url, KEYS, since).await?;
    let mut by = BTreeMap::<String, usize>::new();
    for (k,) in keys {
        *by.entry(k.split(':').next().unwrap_or_default().to_owned())
            .or_default() += 1;
    }
    Ok(format!("{by:?}"))
}

/// Drafts made since `since` and still drafts, jobs given up for good,
/// and notices sent, since `since`.
async fn leftovers(url: &str, since: i64) -> anyhow::Result<(i64, i64, i64)> {
    const DRAFTS: &str =
        "SELECT COUNT(*) FROM applications WHERE created_at >= $1 AND status = 'draft'";
    // Given up (`give_up_job`, or out of attempts): done, as dead.
    const DEAD: &str = "SELECT COUNT(*) FROM jobs WHERE created_at >= $1 AND outcome = 'dead'";
    const NOTICED: &str =
        "SELECT COUNT(*) FROM deliveries WHERE started_at >= $1 AND sent_at IS NOT NULL";
    Ok((
        scalar(url, DRAFTS, since).await?,
        scalar(url, DEAD, since).await?,
        scalar(url, NOTICED, since).await?,
    ))
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
