//! The portal in a process of its own during a load run, as it runs in
//! production: its memory and CPU are its own (read from `/proc`), not
//! mixed with the clients'. The bench binary starts itself again as
//! `migportal-bench portal` with a [`Spec`] in the environment; the child
//! prints its address on one line and runs until its stdin closes (so it
//! also ends when the bench dies).

use anyhow::{Context, anyhow};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

/// The environment variable that carries a [`Spec`] to the child.
const SPEC_ENV: &str = "MIGPORTAL_BENCH_PORTAL";

/// The line the child announces its address with.
const MARK: &str = "portal serving at ";

/// The key id the portal's vault seals under in a load run.
pub const VAULT_KEY_ID: &str = "load";

/// What a portal process of a run is started with.
#[derive(Clone, Serialize, Deserialize)]
pub struct Spec {
    pub database_url: String,
    pub registry_url: String,
    pub registry_token: String,
    pub vault_key: String,
    /// Attachments and audit checkpoints go here.
    pub dir: String,
    /// Whether this process runs the outbox worker.
    pub run_worker: bool,
    /// A read-only standby of `database_url` for people's reads, if any.
    #[serde(default)]
    pub database_read_url: Option<String>,
    /// How long a job taken by a worker is its own (the default 60 s if
    /// unset): after a kill, how long its jobs wait for another.
    #[serde(default)]
    pub job_lease_seconds: Option<i64>,
    /// The vault's key id, if not [`VAULT_KEY_ID`] (a database filled by
    /// another tool, sealed under its own).
    #[serde(default)]
    pub vault_key_id: Option<String>,
    /// No demo data: the database as it is (one a tool filled).
    #[serde(default)]
    pub plain: bool,
}

impl Spec {
    /// The portal's configuration: demo data, the run's registry, entrance
    /// limits out of the way (one address sends everything).
    pub fn config(&self) -> migportal::Config {
        let dir = std::path::Path::new(&self.dir);
        migportal::Config {
            listen: "127.0.0.1:0".into(),
            database_url: self.database_url.clone(),
            database_read_url: self.database_read_url.clone(),
            demo: !self.plain,
            run_worker: self.run_worker,
            vault: migportal::config::VaultConfig {
                key_id: self
                    .vault_key_id
                    .clone()
                    .unwrap_or_else(|| VAULT_KEY_ID.into()),
                key: Some(self.vault_key.clone()),
                ..Default::default()
            },
            audit_checkpoint_file: dir.join("checkpoints.jsonl").display().to_string(),
            attachments_dir: dir.join("attachments").display().to_string(),
            seeded_addresses: Some(true),
            registries: Some(migportal::config::RegistriesConfig {
                url: self.registry_url.clone(),
                token: self.registry_token.clone(),
                timeout_ms: 5_000,
            }),
            entrance_per_minute: 1_000_000,
            entrance_burst: 1_000_000,
            job_lease_seconds: self.job_lease_seconds.unwrap_or(60),
            ..migportal::Config::default()
        }
    }
}

/// `migportal-bench portal`: the child's side.
pub async fn child() -> anyhow::Result<()> {
    let spec: Spec = serde_json::from_str(
        &std::env::var(SPEC_ENV).with_context(|| format!("{SPEC_ENV} is not set"))?,
    )?;
    let config = spec.config();
    let vault = migportal::wiring::vault(&config)?;
    let running = migportal::start(config, vault, migportal::StartOptions::default()).await?;
    println!("{MARK}{}", running.url());
    // Until the parent closes our stdin (or dies).
    let mut sink = Vec::new();
    let _ = tokio::io::stdin().read_to_end(&mut sink).await;
    running.stop().await;
    Ok(())
}

/// A portal process started by the run.
pub struct Process {
    child: tokio::process::Child,
    pub url: String,
    pub pid: u32,
}

impl Process {
    pub async fn spawn(spec: &Spec) -> anyhow::Result<Self> {
        let mut child = tokio::process::Command::new(std::env::current_exe()?)
            .arg("portal")
            .env(SPEC_ENV, serde_json::to_string(spec)?)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let pid = child.id().context("the portal process has no pid")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            match lines.next_line().await? {
                Some(line) => {
                    if let Some(url) = line.strip_prefix(MARK) {
                        break url.trim().to_owned();
                    }
                }
                None => return Err(anyhow!("the portal process ended before serving")),
            }
        };
        // Whatever else it prints is read, so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self { child, url, pid })
    }

    /// SIGKILL: no chance to finish anything (a crash, a power cut).
    pub async fn kill(&mut self) {
        let _ = self.child.kill().await;
    }

    /// Closes its stdin and waits for it to finish what it is doing.
    pub async fn stop(mut self) {
        drop(self.child.stdin.take());
        let done = tokio::time::timeout(std::time::Duration::from_secs(30), self.child.wait());
        if done.await.is_err() {
            let _ = self.child.kill().await;
        }
    }
}

/// CPU time used so far (user + system), in clock ticks (1/100 s on Linux).
pub fn cpu_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which may hold spaces: state is field 3,
    // utime field 14 and stime field 15.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some(user + system)
}

/// CPU ticks of every PostgreSQL server process on the machine.
pub fn postgres_ticks() -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|pid| pid.bytes().all(|b| b.is_ascii_digit()))
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "postgres")
        })
        .filter_map(|pid| cpu_ticks(&pid))
        .sum()
}

/// A `/proc/<pid>/status` figure in MiB (`VmRSS`, `VmHWM`).
pub fn memory_mib(pid: &str, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kib| kib / 1024)
}

/// Where the CPU went while a scenario's timed parts ran (between
/// [`Meter::begin`] and [`Meter::end`], summed): the portal's processes,
/// the load (this process), PostgreSQL.
pub struct Meter {
    portals: Vec<String>,
    /// What each process is (`portal`, `worker`, `haproxy`).
    labels: Vec<&'static str>,
    open: Option<(Ticks, std::time::Instant)>,
    spent: Ticks,
    secs: f64,
}

/// CPU ticks of each portal process, of this process and of PostgreSQL.
#[derive(Clone, Default)]
struct Ticks {
    portals: Vec<u64>,
    load: u64,
    postgres: u64,
}

impl Meter {
    pub fn new(portals: &[(u32, &'static str)]) -> Self {
        Self {
            labels: portals.iter().map(|(_, l)| *l).collect(),
            portals: portals.iter().map(|(p, _)| p.to_string()).collect(),
            open: None,
            spent: Ticks {
                portals: vec![0; portals.len()],
                ..Ticks::default()
            },
            secs: 0.0,
        }
    }

    fn now(&self) -> Ticks {
        Ticks {
            portals: self
                .portals
                .iter()
                .map(|p| cpu_ticks(p).unwrap_or(0))
                .collect(),
            load: cpu_ticks("self").unwrap_or(0),
            postgres: postgres_ticks(),
        }
    }

    pub fn begin(&mut self) {
        self.open = Some((self.now(), std::time::Instant::now()));
    }

    pub fn end(&mut self) {
        let Some((from, at)) = self.open.take() else {
            return;
        };
        let to = self.now();
        for (s, (a, b)) in self
            .spent
            .portals
            .iter_mut()
            .zip(to.portals.iter().zip(&from.portals))
        {
            *s += a.saturating_sub(*b);
        }
        self.spent.load += to.load.saturating_sub(from.load);
        self.spent.postgres += to.postgres.saturating_sub(from.postgres);
        self.secs += at.elapsed().as_secs_f64();
    }

    /// "CPU cores busy: portal 0.91, worker 0.10, load 0.52, PostgreSQL 0.40;
    /// portal CPU 850 µs a request; portal RSS 98 MB (peak 120 MB)".
    pub fn line(&self, requests: usize) -> String {
        let secs = self.secs.max(f64::EPSILON);
        let cores = |t: u64| t as f64 / 100.0 / secs;
        let each: Vec<String> = self
            .spent
            .portals
            .iter()
            .zip(&self.labels)
            .map(|(t, label)| format!("{label} {:.2}", cores(*t)))
            .collect();
        let mut line = format!(
            "CPU cores busy: {}, load {:.2}, PostgreSQL {:.2}",
            each.join(", "),
            cores(self.spent.load),
            cores(self.spent.postgres)
        );
        if requests > 0 {
            let portal: u64 = self
                .spent
                .portals
                .iter()
                .zip(&self.labels)
                .filter(|(_, l)| **l != "haproxy")
                .map(|(t, _)| t)
                .sum();
            line.push_str(&format!(
                "; portal CPU {:.0} µs a request",
                portal as f64 * 10_000.0 / requests as f64
            ));
        }
        if let Some(first) = self.portals.first()
            && let (Some(rss), Some(peak)) =
                (memory_mib(first, "VmRSS"), memory_mib(first, "VmHWM"))
        {
            line.push_str(&format!("; portal RSS {rss} MB (peak {peak} MB)"));
        }
        line
    }
}
