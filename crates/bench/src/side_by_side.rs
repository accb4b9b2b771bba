//! `migportal-bench side-by-side`: the portal against its database's own
//! limit, in one run on one machine (SPEC §10). For each database the
//! baseline runs first on the portal's own tables, with the same number of
//! clients and the same time, then the portal over HTTP:
//!
//! - PostgreSQL: `pgbench` with two custom scripts — a submission's three
//!   inserts (the application, its history event, its outbox job) in one
//!   transaction, and a status read's two selects (the session joined with
//!   its account, the application) — against the portal's `send` and `status`;
//! - SQLite: the same three inserts in one `BEGIN IMMEDIATE` transaction,
//!   from as many tasks, through sqlx on the portal's database file, with
//!   the store's settings (WAL, `synchronous = NORMAL`).
//!
//! It prints each rate and the portal's share of the baseline next to the
//! target; it fails only if a request or the baseline failed.

use crate::load::{Harness, Options, Outcome, Target};
use anyhow::{Context, anyhow};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct Args {
    pub seconds: u64,
    pub clients: usize,
    /// The outbox worker in a portal process of its own.
    pub worker_apart: bool,
}

pub async fn run(a: Args) -> anyhow::Result<()> {
    let mut rows = Vec::new();
    if std::env::var(store::testing::POSTGRES_ENV).is_ok() {
        rows.extend(one(true, &a).await?);
    } else {
        println!(
            "PostgreSQL skipped: set {} to an admin URL",
            store::testing::POSTGRES_ENV
        );
    }
    rows.extend(one(false, &a).await?);
    println!();
    println!(
        "{:<34} {:>10} {:>10} {:>7} {:>8}",
        "", "baseline/s", "portal/s", "share", "target"
    );
    for r in &rows {
        println!(
            "{:<34} {:>10.0} {:>10.0} {:>6.0}% {:>8}",
            r.what,
            r.baseline,
            r.portal,
            100.0 * r.portal / r.baseline.max(f64::EPSILON),
            r.target
        );
    }
    Ok(())
}

struct Row {
    what: &'static str,
    baseline: f64,
    portal: f64,
    target: &'static str,
}

async fn one(postgres: bool, a: &Args) -> anyhow::Result<Vec<Row>> {
    let name = if postgres { "PostgreSQL" } else { "SQLite" };
    println!("== {name}: {} clients, {} s each", a.clients, a.seconds);
    let portal = Harness::start(
        postgres,
        crate::load::people_for(a.clients),
        crate::load::Layout {
            worker_apart: a.worker_apart,
            instances: 1,
            standby: None,
            job_lease_seconds: None,
        },
    )
    .await?;
    let result = measure(&portal, postgres, a).await;
    portal.stop().await;
    result
}

async fn measure(portal: &Harness, postgres: bool, a: &Args) -> anyhow::Result<Vec<Row>> {
    let o = Options {
        seconds: a.seconds,
        clients: a.clients,
        postgres,
        only: Some("status,send".into()),
        worker_apart: a.worker_apart,
        instances: 1,
        standby: None,
    };
    let t = Arc::new(Target::prepare(portal, &o).await?);
    let account = crate::people::bystander(&portal.store).await?;
    let work = Work {
        account: account.to_string(),
        demo_token_hash: app::credentials::tokens::token_hash(&t.token),
        demo_account: demo_account(&portal.store, &t.token).await?,
        application: t.application.clone(),
        sealed: sealed_size(&portal.db.url, postgres).await?,
        now: app::system_clock(),
    };
    let saved = surname_trigger_off(&portal.db.url, postgres).await?;
    let baseline = if postgres {
        pgbench(&portal.db.url, &work.submission_sql(), a, "submission").and_then(|sub| {
            Ok((
                sub,
                pgbench(&portal.db.url, &work.status_sql(), a, "status")?,
            ))
        })
    } else {
        let base = sqlite_inserts(&portal.db.url, &work, a, Writers::Many, 1).await;
        // The same writes through one connection, as the portal writes:
        // one submission a commit, then eight (what grouping the commits of
        // several requests would give at most).
        for per_commit in [1, 8] {
            sqlite_inserts(&portal.db.url, &work, a, Writers::One, per_commit).await?;
        }
        base.map(|sub| (sub, f64::NAN))
    };
    surname_trigger_on(&portal.db.url, saved).await?;
    let (sub_base, status_base) = baseline?;
    // Reads first: the sends leave the worker a backlog of receipts to typeset.
    let status = checked(crate::load::scenario_run(&t, "status", &o).await, "status")?;
    let before = if postgres {
        Some(pg_work(&portal.db.url).await?)
    } else {
        None
    };
    let sends = crate::load::sends(&t, &o).await;
    let sent = sends
        .line
        .split_whitespace()
        .next()
        .and_then(|n| n.parse::<f64>().ok());
    // The rate again with the time the worker then took for the receipts
    // and notices the sends queued: a burst can outrun the outbox, a
    // working day cannot.
    let settled = crate::load::settle(&portal.store).await?;
    // The low end: the worker also works while the drafts are made.
    let (drained, high) = sends.drained(settled.secs);
    if let Some(line) = settled.line() {
        println!(
            "{:>15}{line}; with the outbox drained {drained:.0}–{high:.0}/s",
            ""
        );
    }
    let send = checked(sends, "send")?;
    if let (Some(before), Some(sent)) = (before, sent) {
        // The database's own count of what the sends (with the worker's
        // jobs they queued, run meanwhile) made it do, per submission.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let after = pg_work(&portal.db.url).await?;
        let per = |i: usize| (after[i] - before[i]) as f64 / sent.max(1.0);
        println!(
            "the database's work over the send rounds, per submission (with the untimed \
             drafts and saves, and the worker's jobs done meanwhile): {:.1} transactions, \
             {:.1} rows inserted, {:.1} updated, {:.1} deleted, {:.0} read by index or scan",
            per(0),
            per(1),
            per(2),
            per(3),
            per(4)
        );
    }
    let mut rows = vec![Row {
        what: if postgres {
            "PostgreSQL: submission"
        } else {
            "SQLite: submission"
        },
        baseline: sub_base,
        portal: send,
        target: if postgres { "≥ 70 %" } else { "≥ 1000/s" },
    }];
    rows.push(Row {
        what: "  outbox drained, at least",
        baseline: sub_base,
        portal: drained,
        target: if postgres { "≥ 70 %" } else { "≥ 1000/s" },
    });
    if postgres {
        rows.push(Row {
            what: "PostgreSQL: status read",
            baseline: status_base,
            portal: status,
            target: "≥ 50 %",
        });
    }
    Ok(rows)
}

fn checked(o: Outcome, what: &str) -> anyhow::Result<f64> {
    println!("portal {what:>10}: {}", o.line);
    if o.ok {
        Ok(o.rate)
    } else {
        Err(anyhow!("the portal's {what} had failed requests"))
    }
}

/// What the baseline's statements write and read: the same rows and sizes
/// as the portal's.
struct Work {
    /// The account the baseline's submissions belong to (not a sender's:
    /// their filler would stop the portal reading that person's list).
    account: String,
    /// The status read's session, account and application.
    demo_token_hash: String,
    demo_account: String,
    application: String,
    /// Bytes of a sealed submitted application (the portal's average).
    sealed: i64,
    now: i64,
}

impl Work {
    /// The three inserts of a submission, in pgbench's script language:
    /// the application's row, its history event and its outbox job.
    fn submission_sql(&self) -> String {
        let Work {
            account,
            sealed,
            now,
            ..
        } = self;
        format!(
            "\\set serial random(1, 1000000000000000)\n\
             BEGIN;\n\
             INSERT INTO applications (id, account_id, service, status, version, key_id, sealed, number, \
             late, created_at, updated_at, submitted_at) VALUES ({id}, '{account}', \
             'address-reference', 'submitted', 3, 'load', '\\x{filler}'::bytea, \
             'B' || :client_id || '-' || :serial, false, {now}, {now}, {now});\n\
             INSERT INTO application_events (id, application_id, at, actor_id, from_status, to_status, note) \
             VALUES (gen_random_uuid(), {id}, {now}, '{account}', 'draft', 'submitted', NULL);\n\
             INSERT INTO jobs (id, kind, payload, dedup_key, run_at, attempts, max_attempts, created_at) \
             VALUES (gen_random_uuid(), 'bench', '{{\"application\":\"' || {id} || '\"}}', \
             'bench:' || {id}, {far}, 0, 10, {now});\n\
             END;\n",
            // Random bytes, as ciphertext is (a repeated letter would be
            // compressed away); the same in every row costs nothing more.
            filler = hex::encode(
                (0..*sealed)
                    .map(|_| rand::random::<u8>())
                    .collect::<Vec<u8>>()
            ),
            // The same id in all three (pgbench variables are numbers).
            id = "md5(:client_id || '-' || :serial)::uuid",
            // Never due: the portal's worker must not take the baseline's jobs.
            far = now + 365 * 86_400_000,
        )
    }

    /// The two selects of a status read, as the portal makes them (the
    /// session with its account, then the application).
    fn status_sql(&self) -> String {
        let Work {
            demo_token_hash,
            demo_account,
            application,
            now,
            ..
        } = self;
        format!(
            "SELECT s.token_hash, s.account_id, s.kind, s.csrf_token, s.user_agent, \
             s.created_at AS session_created_at, s.last_seen_at, s.expires_at, a.id, a.surname, \
             a.given_name, a.patronymic, a.phone, a.email, a.status, a.level, a.role, a.office_id, \
             a.created_at FROM sessions s JOIN accounts a ON a.id = s.account_id \
             WHERE s.token_hash = '{demo_token_hash}' AND s.expires_at > {now};\n\
             SELECT id, account_id, service, status, version, key_id, sealed, number, late, created_at, \
             updated_at, submitted_at, office_id, deadline FROM applications \
             WHERE id = '{application}' AND account_id = '{demo_account}';\n"
        )
    }
}

/// The database's counters: commits, rows inserted, updated, deleted, read.
async fn pg_work(url: &str) -> anyhow::Result<[i64; 5]> {
    let pool = sqlx::PgPool::connect(url).await?;
    let row: (i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT xact_commit, tup_inserted, tup_updated, tup_deleted, tup_fetched + tup_returned \
         FROM pg_stat_database WHERE datname = current_database()",
    )
    .fetch_one(&pool)
    .await?;
    pool.close().await;
    Ok([row.0, row.1, row.2, row.3, row.4])
}

async fn demo_account(store: &Arc<dyn store::Store>, token: &str) -> anyhow::Result<String> {
    let hash = app::credentials::tokens::token_hash(token);
    let s = store
        .find_session(&hash, app::system_clock())
        .await?
        .context("the demo applicant's session is gone")?;
    Ok(s.account_id.to_string())
}

async fn sealed_size(url: &str, postgres: bool) -> anyhow::Result<i64> {
    let sql = "SELECT CAST(COALESCE(AVG(LENGTH(sealed)), 1024) AS BIGINT) FROM applications";
    Ok(if postgres {
        let pool = sqlx::PgPool::connect(url).await?;
        let n = sqlx::query_scalar(sql).fetch_one(&pool).await?;
        pool.close().await;
        n
    } else {
        let pool = sqlx::SqlitePool::connect(url).await?;
        let n = sqlx::query_scalar(sql).fetch_one(&pool).await?;
        pool.close().await;
        n
    })
}

/// The baselines stand for a submission, which updates its draft: their
/// application insert must not pay what an insert pays since migration 0025
/// (the applicant's surname copied by trigger — on PostgreSQL the account
/// read `FOR SHARE` by every client at once). The trigger is off for the
/// baseline only: disabled on PostgreSQL; on SQLite, which cannot disable
/// one, dropped and made again from its own text (returned here).
async fn surname_trigger_off(url: &str, postgres: bool) -> anyhow::Result<Option<String>> {
    if postgres {
        let pool = sqlx::PgPool::connect(url).await?;
        sqlx::query("ALTER TABLE applications DISABLE TRIGGER applications_applicant_surname")
            .execute(&pool)
            .await?;
        pool.close().await;
        return Ok(None);
    }
    let pool = sqlx::SqlitePool::connect(url).await?;
    let text: String = sqlx::query_scalar(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'applications_applicant_surname'",
    )
    .fetch_one(&pool)
    .await?;
    sqlx::query("DROP TRIGGER applications_applicant_surname")
        .execute(&pool)
        .await?;
    pool.close().await;
    Ok(Some(text))
}

/// The trigger back as it was, after the baseline.
async fn surname_trigger_on(url: &str, saved: Option<String>) -> anyhow::Result<()> {
    match saved {
        None => {
            let pool = sqlx::PgPool::connect(url).await?;
            sqlx::query("ALTER TABLE applications ENABLE TRIGGER applications_applicant_surname")
                .execute(&pool)
                .await?;
            pool.close().await;
        }
        Some(text) => {
            let pool = sqlx::SqlitePool::connect(url).await?;
            sqlx::query(sqlx::AssertSqlSafe(text))
                .execute(&pool)
                .await?;
            pool.close().await;
        }
    }
    Ok(())
}

/// `pgbench` with one custom script on the portal's database: its rate of
/// transactions per second.
fn pgbench(url: &str, script: &str, a: &Args, what: &str) -> anyhow::Result<f64> {
    let file = std::env::temp_dir().join(format!("migportal-{what}-{}.sql", uuid::Uuid::new_v4()));
    std::fs::write(&file, script)?;
    let out = std::process::Command::new("pgbench")
        .args(["-n", "-c", &a.clients.to_string(), "-j", "2", "-T"])
        .arg(a.seconds.to_string())
        .arg("-f")
        .arg(&file)
        .arg(url)
        .output()
        .context("pgbench (Debian's postgresql-contrib or postgresql-client) is not on PATH")?;
    let _ = std::fs::remove_file(&file);
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(anyhow!(
            "pgbench {what} failed: {}{}",
            text,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let tps = text
        .lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|v| v.parse::<f64>().ok())
        .with_context(|| format!("no tps in pgbench's output: {text}"))?;
    let latency = text
        .lines()
        .find(|l| l.starts_with("latency average"))
        .unwrap_or_default();
    println!("pgbench {what:>10}: {tps:.0} tx/s ({latency})");
    Ok(tps)
}

/// Who writes in [`sqlite_inserts`]: each task with a connection of its
/// own (waiting in SQLite's busy handler for the lock), or all through one,
/// as the portal's store does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Writers {
    Many,
    One,
}

/// SQLite's own rate of a submission's three inserts, `per_commit` of them
/// in each transaction, from as many tasks as the portal has clients, on
/// the portal's database file.
async fn sqlite_inserts(
    url: &str,
    w: &Work,
    a: &Args,
    writers: Writers,
    per_commit: u64,
) -> anyhow::Result<f64> {
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions, SqliteSynchronous};
    use std::str::FromStr;
    let options = SqliteConnectOptions::from_str(url)?
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    let pool = SqlitePoolOptions::new()
        .max_connections(if writers == Writers::One { 1 } else { 8 })
        .connect_with(options)
        .await?;
    let until = Instant::now() + Duration::from_secs(a.seconds);
    let started = Instant::now();
    let account = uuid::Uuid::parse_str(&w.account)?;
    let sealed: Vec<u8> = (0..w.sealed.max(0)).map(|_| rand::random::<u8>()).collect();
    let mut tasks = Vec::new();
    for _ in 0..a.clients.max(1) {
        let (pool, sealed, now) = (pool.clone(), sealed.clone(), w.now);
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < until {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                for _ in 0..per_commit {
                    let id = uuid::Uuid::now_v7();
                    sqlx::query(
                        "INSERT INTO applications (id, account_id, service, status, version, key_id, sealed, \
                         number, late, created_at, updated_at, submitted_at) \
                         VALUES ($1, $2, 'address-reference', 'submitted', 3, 'load', $3, $4, 0, $5, $5, $5)",
                    )
                    .bind(id)
                    .bind(account)
                    .bind(&sealed)
                    .bind(format!("B-{id}"))
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(
                        "INSERT INTO application_events (id, application_id, at, actor_id, from_status, \
                         to_status, note) VALUES ($1, $2, $3, $4, 'draft', 'submitted', NULL)",
                    )
                    .bind(uuid::Uuid::now_v7())
                    .bind(id)
                    .bind(now)
                    .bind(account)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(
                        "INSERT INTO jobs (id, kind, payload, dedup_key, run_at, attempts, max_attempts, \
                         created_at) VALUES ($1, 'bench', $2, $3, $4, 0, 10, $5)",
                    )
                    .bind(uuid::Uuid::now_v7())
                    .bind(format!("{{\"application\":\"{id}\"}}"))
                    .bind(format!("bench:{id}"))
                    .bind(now + 365 * 86_400_000)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                n += per_commit;
            }
            anyhow::Ok(n)
        }));
    }
    let mut done = 0;
    for t in tasks {
        done += t.await??;
    }
    let rate = done as f64 / started.elapsed().as_secs_f64();
    pool.close().await;
    let how = match writers {
        Writers::Many => ": ".to_owned(),
        Writers::One => format!(" through one connection, {per_commit} a commit: "),
    };
    let unit = if per_commit == 1 {
        "tx/s"
    } else {
        "submissions/s"
    };
    println!(
        "sqlite  submission{how}{rate:.0} {unit} ({done} in {} s)",
        a.seconds
    );
    Ok(rate)
}
