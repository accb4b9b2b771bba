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
//! draft, save its answers, send it: three requests, timed together),
//! `queue` (the demo officer's queue of the demo office), `send` (the
//! submission request alone, each client an applicant of its own whose
//! identity the portal verified against a registry the run starts; see
//! [`sends`]), `mixed` (SPEC §10's mixed traffic: status reads, lists,
//! the catalogue, availability, and one submission in 22 requests with its
//! draft's two; see [`mixed`]). Booking under contention is `migportal/tests/it/booking_load.rs`.

use anyhow::{Context, anyhow};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::testing::TestDb;

const SCENARIOS: [&str; 9] = [
    "me",
    "catalogue",
    "status",
    "list",
    "queue",
    "availability",
    "submit",
    "send",
    "mixed",
];

/// Applicants made per client for `send` and `mixed`, taking turns: a
/// real person has a handful of applications, not the thousands one
/// applicant would pile up in a run (their reads would grow with them).
const PEOPLE_PER_CLIENT: usize = 25;

/// How many people the run's registry and accounts hold for `clients`.
pub fn people_for(clients: usize) -> usize {
    clients.max(1) * PEOPLE_PER_CLIENT
}

/// What one run is asked to do.
pub struct Options {
    pub seconds: u64,
    pub clients: usize,
    pub postgres: bool,
    pub only: Option<String>,
    /// The outbox worker in a portal process of its own.
    pub worker_apart: bool,
    /// Portal processes serving HTTP (behind HAProxy when more than one).
    pub instances: usize,
    /// A streaming standby's admin URL (`scripts/pg-standby`): people's
    /// lists and status reads go there when it holds their changes.
    pub standby: Option<String>,
}

/// How the portal runs: its processes, whether the worker is apart, and
/// the standby its people's reads may go to.
#[derive(Clone, Default)]
pub struct Layout {
    pub worker_apart: bool,
    pub instances: usize,
    pub standby: Option<String>,
    /// The outbox's job lease, if not the default.
    pub job_lease_seconds: Option<i64>,
}

impl Options {
    fn wants(&self, scenario: &str) -> bool {
        self.only
            .as_deref()
            .is_none_or(|only| only.split(',').any(|s| s == scenario))
    }
}

/// What the clients share: the address, the applicant's token, the ids
/// the reads use, and the answers a submission sends.
pub struct Target {
    pub(crate) http: reqwest::Client,
    pub(crate) api: String,
    pub(crate) token: String,
    pub(crate) application: String,
    pub(crate) office: String,
    pub(crate) answers: Value,
    /// One applicant per client, each sending its own applications.
    pub(crate) people: Vec<crate::people::Person>,
    /// The demo officer's bearer token (for `queue`).
    pub(crate) officer: String,
    /// The portal's processes, whose CPU and memory a report shows.
    pub(crate) pids: Vec<(u32, &'static str)>,
}

/// A bearer session of the demo officer, made in the store: the back
/// office's second-factor ceremony is not what `queue` measures.
async fn officer_session(store: &Arc<dyn store::Store>) -> anyhow::Result<String> {
    let login = migportal::demo::LOGINS[1].login;
    let officer = store
        .find_auth(&store::LoginLookup::Email(login.into()))
        .await?
        .context("no demo officer")?;
    crate::people::bearer_session(store, officer.id).await
}

pub async fn run(o: Options) -> anyhow::Result<()> {
    let portal = Harness::start(
        o.postgres,
        people_for(o.clients),
        Layout {
            worker_apart: o.worker_apart,
            instances: o.instances,
            standby: o.standby.clone(),
            job_lease_seconds: None,
        },
    )
    .await?;
    let result = drive(&portal, &o).await;
    portal.stop().await;
    result
}

/// The portal started for a run in processes of its own: its database, a
/// registry holding the run's people, and the store as the portal sees it
/// (for what the run prepares directly: sessions, bystanders).
pub struct Harness {
    pub db: TestDb,
    pub store: Arc<dyn store::Store>,
    /// The processes serving HTTP, then (with the worker apart) the worker's.
    pub portals: Vec<crate::process::Process>,
    /// HAProxy in front of them, with more than one instance.
    pub balancer: Option<crate::balancer::Balancer>,
    /// How many of `portals` serve HTTP.
    instances: usize,
    dir: std::path::PathBuf,
    /// How the (first) portal process was started: again after a kill.
    spec: crate::process::Spec,
    registry: tokio::sync::oneshot::Sender<()>,
    /// How many people of [`crate::people::population`] the registry holds.
    pub people: usize,
}

impl Harness {
    /// Starts the portal with its demo data on a fresh database, and a
    /// reference registry of `people` generated citizens. With the worker
    /// apart, one more portal process (not sent requests) runs the outbox;
    /// with several instances, each serves HTTP (and runs a worker, unless
    /// apart) behind HAProxy.
    pub async fn start(postgres: bool, people: usize, layout: Layout) -> anyhow::Result<Self> {
        let worker_apart = layout.worker_apart;
        let db = TestDb::new(if postgres { "postgres" } else { "sqlite" })
            .await
            .map_err(|e| anyhow!("{e} (set {})", store::testing::POSTGRES_ENV))?;
        let dir = std::env::temp_dir().join(format!("migportal-load-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir)?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let registry_url = format!("http://{}", listener.local_addr()?);
        let token = app::credentials::tokens::new_token();
        let sim = registries::sim::SimConfig {
            token: token.clone(),
            population: crate::people::population(people)?,
        };
        let (registry, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(registries::sim::serve_with_shutdown(
            listener,
            sim,
            async move {
                let _ = stopped.await;
            },
        ));
        let spec = crate::process::Spec {
            database_url: db.url.clone(),
            registry_url,
            registry_token: token,
            vault_key: hex_key(),
            dir: dir.display().to_string(),
            run_worker: !worker_apart,
            // The run's database on the standby: it arrives there by replication.
            database_read_url: layout.standby.as_ref().map(|admin| {
                store::testing::with_database(admin, db.url.rsplit('/').next().unwrap_or_default())
            }),
            job_lease_seconds: layout.job_lease_seconds,
            vault_key_id: None,
            plain: false,
        };
        // The first seeds the demo data; the others start on it.
        let mut portals = vec![crate::process::Process::spawn(&spec).await?];
        for _ in 1..layout.instances.max(1) {
            portals.push(crate::process::Process::spawn(&spec).await?);
        }
        let balancer = if layout.instances > 1 {
            let web: Vec<String> = portals.iter().map(|p| p.url.clone()).collect();
            Some(crate::balancer::Balancer::start(&web, &dir).await?)
        } else {
            None
        };
        if worker_apart {
            let worker = crate::process::Spec {
                run_worker: true,
                ..spec.clone()
            };
            portals.push(crate::process::Process::spawn(&worker).await?);
        }
        let store = migportal::wiring::open_store(&spec.config()).await?;
        Ok(Self {
            db,
            store,
            portals,
            balancer,
            instances: layout.instances.max(1),
            dir,
            spec,
            registry,
            people,
        })
    }

    /// The portal's vault, for rows made beside it that it must open.
    pub fn vault(&self) -> anyhow::Result<store::vault::Vault> {
        Ok(store::vault::Vault::new(
            crate::process::VAULT_KEY_ID,
            &self.spec.vault_key,
        )?)
    }

    /// Where clients send requests: the balancer, or the one instance.
    pub fn url(&self) -> &str {
        match &self.balancer {
            Some(b) => b.url.as_str(),
            None => self.portals.first().map_or("", |p| p.url.as_str()),
        }
    }

    pub fn api(&self) -> String {
        format!("{}/api/v1", self.url())
    }

    /// The portal processes (the worker's last when apart), then HAProxy's.
    pub fn pids(&self) -> Vec<(u32, &'static str)> {
        let apart = self.portals.len() > self.instances.max(1);
        self.portals
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let worker = apart && i + 1 == self.portals.len();
                (p.pid, if worker { "worker" } else { "portal" })
            })
            .chain(self.balancer.as_ref().map(|b| (b.pid, "haproxy")))
            .collect()
    }

    /// SIGKILL to the first portal process, then the same started again
    /// on the same database (on a new port: see [`Harness::api`]).
    pub async fn kill_and_restart(&mut self) -> anyhow::Result<()> {
        if let Some(first) = self.portals.first_mut() {
            first.kill().await;
        }
        let again = crate::process::Process::spawn(&self.spec).await?;
        if let Some(first) = self.portals.first_mut() {
            *first = again;
        }
        Ok(())
    }

    pub async fn stop(self) {
        if let Some(b) = self.balancer {
            b.stop().await;
        }
        for p in self.portals {
            p.stop().await;
        }
        let _ = self.registry.send(());
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn hex_key() -> String {
    rand::random::<[u8; 32]>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn drive(portal: &Harness, o: &Options) -> anyhow::Result<()> {
    let target = Arc::new(Target::prepare(portal, o).await?);
    println!(
        "load: {} clients, {} s per scenario, on {}, {} instance(s){}{}{}",
        o.clients,
        o.seconds,
        if o.postgres { "PostgreSQL" } else { "SQLite" },
        o.instances.max(1),
        if o.instances > 1 {
            " behind HAProxy"
        } else {
            ""
        },
        if o.worker_apart {
            ", the worker apart"
        } else {
            ""
        },
        if o.standby.is_some() {
            ", people's reads from the standby"
        } else {
            ""
        },
    );
    // What preparing left to the worker (identity checks, notices) first.
    settle(&portal.store).await?;
    let since = app::system_clock();
    let mut failing = Vec::new();
    for scenario in SCENARIOS {
        if !o.wants(scenario) {
            continue;
        }
        let out = if scenario == "send" {
            sends(&target, o).await
        } else if scenario == "mixed" {
            mixed(&target, o).await
        } else {
            scenario_run(&target, scenario, o).await
        };
        println!("{scenario:>13}: {}", out.line);
        if !out.ok {
            failing.push(scenario);
        }
        let settled = settle(&portal.store).await?;
        if let Some(line) = settled.line() {
            println!("{:>15}{line}", "");
        }
        if scenario == "send" || scenario == "submit" {
            let (low, high) = out.drained(settled.secs);
            println!(
                "{:>15}with the outbox drained: {low:.0}–{high:.0}/s ({} over {:.1} s of \
                 sending, or {:.1} s with the drafts between, and {:.1} s of the worker's \
                 catching up)",
                "", out.done, out.secs, out.wall, settled.secs
            );
        }
    }
    let (line, whole) = exactly_once(&portal.db.url, since).await?;
    println!("{:>13}: {line}", "exactly once");
    if o.standby.is_some() {
        // Where people's reads went, as the portal counts them.
        let base = target.api.trim_end_matches("/api/v1");
        let metrics = target
            .http
            .get(format!("{base}/metrics"))
            .send()
            .await?
            .text()
            .await?;
        let counts: Vec<&str> = metrics
            .lines()
            .filter(|l| l.starts_with("migportal_standby_"))
            .collect();
        println!("{:>13}: {}", "standby", counts.join("; "));
    }
    if !whole {
        failing.push("exactly once");
    }
    // A load run is also a check: any refused or lost request fails it.
    if failing.is_empty() {
        Ok(())
    } else {
        Err(anyhow!("requests failed in: {}", failing.join(", ")))
    }
}

/// What the worker did after a scenario, until it had caught up.
pub struct Settled {
    /// Jobs finished meanwhile.
    pub jobs: u64,
    /// From the scenario's end to the last job finished (to 0.1 s).
    pub secs: f64,
}

impl Settled {
    pub fn line(&self) -> Option<String> {
        (self.jobs > 0).then(|| {
            format!(
                "the worker then caught up: {} jobs in {:.1} s ({:.0}/s)",
                self.jobs,
                self.secs,
                self.jobs as f64 / self.secs.max(0.1)
            )
        })
    }
}

/// Waits until the outbox worker has caught up with what a scenario left
/// (the pending jobs stop changing), so the next scenario does not pay
/// for this one; says how long it took and how many it worked through.
pub async fn settle(store: &Arc<dyn store::Store>) -> anyhow::Result<Settled> {
    let started = Instant::now();
    let first = store.job_stats().await?;
    let mut last = (first.pending, first.done);
    let mut changed = Duration::ZERO;
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = store.job_stats().await?;
        if (now.pending, now.done) != last {
            changed = started.elapsed();
            last = (now.pending, now.done);
        }
        // Quiet for 1.4 s: one slow job (a registry's timeout) is not
        // taken for the worker having caught up.
        if started.elapsed() - changed >= Duration::from_millis(1_400)
            || started.elapsed() > Duration::from_secs(300)
        {
            return Ok(Settled {
                jobs: now.done.saturating_sub(first.done),
                secs: changed.as_secs_f64(),
            });
        }
    }
}

/// After the run, with the worker caught up: every application sent
/// during it has exactly one receipt, and every notice delivered to the
/// demo mailbox is there once. Read from the database itself (on several
/// instances each ran a worker).
pub(crate) async fn exactly_once(url: &str, since: i64) -> anyhow::Result<(String, bool)> {
    const WITHOUT_ONE_RECEIPT: &str = "SELECT COUNT(*) FROM applications a WHERE a.number IS NOT NULL \
         AND a.submitted_at >= $1 AND (SELECT COUNT(*) FROM documents d WHERE d.application_id = a.id \
         AND d.kind = 'application_receipt') <> 1";
    const SENT: &str =
        "SELECT COUNT(*) FROM applications WHERE number IS NOT NULL AND submitted_at >= $1";
    const DELIVERED: &str =
        "SELECT COUNT(*) FROM deliveries WHERE started_at >= $1 AND sent_at IS NOT NULL";
    const IN_MAILBOX: &str = "SELECT COUNT(*) FROM demo_mailbox WHERE created_at >= $1";
    let mut n = [0i64; 4];
    for (i, q) in [SENT, WITHOUT_ONE_RECEIPT, DELIVERED, IN_MAILBOX]
        .into_iter()
        .enumerate()
    {
        n[i] = crate::crash::scalar(url, q, since).await?;
    }
    let [sent, without, delivered, mailbox] = n;
    Ok((
        format!(
            "{sent} applications sent, {without} without exactly one receipt; \
             {delivered} notices delivered, {mailbox} in the mailbox"
        ),
        without == 0 && delivered == mailbox,
    ))
}

impl Target {
    /// Signs the demo applicant in, finds what the reads read, and makes
    /// one applicant of its own per client (for `send`).
    pub async fn prepare(portal: &Harness, o: &Options) -> anyhow::Result<Self> {
        // A stuck request fails (and is counted) rather than holding every
        // client of `send` at its barrier.
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(o.clients.max(1))
            .timeout(std::time::Duration::from_secs(30))
            .build()?;
        let api = portal.api();
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
        let officer = officer_session(&portal.store).await?;
        let people = if o.wants("send") || o.wants("mixed") {
            crate::people::applicants(
                &portal.store,
                &http,
                &api,
                people_for(o.clients).min(portal.people),
            )
            .await?
        } else {
            Vec::new()
        };
        Ok(Target {
            http,
            api,
            token,
            application,
            office,
            answers,
            people,
            officer,
            pids: portal.pids(),
        })
    }
}

/// The service the `submit` scenario applies for: free, no visit, open to
/// anyone signed in, any number at a time.
pub(crate) const SUBMITTED: &str = "address-reference";

/// The scenario's report line, and whether every request succeeded.
/// What a scenario's run printed, whether all its requests succeeded, and
/// its rate per second.
pub struct Outcome {
    pub line: String,
    pub ok: bool,
    pub rate: f64,
    /// Units done in the timed `secs`.
    pub done: usize,
    pub secs: f64,
    /// From the first timed moment to the last, with any untimed
    /// preparing between (for `send`: the drafts of each round).
    pub wall: f64,
}

impl Outcome {
    fn failed(line: &str) -> Self {
        Self {
            line: line.into(),
            ok: false,
            rate: 0.0,
            done: 0,
            secs: 0.0,
            wall: 0.0,
        }
    }

    /// The rate counting the time the worker then took to finish what the
    /// units queued — what the portal holds for as long as it is asked to,
    /// not only while its outbox can fall behind — as a range: over the
    /// timed seconds and the catching up (high: the worker also worked in
    /// any untimed preparing between), and over the wall clock and the
    /// catching up (low: that preparing's own work counted as time).
    pub fn drained(&self, catch_up: f64) -> (f64, f64) {
        let over = |secs: f64| self.done as f64 / (secs + catch_up).max(f64::EPSILON);
        (over(self.wall.max(self.secs)), over(self.secs))
    }
}

pub async fn scenario_run(t: &Arc<Target>, scenario: &'static str, o: &Options) -> Outcome {
    let mut meter = crate::process::Meter::new(&t.pids);
    meter.begin();
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
    let (took, failed) = gather(clients).await;
    let secs = started.elapsed().as_secs_f64();
    meter.end();
    report(took, failed, secs, &meter, |done, rate| {
        format!("{done} done, {rate:.0}/s")
    })
}

/// A client's timings and its failures counted by their reason.
type Run = (Vec<Duration>, BTreeMap<String, usize>);

/// What every client task timed and what failed, put together.
async fn gather(tasks: Vec<tokio::task::JoinHandle<Run>>) -> Run {
    let mut took = Vec::new();
    let mut failed: BTreeMap<String, usize> = BTreeMap::new();
    for task in tasks {
        if let Ok((t, f)) = task.await {
            took.extend(t);
            for (why, n) in f {
                *failed.entry(why).or_default() += n;
            }
        }
    }
    (took, failed)
}

/// The report line (`head` names the count and the rate), with the
/// percentiles, the failures and the process's memory.
fn report(
    took: Vec<Duration>,
    failed: BTreeMap<String, usize>,
    secs: f64,
    meter: &crate::process::Meter,
    head: impl Fn(usize, f64) -> String,
) -> Outcome {
    let done = took.len();
    let rate = done as f64 / secs.max(f64::EPSILON);
    let mut line = format!("{}, {}", head(done, rate), crate::summary(took));
    if !failed.is_empty() {
        line.push_str(&format!("; failed: {failed:?}"));
    }
    line.push_str(&format!("\n{:>15}{}", "", meter.line(done)));
    Outcome {
        line,
        ok: failed.is_empty() && done > 0,
        rate,
        done,
        secs,
        wall: secs,
    }
}

/// One request (or, for `submit`, one submission) of a scenario; an error
/// says what went wrong in a few words, to be counted.
async fn once(t: &Target, scenario: &str, client: usize, n: u64) -> Result<(), String> {
    let api = &t.api;
    match scenario {
        "me" => read(t, format!("{api}/me")).await,
        "catalogue" => read(t, format!("{api}/services")).await,
        "status" => read(t, format!("{api}/applications/{}", t.application)).await,
        "list" => read(t, format!("{api}/applications")).await,
        "queue" => read_as(t, &t.officer, format!("{api}/office/applications")).await,
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
    read_as(t, &t.token, url).await
}

async fn read_as(t: &Target, token: &str, url: String) -> Result<(), String> {
    let res = t
        .http
        .get(url)
        .bearer_auth(token)
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
    let send = |req: reqwest::RequestBuilder| call(req, &t.token);
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

/// Drafts each person makes ready before a timed round of `send` (a person
/// may hold 20; the demo story's draft is the demo applicant's, not theirs).
const ROUND: usize = 19;

/// `send`: the submission itself, one request (`POST …/submit`: the
/// electronic check, routing, the number, history, audit and the outbox
/// in one transaction), as SPEC §10 measures it. Each client is its own
/// applicant; in every round all clients first make drafts ready untimed,
/// then all send them at once, timed from the moment all are ready to the
/// moment the last is answered.
pub async fn sends(t: &Arc<Target>, o: &Options) -> Outcome {
    let clients = o.clients.max(1).min(t.people.len());
    if clients == 0 {
        return Outcome::failed("no applicants were prepared");
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(clients));
    // Timed so far, this round's start, the first round's start.
    let timed = Arc::new(std::sync::Mutex::new((
        Duration::ZERO,
        Instant::now(),
        None::<Instant>,
    )));
    // The CPU of the timed parts only, like the clock.
    let meter = Arc::new(std::sync::Mutex::new(crate::process::Meter::new(&t.pids)));
    let budget = Duration::from_secs(o.seconds);
    // Any failure ends the run for all, decided together after a round.
    let broken = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut tasks = Vec::new();
    for client in 0..clients {
        let (t, barrier, timed) = (t.clone(), barrier.clone(), timed.clone());
        let meter = meter.clone();
        let broken = broken.clone();
        tasks.push(tokio::spawn(async move {
            let mut took = Vec::new();
            let mut failed: BTreeMap<String, usize> = BTreeMap::new();
            for round in 0.. {
                // Each round another of the client's people.
                let person = &t.people[(client + round * clients) % t.people.len()];
                let mut ready = Vec::with_capacity(ROUND);
                for _ in 0..ROUND {
                    match draft(&t, &person.token).await {
                        Ok(d) => ready.push(d),
                        Err(why) => *failed.entry(format!("draft: {why}")).or_default() += 1,
                    }
                }
                if barrier.wait().await.is_leader()
                    && let (Ok(mut g), Ok(mut m)) = (timed.lock(), meter.lock())
                {
                    m.begin();
                    let start = Instant::now();
                    g.1 = start;
                    g.2.get_or_insert(start);
                }
                for (n, (id, version)) in ready.into_iter().enumerate() {
                    let at = Instant::now();
                    let key = format!("send-{client}-{n}-{id}");
                    match send_one(&t, &person.token, &id, version, &key).await {
                        Ok(()) => took.push(at.elapsed()),
                        Err(why) => *failed.entry(why).or_default() += 1,
                    }
                }
                if barrier.wait().await.is_leader()
                    && let (Ok(mut g), Ok(mut m)) = (timed.lock(), meter.lock())
                {
                    let round = g.1.elapsed();
                    g.0 += round;
                    m.end();
                }
                if !failed.is_empty() {
                    broken.store(true, std::sync::atomic::Ordering::SeqCst);
                }
                // All read the same total before deciding on another round.
                barrier.wait().await;
                let spent = timed.lock().map(|g| g.0).unwrap_or(budget);
                if spent >= budget || broken.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
            }
            (took, failed)
        }));
    }
    let (took, failed) = gather(tasks).await;
    let secs = timed.lock().map(|g| g.0.as_secs_f64()).unwrap_or(0.0);
    let meter = match meter.lock() {
        Ok(mut m) => std::mem::replace(&mut *m, crate::process::Meter::new(&[])),
        Err(_) => crate::process::Meter::new(&[]),
    };
    let wall = timed
        .lock()
        .ok()
        .and_then(|g| g.2)
        .map_or(secs, |first| first.elapsed().as_secs_f64());
    let mut out = report(took, failed, secs, &meter, |done, rate| {
        format!(
            "{done} sent in {secs:.1} s of sending, {rate:.0}/s (a burst: the worker catches up \
             between rounds)"
        )
    });
    out.wall = wall;
    out
}

/// The reads of `mixed`, in the order each client repeats them between
/// two submissions: status 7, catalogue 4, list 3, `me` 3, availability 2.
const MIX: [&str; 19] = [
    "status",
    "list",
    "catalogue",
    "status",
    "me",
    "availability",
    "status",
    "list",
    "catalogue",
    "status",
    "me",
    "status",
    "list",
    "catalogue",
    "status",
    "availability",
    "me",
    "status",
    "catalogue",
];

/// `mixed`: each client, an applicant of its own, repeats the reads of
/// [`MIX`] and then sends an application (its draft made and saved, then
/// sent: three requests), so 22 requests carry one submission (4.5 %).
/// Every request is timed and counted alike.
pub async fn mixed(t: &Arc<Target>, o: &Options) -> Outcome {
    if t.people.is_empty() {
        return Outcome::failed("no applicants were prepared");
    }
    let mut meter = crate::process::Meter::new(&t.pids);
    meter.begin();
    let until = Instant::now() + Duration::from_secs(o.seconds);
    let started = Instant::now();
    let sent = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut clients = Vec::new();
    let active = o.clients.max(1).min(t.people.len());
    for client in 0..active {
        let (t, sent) = (t.clone(), sent.clone());
        clients.push(tokio::spawn(async move {
            let mut took = Vec::new();
            let mut failed: BTreeMap<String, usize> = BTreeMap::new();
            let mut count = |at: Instant, r: Result<(), String>, what: &str| match r {
                Ok(()) => took.push(at.elapsed()),
                Err(why) => *failed.entry(format!("{what}: {why}")).or_default() += 1,
            };
            let mut n = 0usize;
            'run: while Instant::now() < until {
                // Each submission another of the client's people.
                let token = &t.people[(client + n * active) % t.people.len()].token;
                for what in MIX {
                    if Instant::now() >= until {
                        break 'run;
                    }
                    let at = Instant::now();
                    let r = mixed_read(&t, token, what).await;
                    count(at, r, what);
                }
                // The submission: a draft, its answers, the sending; each timed.
                let at = Instant::now();
                let (id, version) = match new_draft(&t, token).await {
                    Ok(d) => d,
                    Err(why) => {
                        count(at, Err(why), "draft");
                        continue;
                    }
                };
                count(at, Ok(()), "draft");
                let at = Instant::now();
                let version = match save_answers(&t, token, &id, version).await {
                    Ok(v) => v,
                    Err(why) => {
                        count(at, Err(why), "save");
                        continue;
                    }
                };
                count(at, Ok(()), "save");
                n += 1;
                let at = Instant::now();
                let key = format!("mixed-{client}-{n}-{id}");
                let r = send_one(&t, token, &id, version, &key).await;
                if r.is_ok() {
                    sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                count(at, r, "send");
            }
            (took, failed)
        }));
    }
    let (took, failed) = gather(clients).await;
    let secs = started.elapsed().as_secs_f64();
    meter.end();
    let sent = sent.load(std::sync::atomic::Ordering::Relaxed);
    report(took, failed, secs, &meter, |done, rate| {
        format!(
            "{done} requests, {rate:.0}/s, of them {sent} submissions ({:.0}/s)",
            sent as f64 / secs.max(f64::EPSILON)
        )
    })
}

/// One read of [`MIX`] as the person (the status read is the demo
/// applicant's application, as `status` reads it).
async fn mixed_read(t: &Target, token: &str, what: &str) -> Result<(), String> {
    let api = &t.api;
    match what {
        "status" => read(t, format!("{api}/applications/{}", t.application)).await,
        "list" => read_as(t, token, format!("{api}/applications")).await,
        "catalogue" => read_as(t, token, format!("{api}/services")).await,
        "me" => read_as(t, token, format!("{api}/me")).await,
        "availability" => once(t, "availability", 0, 0).await,
        other => Err(format!("unknown read {other}")),
    }
}

/// A draft of [`SUBMITTED`] with its answers saved: its id and version.
async fn draft(t: &Target, token: &str) -> Result<(String, i64), String> {
    let (id, version) = new_draft(t, token).await?;
    let saved = save_answers(t, token, &id, version).await?;
    Ok((id, saved))
}

/// A new draft of [`SUBMITTED`]: its id and version.
async fn new_draft(t: &Target, token: &str) -> Result<(String, i64), String> {
    let d = call(
        t.http
            .post(format!("{}/applications", t.api))
            .json(&json!({"service": SUBMITTED})),
        token,
    )
    .await?;
    let id = d["id"].as_str().ok_or("no id")?.to_owned();
    Ok((id, d["version"].as_i64().ok_or("no version")?))
}

/// The example answers saved on `version`: the next version.
async fn save_answers(t: &Target, token: &str, id: &str, version: i64) -> Result<i64, String> {
    let saved = call(
        t.http
            .put(format!("{}/applications/{id}", t.api))
            .header("If-Match", format!("\"{version}\""))
            .json(&json!({"answers": t.answers})),
        token,
    )
    .await?;
    Ok(saved["version"].as_i64().ok_or("no version")?)
}

async fn send_one(
    t: &Target,
    token: &str,
    id: &str,
    version: i64,
    key: &str,
) -> Result<(), String> {
    call(
        t.http
            .post(format!("{}/applications/{id}/submit", t.api))
            .header("If-Match", format!("\"{version}\""))
            .header("Idempotency-Key", key),
        token,
    )
    .await
    .map(|_| ())
}

/// A request with the person's token: its JSON body, or its status and code.
async fn call(req: reqwest::RequestBuilder, token: &str) -> Result<Value, String> {
    let res = req
        .bearer_auth(token)
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
}
