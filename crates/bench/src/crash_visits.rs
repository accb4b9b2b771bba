//! Bookings in the crash load (issue 22, item 1): beside the clients that
//! send applications, each booking client, as a person of its own with an
//! application the office accepted, books a visit, moves it and cancels it,
//! over and over, at an office of its own whose slots have one window each
//! (so clients meet on a slot and the loser is refused `visit.taken`).
//! Bookings and moves carry an `Idempotency-Key`; a request the fault cut
//! is sent again, with the same key, until it is answered.
//!
//! Afterwards, from the database: each application holds exactly one
//! appointment row per acknowledged booking or move, its live booking is
//! the last one acknowledged (none after a cancel), its status, history
//! and audit events match what was acknowledged, the live visit has its
//! invitation (and no job failed for one moved away from), and
//! every slot's taken places equal its live bookings (a place taken by a
//! booking that rolled back, or freed twice, would show). Each booking
//! sent again with its key changes nothing.

use crate::crash::{Refused, answered};
use anyhow::{Context, anyhow};
use domain::account::AssuranceLevel;
use rand::Rng;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::RwLock;
use std::sync::atomic::AtomicUsize;
use std::time::Instant;
use uuid::Uuid;

/// The service booked for: one visit, its fee due at the invitation (the
/// applications here carry no charge, so none is due).
const SERVICE: &str = "passport-internal";

/// A booking client: its person's token and the accepted application.
pub struct Visitor {
    pub token: String,
    pub application: Uuid,
}

/// The office the booking clients share, and one visitor per client.
pub struct Visitors {
    pub office: Uuid,
    pub people: Vec<Visitor>,
}

/// One acknowledged step of a booking client, in the order answered.
#[derive(Clone, Debug)]
pub enum Step {
    /// Booked (`fresh`) or moved to `start_ms`, with the request's key.
    Booked {
        start_ms: i64,
        key: String,
        fresh: bool,
    },
    Cancelled,
}

/// Application → (its visitor's index, the steps acknowledged).
pub type Acknowledged = BTreeMap<Uuid, (usize, Vec<Step>)>;

/// An office receiving every day 08:00–20:00 in half-hour slots of one
/// window, and `n` people each with an accepted application there; made in
/// the store (the portal's own submission is what the other clients load).
pub async fn prepare(
    store: &std::sync::Arc<dyn store::Store>,
    vault: &store::vault::Vault,
    n: usize,
) -> anyhow::Result<Visitors> {
    let now = app::system_clock();
    let office = store::Office {
        id: Uuid::now_v7(),
        code: "999-022".into(),
        name: "ОВМ для проверки отказов".into(),
        address: "Москва, ул. Отказоустойчивая, 22".into(),
        time_zone: "Europe/Moscow".into(),
        // No territory: the submissions go on being routed as before.
        territory: vec![],
    };
    let day = vec![domain::schedule::Span {
        from: 480,
        to: 1200,
        windows: 1,
    }];
    let input = app::visits::ScheduleInput {
        schedule: domain::schedule::Schedule {
            week: std::array::from_fn(|_| day.clone()),
            exceptions: vec![],
            services: Default::default(),
        },
        slot_minutes: 30,
        rules: domain::schedule::BookingRules {
            horizon_days: 30,
            lead_minutes: 0,
            cutoff_minutes: 60,
            max_moves: 2,
        },
    };
    crate::availability::open_office(store, &office, &input, now).await?;
    let mut people = Vec::with_capacity(n);
    for i in 0..n {
        let account = Uuid::now_v7();
        store
            .create_account(
                crate::people::account_of(
                    account,
                    AssuranceLevel::Confirmed,
                    ("Посетителева", "Анна", None),
                    &format!("visitor{i}"),
                    "-",
                ),
                None,
                now,
            )
            .await?;
        let application = accepted(store, vault, account, office.id, now).await?;
        let token = crate::people::bearer_session(store, account).await?;
        people.push(Visitor { token, application });
    }
    Ok(Visitors {
        office: office.id,
        people,
    })
}

/// A submitted application of `account` at `office`, accepted.
async fn accepted(
    s: &std::sync::Arc<dyn store::Store>,
    vault: &store::vault::Vault,
    account: Uuid,
    office: Uuid,
    now: i64,
) -> anyhow::Result<Uuid> {
    let id = Uuid::now_v7();
    let sealed = vault.seal(&format!("applications:{id}:sealed"), b"{}")?;
    s.create_draft(
        store::NewDraft {
            id,
            account_id: account,
            service: SERVICE.into(),
            key_id: vault.key_id().into(),
            sealed: sealed.clone(),
        },
        None,
        now,
    )
    .await?;
    s.submit_application(
        store::Submission {
            id,
            account_id: account,
            version: 1,
            key_id: vault.key_id().into(),
            sealed,
            open_key: None,
            late: false,
            year: app::today(now).year(),
            files: vec![],
            notice: None,
            office_id: Some(office),
            deadline: None,
            consent: None,
            charge: None,
            jobs: vec![],
        },
        None,
        now,
    )
    .await?;
    s.transition(
        store::Transition {
            id,
            version: 2,
            from: domain::application::Status::Submitted,
            to: domain::application::Status::Accepted,
            by: store::StepBy::System,
            note: None,
            jobs: vec![],
            answers: None,
            consent: None,
        },
        now,
    )
    .await?;
    Ok(id)
}

/// Books, moves and cancels until the deadline; every request sent again
/// (bookings with their key) until the portal answers it.
pub async fn client_loop(
    http: &reqwest::Client,
    api: &RwLock<String>,
    office: Uuid,
    v: &Visitor,
    client: usize,
    deadline: Instant,
    retried: &AtomicUsize,
) -> anyhow::Result<Vec<Step>> {
    let mut steps = Vec::new();
    let mut n = 0;
    let mut at: Option<i64> = None;
    while Instant::now() < deadline {
        n += 1;
        if at.is_none() || n % 3 == 2 {
            // Book, or move the booking elsewhere.
            let (start_ms, key) = book_somewhere(
                http,
                api,
                office,
                v,
                at,
                &format!("visit-{client}-{n}"),
                retried,
            )
            .await?;
            steps.push(Step::Booked {
                start_ms,
                key,
                fresh: at.is_none(),
            });
            at = Some(start_ms);
        } else {
            let id = v.application;
            match answered(api, &v.token, retried, |api| {
                http.delete(format!("{api}/applications/{id}/appointment"))
            })
            .await
            {
                Ok(_) => {}
                // Sent again after it went through: nothing left to cancel.
                Err(e) if is_refusal(&e, "visit.none") => {}
                Err(e) => return Err(e),
            }
            steps.push(Step::Cancelled);
            at = None;
        }
    }
    Ok(steps)
}

fn is_refusal(e: &anyhow::Error, code: &str) -> bool {
    Refused::of(e).is_some_and(|r| r.body["code"] == code)
}

/// Books one of the office's first free slots (not `away_from`), another
/// when a client took it first: its start and the key that booked it.
async fn book_somewhere(
    http: &reqwest::Client,
    api: &RwLock<String>,
    office: Uuid,
    v: &Visitor,
    away_from: Option<i64>,
    key: &str,
    retried: &AtomicUsize,
) -> anyhow::Result<(i64, String)> {
    let id = v.application;
    // From three days on: no reminder falls due during the run.
    let today = app::today(app::system_clock());
    let (from, to) = (
        today + time::Duration::days(3),
        today + time::Duration::days(10),
    );
    for attempt in 0..50 {
        let free = answered(api, &v.token, retried, |api| {
            http.get(format!(
                "{api}/offices/{office}/availability?service={SERVICE}&from={from}&to={to}"
            ))
        })
        .await?;
        let starts: Vec<i64> = free["slots"]
            .as_array()
            .context("no slots")?
            .iter()
            .filter_map(|s| s["start_ms"].as_i64())
            .filter(|s| Some(*s) != away_from)
            .take(12)
            .collect();
        if starts.is_empty() {
            return Err(anyhow!("no free slot at the office: {free}"));
        }
        let pick = rand::thread_rng().gen_range(0..starts.len());
        let start_ms = starts[pick];
        let key = format!("{key}-{attempt}");
        match answered(api, &v.token, retried, |api| {
            http.put(format!("{api}/applications/{id}/appointment"))
                .header("Idempotency-Key", key.clone())
                .json(&json!({ "start_ms": start_ms }))
        })
        .await
        {
            Ok(_) => return Ok((start_ms, key)),
            // Another client's booking came first: choose again.
            Err(e) if is_refusal(&e, "visit.taken") => {}
            Err(e) => return Err(e),
        }
    }
    Err(anyhow!("fifty tries and no slot booked"))
}

/// What one application holds, read back.
#[derive(sqlx::FromRow)]
struct Held {
    id: Uuid,
    status: String,
    appointments: i64,
    live: Option<i64>,
    live_id: Option<Uuid>,
    moved: i64,
    cancelled: i64,
    invited: i64,
    unbooked: i64,
    audited: i64,
}

/// Counts for the report: (bookings and moves acknowledged, cancels).
pub struct Found {
    pub booked: usize,
    pub cancelled: usize,
    pub fresh: usize,
}

/// Every application at the office holds exactly what its client was
/// answered; every slot's taken places are its live bookings.
pub async fn verify(url: &str, office: Uuid, acknowledged: &Acknowledged) -> anyhow::Result<Found> {
    const HELD: &str = "SELECT a.id, a.status, \
        (SELECT COUNT(*) FROM appointments p WHERE p.application_id = a.id) AS appointments, \
        (SELECT p.start_ms FROM appointments p WHERE p.application_id = a.id AND p.status = 'booked') AS live, \
        (SELECT p.id FROM appointments p WHERE p.application_id = a.id AND p.status = 'booked') AS live_id, \
        (SELECT COUNT(*) FROM appointments p WHERE p.application_id = a.id AND p.status = 'moved') AS moved, \
        (SELECT COUNT(*) FROM appointments p WHERE p.application_id = a.id AND p.status = 'cancelled') AS cancelled, \
        (SELECT COUNT(*) FROM application_events e WHERE e.application_id = a.id AND e.to_status = 'invited') AS invited, \
        (SELECT COUNT(*) FROM application_events e WHERE e.application_id = a.id AND e.from_status = 'invited' AND e.to_status = 'accepted') AS unbooked, \
        (SELECT COUNT(*) FROM audit_events l WHERE l.subject_id = a.id AND l.action = 'visit.booked') AS audited \
        FROM applications a WHERE a.office_id = $1";
    // A place taken per live booking (each visit here is one slot long).
    const SLOTS: &str = "SELECT s.start_ms, s.taken, \
        (SELECT COUNT(*) FROM appointments p WHERE p.office_id = s.office_id AND p.start_ms = s.start_ms \
         AND p.status = 'booked') FROM slot_places s WHERE s.office_id = $1";
    const INVITATION: &str = "SELECT COUNT(*) FROM documents WHERE source = $1";
    let held: Vec<Held> = crate::crash::rows(url, HELD, office).await?;
    let slots: Vec<(i64, i64, i64)> = crate::crash::rows(url, SLOTS, office).await?;
    let mut problems = Vec::new();
    let mut found = Found {
        booked: 0,
        cancelled: 0,
        fresh: 0,
    };
    for h in &held {
        let steps = acknowledged
            .get(&h.id)
            .map_or(&[][..], |(_, s)| s.as_slice());
        let booked = steps
            .iter()
            .filter(|s| matches!(s, Step::Booked { .. }))
            .count();
        let fresh = steps
            .iter()
            .filter(|s| matches!(s, Step::Booked { fresh: true, .. }))
            .count();
        let cancelled = steps.len() - booked;
        let last = match steps.last() {
            Some(Step::Booked { start_ms, .. }) => Some(*start_ms),
            _ => None,
        };
        let status = if last.is_some() {
            "invited"
        } else {
            "accepted"
        };
        // Each booking's row ends moved (a move followed it), cancelled,
        // or live (the last).
        let moves = booked - fresh;
        let want = (
            booked, last, moves, cancelled, status, fresh, cancelled, booked,
        );
        let got = (
            usize::try_from(h.appointments)?,
            h.live,
            usize::try_from(h.moved)?,
            usize::try_from(h.cancelled)?,
            h.status.as_str(),
            usize::try_from(h.invited)?,
            usize::try_from(h.unbooked)?,
            usize::try_from(h.audited)?,
        );
        if want != got {
            problems.push(format!(
                "{}: answered (appointments, live, moved, cancelled, status, invited, unbooked, \
                 audited) {want:?}, holds {got:?}",
                h.id
            ));
        }
        // The live visit has its invitation (its source is unique: never two).
        if let Some(v) = h.live_id {
            let made =
                crate::crash::scalar(url, INVITATION, app::documents::invitation_source(v)).await?;
            if made != 1 {
                problems.push(format!("{}: no invitation for the live visit", h.id));
            }
        }
        found.booked += booked;
        found.fresh += fresh;
        found.cancelled += cancelled;
    }
    for (start_ms, taken, live) in &slots {
        if taken != live {
            problems.push(format!(
                "slot {start_ms}: {taken} places taken, {live} live bookings"
            ));
        }
    }
    if problems.is_empty() {
        Ok(found)
    } else {
        Err(anyhow!(
            "{} problems with bookings:\n{}",
            problems.len(),
            problems.join("\n")
        ))
    }
}

/// Every acknowledged booking and move sent again with its key: answered
/// with success (the application as it is now), and nothing done again
/// (the caller checks the same rows afterwards).
pub async fn replay(
    http: &reqwest::Client,
    api: &str,
    people: &[Visitor],
    acknowledged: &Acknowledged,
) -> anyhow::Result<usize> {
    let mut same = 0;
    for (id, (who, steps)) in acknowledged {
        for step in steps {
            let Step::Booked { start_ms, key, .. } = step else {
                continue;
            };
            let res = http
                .put(format!("{api}/applications/{id}/appointment"))
                .header("Idempotency-Key", key.clone())
                .bearer_auth(&people[*who].token)
                .json(&json!({ "start_ms": start_ms }))
                .send()
                .await?;
            let status = res.status();
            if !status.is_success() {
                let body: Value = res.json().await.unwrap_or(Value::Null);
                return Err(anyhow!(
                    "{id}: the booking at {start_ms} sent again with its key answered {status} {body}"
                ));
            }
            same += 1;
        }
    }
    Ok(same)
}
