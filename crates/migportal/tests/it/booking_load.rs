//! Issue 18's proof: a thousand booking requests at once for ten places —
//! through HTTP, against two `migportal serve` processes on one PostgreSQL
//! and against one instance on SQLite — and exactly ten bookings result.

use crate::support::*;
use crate::visits::accepted_at;
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::time::Instant;
use store::testing::{TestDb, backends};
use uuid::Uuid;

const PEOPLE: usize = 1000;
const PLACES: i64 = 10;

/// One hour a day, every day, with ten windows; booking from now on.
fn schedule() -> store::ReceptionSchedule {
    let day = vec![domain::schedule::Span {
        from: 600,
        to: 660,
        windows: u16::try_from(PLACES).unwrap(),
    }];
    store::ReceptionSchedule {
        office_id: Uuid::nil(),
        schedule: serde_json::to_string(&domain::schedule::Schedule {
            week: std::array::from_fn(|_| day.clone()),
            exceptions: vec![],
            services: Default::default(),
        })
        .unwrap(),
        slot_minutes: 60,
        horizon_days: 30,
        lead_minutes: 0,
        cutoff_minutes: 60,
        max_moves: 2,
    }
}

/// The first slot with all its places free, asked of `api`.
async fn empty_slot(client: &reqwest::Client, api: &str, office: Uuid) -> i64 {
    let from = app::today(app::system_clock());
    let to = from + time::Duration::days(5);
    let res = client
        .get(format!(
            "{api}/offices/{office}/availability?from={from}&to={to}"
        ))
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(res).await;
    assert_eq!(status, 200, "{body}");
    body["slots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["free"] == PLACES)
        .and_then(|s| s["start_ms"].as_i64())
        .unwrap()
}

/// Fires every person's booking at once (each through its own instance)
/// and counts the answers: (booked, taken).
async fn rush(people: Vec<(String, String, Uuid)>, start_ms: i64) -> (usize, usize) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let began = Instant::now();
    let answers: Vec<(u16, Value)> = futures_util::stream::iter(people)
        .map(|(api, token, id)| {
            let client = client.clone();
            async move {
                let res = client
                    .put(format!("{api}/applications/{id}/appointment"))
                    .bearer_auth(token)
                    .json(&json!({"start_ms": start_ms}))
                    .send()
                    .await
                    .unwrap();
                status_json(res).await
            }
        })
        .buffer_unordered(PEOPLE)
        .collect()
        .await;
    let (mut booked, mut taken) = (0, 0);
    for (status, body) in &answers {
        match status {
            200 => booked += 1,
            409 if body["code"] == "visit.taken" => taken += 1,
            other => panic!("{other}: {body}"),
        }
    }
    eprintln!(
        "{PEOPLE} booking requests for {PLACES} places answered in {} ms",
        began.elapsed().as_millis()
    );
    (booked, taken)
}

async fn office_with_schedule(s: &std::sync::Arc<dyn store::Store>, code: &str) -> Uuid {
    let office = store::Office {
        id: Uuid::now_v7(),
        code: code.into(),
        name: "ОВМ для нагрузки".into(),
        address: "Новосибирск".into(),
        time_zone: "Asia/Novosibirsk".into(),
        territory: vec!["54".into()],
    };
    let now = app::system_clock();
    s.upsert_office(office.clone(), vec![], now).await.unwrap();
    let by = store::StaffActor {
        id: Uuid::now_v7(),
        role: domain::account::Role::Administrator,
        office_id: None,
    };
    let mut sched = schedule();
    sched.office_id = office.id;
    s.save_schedule(sched, store::Displacement::default(), &by, now)
        .await
        .unwrap();
    office.id
}

#[tokio::test]
async fn a_thousand_requests_for_ten_places_on_one_sqlite_instance() {
    let app = TestApp::spawn_with("sqlite", false).await;
    let office = office_with_schedule(&app.running.store, "540-901").await;
    let people = accepted_at(
        &app.running.store,
        std::slice::from_ref(&app.api),
        office,
        PEOPLE,
    )
    .await;
    let start = empty_slot(&reqwest::Client::new(), &app.api, office).await;
    assert_eq!(
        rush(people, start).await,
        (PLACES as usize, PEOPLE - PLACES as usize)
    );
    let taken = app
        .running
        .store
        .taken_places(office, start, start + 1)
        .await
        .unwrap();
    assert_eq!(taken, vec![(start, PLACES)]);
    let booked = app
        .running
        .store
        .day_visits(office, start, start + 1)
        .await
        .unwrap();
    assert_eq!(booked.len(), PLACES as usize);
    app.stop().await;
}

#[tokio::test]
async fn a_thousand_requests_for_ten_places_on_two_instances_of_one_postgres() {
    if !backends().contains(&"postgres") {
        eprintln!("two instances: needs MIGPORTAL_TEST_POSTGRES_URL; skipped");
        return;
    }
    let db = TestDb::new("postgres").await.unwrap();
    let store = store::connect(&db.url, true, store::audit::AuditKey::derive(b"test"))
        .await
        .unwrap();
    let office = office_with_schedule(&store, "540-902").await;
    let (registry_url, _sim) = registry().await;
    let sms_url = {
        let app = axum::Router::new().route("/send", axum::routing::post(|| async { "ok" }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/send", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    };
    let a = crate::instances::spawn(&db.url, &registry_url, &sms_url);
    let b = crate::instances::spawn(&db.url, &registry_url, &sms_url);
    let apis = [format!("{}/api/v1", a.url), format!("{}/api/v1", b.url)];
    let people = accepted_at(&store, &apis, office, PEOPLE).await;
    let start = empty_slot(&reqwest::Client::new(), &apis[0], office).await;
    assert_eq!(
        rush(people, start).await,
        (PLACES as usize, PEOPLE - PLACES as usize)
    );
    assert_eq!(
        store.taken_places(office, start, start + 1).await.unwrap(),
        vec![(start, PLACES)]
    );
    assert_eq!(
        store
            .day_visits(office, start, start + 1)
            .await
            .unwrap()
            .len(),
        PLACES as usize
    );
    drop((a, b));
}
