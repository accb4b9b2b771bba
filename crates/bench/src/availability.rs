//! A month of an office's free times (SPEC §10, issue 18: under 20 ms on
//! PostgreSQL with 100 000 bookings): offices with reception schedules in
//! several time zones, bookings spread over their next two months (never
//! beyond a slot's windows), then `app::visits::availability` for thirty
//! days at a random office, as a request runs it.

use anyhow::{Context, anyhow};
use domain::schedule::{BookingRules, Schedule, Span};
use rand::Rng;
use sqlx::{Postgres, QueryBuilder};
use std::time::Instant;
use store::testing::TestDb;
use uuid::Uuid;

const KEY: &str = "b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3";
const ZONES: [&str; 5] = [
    "Europe/Kaliningrad",
    "Europe/Moscow",
    "Asia/Yekaterinburg",
    "Asia/Novosibirsk",
    "Asia/Kamchatka",
];
const SLOT_MINUTES: u16 = 15;
const WINDOWS: u16 = 5;
const HORIZON_DAYS: i64 = 60;
/// Rows per INSERT (PostgreSQL takes at most 65 535 parameters).
const BATCH: usize = 5_000;

fn schedule() -> Schedule {
    let day = vec![
        Span {
            from: 9 * 60,
            to: 13 * 60,
            windows: WINDOWS,
        },
        Span {
            from: 14 * 60,
            to: 18 * 60,
            windows: WINDOWS,
        },
    ];
    Schedule {
        week: [
            day.clone(),
            day.clone(),
            day.clone(),
            day.clone(),
            day,
            vec![],
            vec![],
        ],
        exceptions: vec![],
        services: Default::default(),
    }
}

struct Booked {
    office: Uuid,
    start_ms: i64,
}

pub async fn run(bookings: usize, offices: usize, rounds: usize) -> anyhow::Result<()> {
    let db = TestDb::new("postgres")
        .await
        .map_err(|e| anyhow!("{e} (set {})", store::testing::POSTGRES_ENV))?;
    let vault = store::vault::Vault::new("bench", KEY)?;
    let store = store::connect(&db.url, true, vault.audit_key()).await?;
    let portal = crate::portal(store.clone(), vault, app::catalogue::Catalogue::builtin()?);
    let now = app::system_clock();
    let today = app::today(now);
    let mut ids = Vec::new();
    let mut places: Vec<Vec<(i64, u16)>> = Vec::new();
    for i in 0..offices.max(1) {
        let zone = ZONES[i % ZONES.len()];
        let office = store::Office {
            id: Uuid::now_v7(),
            code: format!("9{:02}-{:03}", i / 1000, i % 1000),
            name: format!("Офис {i}"),
            address: format!("Адрес {i}"),
            time_zone: zone.into(),
            territory: vec![],
        };
        let input = app::visits::ScheduleInput {
            schedule: schedule(),
            slot_minutes: SLOT_MINUTES,
            rules: BookingRules {
                horizon_days: u16::try_from(HORIZON_DAYS)?,
                lead_minutes: 60,
                cutoff_minutes: 24 * 60,
                max_moves: 2,
            },
        };
        open_office(&store, &office, &input, now).await?;
        let tz = jiff_zone(zone)?;
        let slots = domain::schedule::slots(
            &input.schedule,
            &portal.calendar,
            &tz,
            SLOT_MINUTES,
            today,
            today + time::Duration::days(HORIZON_DAYS),
        );
        places.push(
            slots
                .iter()
                .filter(|s| s.start_ms > now)
                .map(|s| (s.start_ms, s.windows))
                .collect(),
        );
        ids.push(office.id);
    }
    let room: usize = places.iter().flatten().map(|(_, w)| usize::from(*w)).sum();
    if bookings > room {
        return Err(anyhow!(
            "{bookings} bookings do not fit the {room} places of {offices} offices"
        ));
    }
    // Bookings at random free places of the offices in turn.
    let mut rng = rand::thread_rng();
    let mut taken: Vec<Vec<u16>> = places.iter().map(|p| vec![0; p.len()]).collect();
    let mut booked = Vec::with_capacity(bookings);
    for i in 0..bookings {
        let mut o = i % ids.len();
        while taken[o].iter().zip(&places[o]).all(|(t, (_, w))| t >= w) {
            o = (o + 1) % ids.len();
        }
        let mut k = rng.gen_range(0..places[o].len());
        while taken[o][k] >= places[o][k].1 {
            k = (k + 1) % places[o].len();
        }
        taken[o][k] += 1;
        booked.push(Booked {
            office: ids[o],
            start_ms: places[o][k].0,
        });
    }
    let filled = Instant::now();
    fill(&db.url, &booked, &ids, &places, &taken, now).await?;
    println!(
        "filled {bookings} bookings at {} offices ({room} places over {HORIZON_DAYS} days) in {:.1} s",
        ids.len(),
        filled.elapsed().as_secs_f64()
    );
    // The measurement: a month of free times at a random office.
    let mut took = Vec::with_capacity(rounds);
    let mut slots_seen = 0;
    for round in 0..rounds + 10 {
        let office = ids[rng.gen_range(0..ids.len())];
        let from = today + time::Duration::days(i64::try_from(round % 7)?);
        let to = from + time::Duration::days(30);
        let t = Instant::now();
        let free = app::visits::availability(&portal, office, None, from, to)
            .await
            .map_err(|e| anyhow!("availability: {}", e.code))?;
        let d = t.elapsed();
        // The first rounds warm the pool and caches.
        if round >= 10 {
            took.push(d);
            slots_seen += free.len();
        }
    }
    println!(
        "availability, 30 days at one office, PostgreSQL, {bookings} bookings: {}; {} free slots per answer on average",
        crate::summary(took.clone()),
        slots_seen / rounds.max(1)
    );
    Ok(())
}

fn jiff_zone(zone: &str) -> anyhow::Result<domain::schedule::Zone> {
    domain::schedule::Zone::get(zone).with_context(|| zone.to_owned())
}

/// Accounts, applications (invited), their bookings and the slots' places,
/// in batches.
async fn fill(
    url: &str,
    booked: &[Booked],
    offices: &[Uuid],
    places: &[Vec<(i64, u16)>],
    taken: &[Vec<u16>],
    now: i64,
) -> anyhow::Result<()> {
    let pool = sqlx::PgPool::connect(url).await?;
    let people: Vec<(Uuid, Uuid)> = booked
        .iter()
        .map(|_| (Uuid::now_v7(), Uuid::now_v7()))
        .collect();
    for (chunk, rows) in people.chunks(BATCH).zip(booked.chunks(BATCH)) {
        let mut q: QueryBuilder<Postgres> = QueryBuilder::new(
            "INSERT INTO accounts (id, surname, given_name, password_hash, status, level, role, created_at, updated_at) ",
        );
        q.push_values(chunk, |mut b, (account, _)| {
            b.push_bind(*account)
                .push_bind("Бенчев")
                .push_bind("Тест")
                .push_bind("-")
                .push_bind(domain::account::AccountStatus::Active.as_str())
                .push_bind(domain::account::AssuranceLevel::Confirmed.as_str())
                .push_bind(domain::account::Role::Applicant.as_str())
                .push_bind(now)
                .push_bind(now);
        });
        q.build().execute(&pool).await?;
        let mut q: QueryBuilder<Postgres> = QueryBuilder::new(
            "INSERT INTO applications (id, account_id, service, status, version, key_id, sealed, number, \
             created_at, updated_at, submitted_at, office_id) ",
        );
        q.push_values(
            chunk.iter().zip(rows),
            |mut b, ((account, application), r)| {
                b.push_bind(*application)
                    .push_bind(*account)
                    .push_bind("passport-internal")
                    .push_bind(domain::application::Status::Invited.as_str())
                    .push_bind(3i64)
                    .push_bind("bench")
                    .push_bind(Vec::<u8>::new())
                    .push_bind(format!("B-{}", application.simple()))
                    .push_bind(now)
                    .push_bind(now)
                    .push_bind(now)
                    .push_bind(r.office);
            },
        );
        q.build().execute(&pool).await?;
        let mut q: QueryBuilder<Postgres> = QueryBuilder::new(
            "INSERT INTO appointments (id, application_id, office_id, start_ms, minutes, status, moves, created_at, updated_at) ",
        );
        q.push_values(chunk.iter().zip(rows), |mut b, ((_, application), r)| {
            b.push_bind(Uuid::now_v7())
                .push_bind(*application)
                .push_bind(r.office)
                .push_bind(r.start_ms)
                .push_bind(i64::from(SLOT_MINUTES))
                .push_bind(domain::schedule::VisitState::Booked.as_str())
                .push_bind(0i64)
                .push_bind(now)
                .push_bind(now);
        });
        q.build().execute(&pool).await?;
    }
    let counts: Vec<(Uuid, i64, i64, i64)> = offices
        .iter()
        .zip(places.iter().zip(taken))
        .flat_map(|(o, (p, t))| {
            p.iter()
                .zip(t)
                .filter(|(_, n)| **n > 0)
                .map(move |((start, w), n)| (*o, *start, i64::from(*w), i64::from(*n)))
        })
        .collect();
    for chunk in counts.chunks(BATCH) {
        let mut q: QueryBuilder<Postgres> =
            QueryBuilder::new("INSERT INTO slot_places (office_id, start_ms, capacity, taken) ");
        q.push_values(chunk, |mut b, (o, start, cap, n)| {
            b.push_bind(*o)
                .push_bind(*start)
                .push_bind(*cap)
                .push_bind(*n);
        });
        q.build().execute(&pool).await?;
    }
    sqlx::query("ANALYZE").execute(&pool).await?;
    pool.close().await;
    Ok(())
}

/// Makes `office` and saves its reception schedule, checked as an
/// administrator's would be.
pub(crate) async fn open_office(
    store: &std::sync::Arc<dyn store::Store>,
    office: &store::Office,
    input: &app::visits::ScheduleInput,
    now: i64,
) -> anyhow::Result<()> {
    store.upsert_office(office.clone(), vec![], now).await?;
    let admin = store::StaffActor {
        id: Uuid::now_v7(),
        role: domain::account::Role::Administrator,
        office_id: None,
    };
    store
        .save_schedule(
            input
                .stored(office.id)
                .map_err(|e| anyhow!("schedule: {}", e.code))?,
            store::Displacement::default(),
            &admin,
            now,
        )
        .await?;
    Ok(())
}
