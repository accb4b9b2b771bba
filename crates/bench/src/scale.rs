//! `migportal-bench scale`: PostgreSQL at a country's size (SPEC §10: 5
//! million accounts, 10 million applications), filled with `COPY`, then the
//! reads that grow with it timed as a request runs them (the `app` use
//! cases): an officer's queues at the busiest office, an applicant's list.
//!
//! The data: offices of very different sizes (Zipf-like weights, the
//! largest taking about a fifth of 85), applications over three years, UUIDv7 ids
//! in time order, each service as often as its share, statuses by age (the
//! last quarter's still moving, older ones finished), one to five history
//! events each, sealed answers of the size the vault makes of the service's
//! example answers (random bytes, as ciphertext is). Each application's
//! person is anyone at random (two per person on average: most hold one to
//! three, a few a dozen).

use anyhow::{Context, anyhow};
use domain::application::Status;
use rand::Rng;
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::Store;
use store::testing::TestDb;
use uuid::Uuid;

const KEY: &str = "c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4";
const DAY_MS: i64 = 86_400_000;
/// Rows per COPY buffer sent.
const CHUNK: usize = 20_000;

pub struct Args {
    pub accounts: usize,
    pub applications: usize,
    pub offices: usize,
    pub rounds: usize,
    /// Keep the database (for EXPLAIN by hand, or `--database` later),
    /// also when a measurement fails, and print its URL.
    pub keep: bool,
    /// Measure a database kept before instead of filling a new one.
    pub database: Option<String>,
    /// The queue and the lists over HTTP after the use cases (0 s: not).
    pub http: crate::scale_http::Run,
}

pub async fn run(a: Args) -> anyhow::Result<()> {
    if let Some(url) = &a.database {
        return measure_kept(url, &a).await;
    }
    let db = TestDb::new("postgres")
        .await
        .map_err(|e| anyhow!("{e} (set {})", store::testing::POSTGRES_ENV))?;
    let done = fill_and_measure(&a, &db.url).await;
    if a.keep {
        println!("kept: {}", db.url);
        std::mem::forget(db);
    }
    done
}

/// What the job migration 0026 queued does (the applicant's surname of the
/// applications closed before it, in batches), run here at once and timed,
/// as no worker runs in this tool; then the job is marked done.
async fn fill_surnames(store: &Arc<dyn Store>, pool: &sqlx::PgPool) -> anyhow::Result<()> {
    let kind = store::job_kind::FILL_APPLICANT_SURNAMES;
    let pending: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE kind = $1 AND done_at IS NULL")
            .bind(kind)
            .fetch_one(pool)
            .await?;
    if pending == 0 {
        return Ok(());
    }
    let t = Instant::now();
    let (mut after, mut batches, mut slowest) = (Uuid::nil(), 0u32, Duration::ZERO);
    loop {
        let b = Instant::now();
        let last = store
            .fill_applicant_surnames(after, app::jobs::FILL_BATCH)
            .await?;
        slowest = slowest.max(b.elapsed());
        match last {
            Some(last) => (after, batches) = (last, batches + 1),
            None => break,
        }
    }
    let fill = t.elapsed();
    // What autovacuum does soon after so many changed rows, done here at
    // once so the measurements below see the column's statistics.
    let t = Instant::now();
    sqlx::query("ANALYZE applications").execute(pool).await?;
    let analyze = t.elapsed();
    sqlx::query(
        "UPDATE jobs SET done_at = $2, outcome = 'done' WHERE kind = $1 AND done_at IS NULL",
    )
    .bind(kind)
    .bind(app::system_clock())
    .execute(pool)
    .await?;
    println!(
        "the applicant's surname of closed applications filled (migration 0026's job, run here): \
         {batches} batches of {} in {:.1} s, the slowest {:.0} ms; then ANALYZE of applications \
         in {:.1} s",
        app::jobs::FILL_BATCH,
        fill.as_secs_f64(),
        slowest.as_secs_f64() * 1000.0,
        analyze.as_secs_f64()
    );
    Ok(())
}

/// The measurements again on a database an earlier run kept: the busiest
/// office and the people of the most and of two applications found in it.
/// Kept by this version: its numbers continue the sequence and its busiest
/// office serves region 77 (older fills had neither, and their submissions
/// would collide or go unrouted).
async fn measure_kept(url: &str, a: &Args) -> anyhow::Result<()> {
    let rounds = a.rounds.max(1);
    let vault = store::vault::Vault::new("scale", KEY)?;
    let t = Instant::now();
    let store = store::connect(url, true, vault.audit_key()).await?;
    println!(
        "connected, with any new migrations applied, in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let pool = sqlx::PgPool::connect(url).await?;
    fill_surnames(&store, &pool).await?;
    let offices: Vec<Uuid> = sqlx::query_scalar(
        "SELECT office_id FROM applications WHERE office_id IS NOT NULL \
         AND status NOT IN ('draft', 'completed', 'rejected', 'cancelled') \
         GROUP BY office_id ORDER BY COUNT(*) DESC",
    )
    .fetch_all(&pool)
    .await?;
    let per_person = "SELECT account_id FROM applications GROUP BY account_id";
    let busy_person = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "{per_person} ORDER BY COUNT(*) DESC LIMIT 1"
    )))
    .fetch_one(&pool)
    .await?;
    let typical_person = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "{per_person} HAVING COUNT(*) = 2 LIMIT 1"
    )))
    .fetch_one(&pool)
    .await?;
    let made = Made {
        events: 0,
        busy_person,
        typical_person,
    };
    let catalogue = app::catalogue::Catalogue::builtin()?;
    let portal = crate::portal(store, vault, catalogue);
    let officer = measure(&portal, &pool, &offices, &made, rounds).await?;
    applicant_side(&portal, &pool, rounds).await?;
    pool.close().await;
    over_http(url, &portal, officer, &made, a).await
}

async fn fill_and_measure(a: &Args, url: &str) -> anyhow::Result<()> {
    let vault = store::vault::Vault::new("scale", KEY)?;
    let store = store::connect(url, true, vault.audit_key()).await?;
    let catalogue = app::catalogue::Catalogue::builtin()?;
    let now = app::system_clock();
    let today = app::today(now);
    // Sealed sizes: the service's example answers as the vault seals them.
    let mut services = Vec::new();
    for def in catalogue.services() {
        let size = match catalogue.example(&def.code, today) {
            Some(answers) => vault.seal("size", &serde_json::to_vec(&answers)?)?.len(),
            None => 512,
        };
        services.push((def.code.clone(), size));
    }
    let offices = make_offices(&store, a.offices.max(1), now).await?;
    let pool = sqlx::PgPool::connect(url).await?;
    let t = Instant::now();
    let people = copy_accounts(&pool, a.accounts.max(1), now).await?;
    println!(
        "accounts: {} in {:.1} s",
        a.accounts,
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let made = copy_applications(&pool, &people, a.applications, &offices, &services, now).await?;
    println!(
        "applications: {} with {} history events in {:.1} s",
        a.applications,
        made.events,
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    sqlx::query("ANALYZE").execute(&pool).await?;
    println!("ANALYZE in {:.1} s", t.elapsed().as_secs_f64());
    let size: String =
        sqlx::query_scalar("SELECT pg_size_pretty(pg_database_size(current_database()))")
            .fetch_one(&pool)
            .await?;
    println!("database size: {size}");

    let portal = crate::portal(store.clone(), vault, catalogue);
    let officer = measure(&portal, &pool, &offices, &made, a.rounds.max(1)).await?;
    applicant_side(&portal, &pool, a.rounds.max(1)).await?;
    pool.close().await;
    over_http(url, &portal, officer, &made, a).await
}

/// The same reads over HTTP, the portal a process of its own on this
/// database ([`crate::scale_http`]).
async fn over_http(
    url: &str,
    portal: &app::Portal,
    officer: Uuid,
    made: &Made,
    a: &Args,
) -> anyhow::Result<()> {
    let readers = crate::scale_http::Readers {
        officer,
        busy_person: made.busy_person,
        typical_person: made.typical_person,
    };
    crate::scale_http::measure(url, &portal.store, ("scale", KEY), &readers, &a.http).await
}

/// Offices, the first the busiest (weights 1/k).
async fn make_offices(
    store: &std::sync::Arc<dyn store::Store>,
    n: usize,
    now: i64,
) -> anyhow::Result<Vec<Uuid>> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let office = store::Office {
            id: Uuid::now_v7(),
            code: format!("8{:02}-{:03}", i / 1000, i % 1000),
            name: format!("Отделение {i}"),
            address: format!("Адрес {i}"),
            time_zone: "Europe/Moscow".into(),
            // The busiest serves Moscow: the applicant side's people live there.
            territory: if i == 0 { vec!["77".into()] } else { vec![] },
        };
        store.upsert_office(office.clone(), vec![], now).await?;
        ids.push(office.id);
    }
    Ok(ids)
}

/// Zipf-like choice of 0..n (weight 1/(k+1)), by inverting the harmonic sum.
fn zipf(rng: &mut StdRng, cumulative: &[f64]) -> usize {
    let total = cumulative.last().copied().unwrap_or(1.0);
    let x = rng.r#gen::<f64>() * total;
    cumulative
        .partition_point(|c| *c < x)
        .min(cumulative.len() - 1)
}

fn harmonic(n: usize) -> Vec<f64> {
    let mut acc = 0.0;
    (0..n)
        .map(|k| {
            acc += 1.0 / (k as f64 + 1.0);
            acc
        })
        .collect()
}

/// Common surnames, most common first (female forms: the generated people
/// are Вера Павловна); a person takes one of them by a Zipf-like weight
/// half the time, else one made of a root and an ending (some thousands).
const COMMON_SURNAMES: [&str; 20] = [
    "Иванова",
    "Смирнова",
    "Кузнецова",
    "Попова",
    "Васильева",
    "Петрова",
    "Соколова",
    "Михайлова",
    "Новикова",
    "Фёдорова",
    "Морозова",
    "Волкова",
    "Алексеева",
    "Лебедева",
    "Семёнова",
    "Егорова",
    "Павлова",
    "Козлова",
    "Степанова",
    "Николаева",
];
const ROOTS: [&str; 40] = [
    "Бел",
    "Чер",
    "Гром",
    "Ветр",
    "Зим",
    "Лет",
    "Осен",
    "Вес",
    "Рыб",
    "Кузьм",
    "Мельн",
    "Гончар",
    "Кравч",
    "Ткач",
    "Щерб",
    "Жук",
    "Сорок",
    "Ворон",
    "Орл",
    "Сокол",
    "Голуб",
    "Медвед",
    "Барс",
    "Лис",
    "Заяц",
    "Кедр",
    "Берез",
    "Дуб",
    "Клён",
    "Ряб",
    "Калин",
    "Малин",
    "Вишн",
    "Яблон",
    "Тополь",
    "Сосн",
    "Ель",
    "Рог",
    "Тур",
    "Лос",
];
const ENDINGS: [&str; 8] = ["ова", "ева", "ина", "ская", "цкая", "енко", "ук", "ич"];

/// The surname of the `i`-th generated person.
fn surname(i: usize) -> String {
    let h = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    if h.is_multiple_of(2) {
        // Rank r with weight 1/(r + 1), by inverting the harmonic sums roughly.
        let u = ((h >> 8) % 10_000) as f64 / 10_000.0;
        let rank = ((COMMON_SURNAMES.len() as f64 + 1.0).powf(u) - 1.0) as usize;
        COMMON_SURNAMES[rank.min(COMMON_SURNAMES.len() - 1)].to_owned()
    } else {
        let root = ROOTS[((h >> 16) % ROOTS.len() as u64) as usize];
        let ending = ENDINGS[((h >> 24) % ENDINGS.len() as u64) as usize];
        let middle = ["", "ан", "ов", "ен", "ин", "ар"][((h >> 32) % 6) as usize];
        format!("{root}{middle}{ending}")
    }
}

/// Accounts in COPY; their ids, in creation order.
async fn copy_accounts(pool: &sqlx::PgPool, n: usize, now: i64) -> anyhow::Result<Vec<Uuid>> {
    let mut conn = pool.acquire().await?;
    let mut copy = conn
        .copy_in_raw(
            "COPY accounts (id, surname, given_name, patronymic, phone, email, password_hash, status, \
             level, role, office_id, created_at, updated_at, lang) FROM STDIN",
        )
        .await?;
    let mut ids = Vec::with_capacity(n);
    let mut buf = String::with_capacity(CHUNK * 160);
    let start = now - 5 * 365 * DAY_MS;
    for i in 0..n {
        let at = start + (i as i64) * (5 * 365 * DAY_MS / n as i64).max(1);
        let id = v7(at, i as u64);
        ids.push(id);
        writeln!(
            buf,
            "{id}\t{}\tВера\tПавловна\t\\N\tp{i}@scale.invalid\t-\tactive\tstandard\tapplicant\t\\N\t{at}\t{at}\tru",
            surname(i)
        )?;
        if buf.len() > CHUNK * 150 {
            copy.send(std::mem::take(&mut buf).into_bytes()).await?;
        }
    }
    copy.send(buf.into_bytes()).await?;
    copy.finish().await?;
    Ok(ids)
}

/// A UUIDv7 of a moment, unique by `seq`.
fn v7(at_ms: i64, seq: u64) -> Uuid {
    let ms = u64::try_from(at_ms).unwrap_or(0);
    let mut b = [0u8; 16];
    b[0..6].copy_from_slice(&ms.to_be_bytes()[2..8]);
    b[6] = 0x70 | ((seq >> 56) as u8 & 0x0f);
    b[7] = (seq >> 48) as u8;
    b[8] = 0x80 | ((seq >> 40) as u8 & 0x3f);
    b[9..16].copy_from_slice(&seq.to_be_bytes()[1..8]);
    Uuid::from_bytes(b)
}

/// What the measurements need of the data made.
pub struct Made {
    events: usize,
    /// A person with the most applications, and one with a typical few.
    busy_person: Uuid,
    typical_person: Uuid,
}

/// The status of an application `age_days` old, and the path it took.
fn status_of(rng: &mut StdRng, age_days: i64) -> &'static [Status] {
    use Status::*;
    const DONE: &[Status] = &[Submitted, Accepted, InProduction, Ready, Completed];
    const REJECTED: &[Status] = &[Submitted, Accepted, Rejected];
    const CANCELLED: &[Status] = &[Submitted, Cancelled];
    let x = rng.r#gen::<f64>();
    if age_days > 90 {
        return match x {
            x if x < 0.85 => DONE,
            x if x < 0.92 => REJECTED,
            _ => CANCELLED,
        };
    }
    const OPEN: [&[Status]; 10] = [
        &[Draft],
        &[Submitted],
        &[Submitted, Returned],
        &[Submitted, Accepted],
        &[Submitted, Accepted, Invited],
        &[Submitted, Accepted, Invited, VisitDone],
        &[Submitted, Accepted, InProduction],
        &[Submitted, Accepted, InProduction, Ready],
        DONE,
        CANCELLED,
    ];
    const WEIGHTS: [f64; 10] = [0.05, 0.15, 0.03, 0.15, 0.10, 0.05, 0.20, 0.10, 0.14, 0.03];
    let mut acc = 0.0;
    for (path, w) in OPEN.iter().zip(WEIGHTS) {
        acc += w;
        if x < acc {
            return path;
        }
    }
    DONE
}

async fn copy_applications(
    pool: &sqlx::PgPool,
    people: &[Uuid],
    n: usize,
    offices: &[Uuid],
    services: &[(String, usize)],
    now: i64,
) -> anyhow::Result<Made> {
    let mut rng = StdRng::seed_from_u64(21);
    let office_weights = harmonic(offices.len());
    let mut apps = pool.acquire().await?;
    let mut events_conn = pool.acquire().await?;
    // As pg_restore --disable-triggers: the rows are consistent by
    // construction, so the per-row foreign-key checks are skipped (a
    // superuser's setting; without it the load is only slower).
    for c in [&mut apps, &mut events_conn] {
        let _ = sqlx::query("SET session_replication_role = replica")
            .execute(&mut **c)
            .await;
    }
    let mut copy = apps
        .copy_in_raw(
            "COPY applications (id, account_id, service, status, version, key_id, sealed, number, \
             open_key, late, created_at, updated_at, submitted_at, office_id, deadline, resubmitted, \
             applicant_surname) FROM STDIN",
        )
        .await?;
    let mut events = events_conn
        .copy_in_raw(
            "COPY application_events (id, application_id, at, actor_id, from_status, to_status, note) FROM STDIN",
        )
        .await?;
    let span = 3 * 365 * DAY_MS;
    let start = now - span;
    let mut buf = String::with_capacity(CHUNK * 2_000);
    let mut ev = String::with_capacity(CHUNK * 400);
    let mut sealed = Vec::new();
    // One counter across the years, as the portal's sequence (which is set
    // past it at the end, so that new submissions take the next numbers).
    let mut serial: i64 = 0;
    let mut per_person = vec![0u16; people.len()];
    let mut n_events = 0usize;
    for i in 0..n {
        let at = start + (i as i64) * (span / n.max(1) as i64).max(1);
        let id = v7(at, i as u64);
        // Anyone at random: with two per person on average, most have one
        // to three, a few a dozen.
        let p = rng.gen_range(0..people.len());
        per_person[p] = per_person[p].saturating_add(1);
        let (service, size) = &services[rng.gen_range(0..services.len())];
        let path = status_of(&mut rng, (now - at) / DAY_MS);
        let status = path.last().copied().unwrap_or(Status::Draft);
        let office = offices[zipf(&mut rng, &office_weights)];
        sealed.resize(*size, 0);
        rng.fill_bytes(&mut sealed);
        let year = time::OffsetDateTime::from_unix_timestamp(at / 1000)
            .map(|t| t.year())
            .unwrap_or(2026);
        let draft = status == Status::Draft;
        let (number, submitted, office_col, deadline) = if draft {
            (
                "\\N".to_owned(),
                "\\N".to_owned(),
                "\\N".to_owned(),
                "\\N".to_owned(),
            )
        } else {
            serial += 1;
            let due = time::OffsetDateTime::from_unix_timestamp((at + 30 * DAY_MS) / 1000)
                .map(|t| t.date().to_string())
                .unwrap_or_default();
            (
                domain::application::number(year, serial),
                at.to_string(),
                office.to_string(),
                due,
            )
        };
        write!(
            buf,
            "{id}\t{}\t{service}\t{}\t{}\tscale\t\\\\x",
            people[p],
            status.as_str(),
            path.len() + 1
        )?;
        buf.push_str(&hex::encode(&sealed));
        // The applicant's surname as the insert trigger would copy it
        // (triggers are off for this load): people[p] is made with surname(p).
        writeln!(
            buf,
            "\t{number}\t\\N\tf\t{at}\t{at}\t{submitted}\t{office_col}\t{deadline}\t{}\t{}",
            if status == Status::Submitted && rng.gen_ratio(1, 10) {
                "t"
            } else {
                "f"
            },
            surname(p)
        )?;
        let mut from = "draft";
        for (k, s) in path
            .iter()
            .enumerate()
            .filter(|(_, s)| **s != Status::Draft)
        {
            let when = at + (k as i64) * DAY_MS;
            writeln!(
                ev,
                "{}\t{id}\t{when}\t{}\t{from}\t{}\t\\N",
                v7(when, (i * 8 + k) as u64),
                people[p],
                s.as_str()
            )?;
            from = s.as_str();
            n_events += 1;
        }
        if buf.len() > CHUNK * 1_500 {
            // Both backends parse at once (two cores).
            let (a, e) = tokio::join!(
                copy.send(std::mem::take(&mut buf).into_bytes()),
                events.send(std::mem::take(&mut ev).into_bytes())
            );
            a?;
            e?;
        }
    }
    copy.send(buf.into_bytes()).await?;
    events.send(ev.into_bytes()).await?;
    copy.finish().await?;
    events.finish().await?;
    sqlx::query("SELECT setval('application_numbers', $1)")
        .bind(serial.max(1))
        .execute(pool)
        .await?;
    let busy = per_person
        .iter()
        .enumerate()
        .max_by_key(|(_, n)| **n)
        .map(|(i, _)| i)
        .unwrap_or(0);
    let typical = per_person.iter().position(|n| *n == 2).unwrap_or(0);
    Ok(Made {
        events: n_events,
        busy_person: people[busy],
        typical_person: people[typical],
    })
}

async fn measure(
    portal: &app::Portal,
    pool: &sqlx::PgPool,
    offices: &[Uuid],
    made: &Made,
    rounds: usize,
) -> anyhow::Result<Uuid> {
    use domain::lifecycle::Queue;
    let store = &portal.store;
    let busiest = offices[0];
    let officer = Uuid::now_v7();
    store
        .create_account(
            store::NewAccount {
                id: officer,
                surname: "Офицерова".into(),
                given_name: "Ольга".into(),
                patronymic: None,
                phone: None,
                email: Some(format!("officer-{officer}@scale.invalid")),
                password_hash: "-".into(),
                status: domain::account::AccountStatus::Active,
                level: domain::account::AssuranceLevel::Standard,
                role: domain::account::Role::Officer,
                office_id: Some(busiest),
                lang: "ru".into(),
            },
            None,
            app::system_clock(),
        )
        .await?;
    let actor = |id: Uuid| async move {
        let account = store.get_account(id).await?.context("no account")?;
        anyhow::Ok(app::session::Actor {
            account,
            token_hash: String::new(),
            csrf: String::new(),
        })
    };
    let staff = app::staff::Staff(actor(officer).await?);
    let open: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM applications WHERE office_id = $1 \
         AND status NOT IN ('draft', 'completed', 'rejected', 'cancelled')",
    )
    .bind(busiest)
    .fetch_one(pool)
    .await?;
    println!("the busiest office: {open} open applications");
    // The index walk at the core of the queue's statement (its ids only:
    // the page then joins the accounts and counts unread messages per row).
    let today = app::today(app::system_clock()).to_string();
    for (name, sql) in [
        (
            "all open",
            "SELECT a.id FROM applications a WHERE a.office_id = $1 \
             AND a.status NOT IN ('draft', 'completed', 'rejected', 'cancelled') \
             ORDER BY a.submitted_at, a.id LIMIT 50",
        ),
        (
            "overdue",
            "SELECT a.id FROM applications a WHERE a.office_id = $1 \
             AND a.status NOT IN ('draft', 'completed', 'rejected', 'cancelled') AND a.deadline < $2 \
             AND a.status IN ('submitted', 'accepted', 'invited', 'visit_done', 'in_production') \
             ORDER BY a.submitted_at, a.id LIMIT 50",
        ),
    ] {
        let plan: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}"
        )))
        .bind(busiest)
        .bind(&today)
        .fetch_all(pool)
        .await?;
        println!(
            "plan of «{name}» (its index walk):\n  {}",
            plan.join("\n  ")
        );
    }
    let queues: [(&str, Option<Queue>); 5] = [
        ("all open", None),
        ("new", Some(Queue::New)),
        ("accepted", Some(Queue::Accepted)),
        ("in production", Some(Queue::InProduction)),
        ("overdue", Some(Queue::Overdue)),
    ];
    for (name, queue) in queues {
        // Every other round the next page, as an officer leafs on.
        let (took, _) = timed_queue(portal, &staff, rounds, queue, None).await?;
        println!(
            "officer's queue «{name}», 50 a page: {}",
            crate::summary(took)
        );
    }
    // The officer's search by surname in the busiest office's open queue:
    // the commonest surname's prefix (11 % of people), one of 0.8 % and a
    // rare one (0.2 %).
    for (name, prefix) in [
        ("a common surname", "Иван"),
        ("a surname of the middle", "Николаев"),
        ("a rare surname", "Щербин"),
    ] {
        // The search's core (ids only; the store's statement also joins
        // the accounts and counts unread messages): which way the planner
        // goes, from the index by surname or along the queue.
        let plan: Vec<String> = sqlx::query_scalar(
            "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT a.id FROM applications a \
             WHERE a.office_id = $1 AND a.status NOT IN ('draft', 'completed', 'rejected', 'cancelled') \
             AND a.applicant_surname LIKE $2 \
             ORDER BY a.submitted_at, a.id LIMIT 50",
        )
        .bind(busiest)
        .bind(format!("{prefix}%"))
        .fetch_all(pool)
        .await?;
        println!("plan of the search «{prefix}…»:\n  {}", plan.join("\n  "));
        let (took, found) = timed_queue(portal, &staff, rounds, None, Some(prefix)).await?;
        println!(
            "officer's search by {name} («{prefix}…», {found} on the first page): {}",
            crate::summary(took)
        );
    }
    for (name, person) in [
        ("with the most applications", made.busy_person),
        ("with two", made.typical_person),
    ] {
        let me = actor(person).await?;
        let n = store.list_applications(person, None, 1000).await?.len();
        let mut took = Vec::with_capacity(rounds);
        for round in 0..rounds + 5 {
            let t = Instant::now();
            app::applications::list(portal, &me, None, 20)
                .await
                .map_err(|e| anyhow!("list: {}", e.code))?;
            if round >= 5 {
                took.push(t.elapsed());
            }
        }
        println!(
            "an applicant's list, first page, a person {name} ({n}): {}",
            crate::summary(took)
        );
    }
    Ok(officer)
}

/// The service the applicant side sends (as the load's `send`).
const SENT: &str = "address-reference";
/// Drafts a person of the applicant side holds at once (the portal's
/// limit is [`store::MAX_DRAFTS`]).
const DRAFTS_EACH: usize = 10;

/// The submission and the status read at this size, through the use cases
/// as a request runs them (the session aside): verified people registered
/// in Moscow (the busiest office's area) send drafts of [`SENT`] made
/// beforehand with its example answers, one at a time — the electronic
/// check, routing, the number, history, jobs and audit in one transaction
/// into tables of this size — then their applications are read back by
/// their owners at random.
async fn applicant_side(
    portal: &app::Portal,
    pool: &sqlx::PgPool,
    rounds: usize,
) -> anyhow::Result<()> {
    let today = app::today(app::system_clock());
    let answers = portal
        .catalogue
        .example(SENT, today)
        .context("no example answers")?;
    let mut drafts = Vec::with_capacity(rounds + 5);
    let senders = (rounds + 5).div_ceil(DRAFTS_EACH);
    // People of earlier runs on a kept database hold their SNILS still.
    let before: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM accounts WHERE email LIKE 'verified%@bench.invalid'",
    )
    .fetch_one(pool)
    .await?;
    let first = usize::try_from(before)?;
    let mut people = Vec::with_capacity(senders);
    for i in first..first + senders {
        people.push(crate::people::verified(portal, i).await?);
    }
    for round in 0..rounds + 5 {
        let me = &people[round % senders];
        let draft = app::applications::create(portal, me, SENT, None)
            .await
            .map_err(|e| anyhow!("draft: {}", e.code))?;
        let saved = app::applications::save(portal, me, draft.id, draft.version, &answers)
            .await
            .map_err(|e| anyhow!("save: {}", e.code))?;
        drafts.push((me, draft.id, saved.version));
    }
    let mut took = Vec::with_capacity(rounds);
    for (round, (me, id, version)) in drafts.iter().enumerate() {
        let t = Instant::now();
        let sent = app::applications::submit(portal, me, *id, Some(*version), None)
            .await
            .map_err(|e| anyhow!("submit: {}", e.code))?;
        if round >= 5 {
            took.push(t.elapsed());
        }
        if sent.status != Status::Submitted {
            return Err(anyhow!("submit: {id} is {:?}", sent.status));
        }
    }
    println!(
        "a submission into tables of this size (one at a time): {}",
        crate::summary(took)
    );
    let mut rng = StdRng::seed_from_u64(7);
    let mut took = Vec::with_capacity(rounds);
    for round in 0..rounds + 5 {
        let (me, id, _) = drafts[rng.gen_range(0..drafts.len())];
        let t = Instant::now();
        let read = app::applications::get(portal, me, id)
            .await
            .map_err(|e| anyhow!("status: {}", e.code))?;
        if round >= 5 {
            took.push(t.elapsed());
        }
        if read.number.is_none() {
            return Err(anyhow!("status: {id} has no number"));
        }
    }
    println!(
        "an application's status read by its owner: {}",
        crate::summary(took)
    );
    Ok(())
}

/// Times `rounds` pages of a queue (after 5 warm-ups) through the use case:
/// a search stays on its first page, a plain queue takes the next page every
/// other round. Returns the times and how many the last page held.
async fn timed_queue(
    portal: &app::state::Portal,
    staff: &app::staff::Staff,
    rounds: usize,
    queue: Option<domain::lifecycle::Queue>,
    search: Option<&str>,
) -> anyhow::Result<(Vec<std::time::Duration>, usize)> {
    let mut took = Vec::with_capacity(rounds);
    let mut cursor = None;
    let mut found = 0;
    for round in 0..rounds + 5 {
        let t = Instant::now();
        let page = app::cases::queue(
            portal,
            staff,
            app::cases::QueueFilter {
                queue,
                search: search.map(str::to_owned),
                service: None,
                after: cursor.clone(),
                limit: Some(50),
            },
        )
        .await
        .map_err(|e| anyhow!("queue: {}", e.code))?;
        if round >= 5 {
            took.push(t.elapsed());
        }
        found = page.items.len();
        cursor = if search.is_none() && round % 2 == 0 {
            page.next
        } else {
            None
        };
    }
    Ok((took, found))
}
