//! A read-only streaming standby (made by `scripts/pg-standby`, reached
//! through MIGPORTAL_TEST_STANDBY_URL) serves people's status reads and
//! lists, and a person never reads less than they themselves changed: not
//! right after a change, not while the standby is held back, and nobody
//! reads from a standby further behind than the bound.

use crate::applications::{call, confirmed_citizen, confirmed_sidorov};
use crate::support::*;
use reqwest::Method;
use serde_json::json;
use std::time::{Duration, Instant};

const STANDBY_ENV: &str = "MIGPORTAL_TEST_STANDBY_URL";

/// The standby's admin URL, or `None` (said, or a failure where CI requires it).
fn standby() -> Option<String> {
    let url = std::env::var(STANDBY_ENV).ok().filter(|u| !u.is_empty());
    let primary = std::env::var(store::testing::POSTGRES_ENV).ok();
    if url.is_none() || primary.is_none() {
        assert!(
            std::env::var("MIGPORTAL_REQUIRE_STANDBY").is_err(),
            "{STANDBY_ENV} and the PostgreSQL URL are required"
        );
        eprintln!("SKIPPED: no standby ({STANDBY_ENV}; make one with scripts/pg-standby)");
        return None;
    }
    url
}

/// `url` with its database replaced by `name`.
fn on_database(url: &str, name: &str) -> String {
    let (base, _) = url.rsplit_once('/').unwrap_or((url, ""));
    format!("{base}/{name}")
}

async fn on_standby(url: &str, sql: &str) {
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&mut c)
        .await
        .unwrap();
}

/// Reads the standby's counters off /metrics: (served there, sent to the primary).
async fn counts(app: &TestApp) -> (u64, u64) {
    let text = app
        .client
        .get(format!("{}/metrics", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let of = |to: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("migportal_standby_reads_total{{to=\"{to}\"}} ")))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no standby counter in {text}"))
    };
    (of("standby"), of("primary"))
}

/// A new draft of the internal passport: its id and the answer.
async fn new_draft(app: &TestApp, token: &str) -> (String, serde_json::Value) {
    let (status, _, draft) = call(
        app,
        Method::POST,
        "/applications",
        token,
        &[],
        Some(json!({"service": "passport-internal"})),
    )
    .await;
    assert_eq!(status, 201, "{draft}");
    (draft["id"].as_str().unwrap().to_owned(), draft)
}

/// The person's application as read now: its version, and the version the list shows.
async fn versions(app: &TestApp, token: &str, id: &str) -> (i64, i64) {
    let (status, _, one) = call(
        app,
        Method::GET,
        &format!("/applications/{id}"),
        token,
        &[],
        None,
    )
    .await;
    assert_eq!(status, 200, "{one}");
    let (status, _, list) = call(app, Method::GET, "/applications", token, &[], None).await;
    assert_eq!(status, 200, "{list}");
    let listed = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .map(|i| i["version"].as_i64().unwrap())
        .unwrap_or(0);
    (one["version"].as_i64().unwrap(), listed)
}

#[tokio::test]
async fn the_standby_serves_reads_and_people_read_their_own_writes() {
    let Some(standby) = standby() else { return };
    // A run stopped midway may have left replay paused.
    on_standby(&standby, "SELECT pg_wal_replay_resume()").await;
    let app = TestApp::spawn_config("postgres", false, |c| {
        let name = c
            .database_url
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        c.database_read_url = Some(on_database(&standby, &name));
        c.standby_max_lag_ms = 2_000;
    })
    .await;
    let me = confirmed_citizen(&app, "+79161112233").await;
    let other = confirmed_sidorov(&app, "+79162223344").await;
    // Theirs first: the standby that holds my draft holds theirs too.
    let (their_id, _) = new_draft(&app, &other).await;
    let (id, draft) = new_draft(&app, &me).await;

    // Right after the change, and until the standby serves: always the draft.
    let deadline = Instant::now() + Duration::from_secs(10);
    let before = counts(&app).await;
    loop {
        assert_eq!(versions(&app, &me, &id).await, (1, 1));
        if counts(&app).await.0 > before.0 {
            break;
        }
        assert!(Instant::now() < deadline, "the standby never served a read");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The standby held back: what I change now it does not have, so my reads
    // go to the primary and show it, each time.
    on_standby(&standby, "SELECT pg_wal_replay_pause()").await;
    let mut answers = draft["answers"].clone();
    answers["reason"] = json!("unfit");
    let (status, _, saved) = call(
        &app,
        Method::PUT,
        &format!("/applications/{id}"),
        &me,
        &[("If-Match", "\"1\"")],
        Some(json!({"answers": answers})),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    let held = Instant::now();
    let mut theirs_served = false;
    while held.elapsed() < Duration::from_millis(3_000) {
        let (served, _) = counts(&app).await;
        assert_eq!(
            versions(&app, &me, &id).await,
            (2, 2),
            "never the stale draft"
        );
        let (served_after_mine, _) = counts(&app).await;
        assert_eq!(served, served_after_mine, "my reads went to the primary");
        // Someone who changed nothing since reads there while it is near
        // enough, and not once it is further behind than the bound.
        assert_eq!(versions(&app, &other, &their_id).await, (1, 1));
        let (served_after_theirs, _) = counts(&app).await;
        if held.elapsed() < Duration::from_millis(1_000) {
            theirs_served |= served_after_theirs > served_after_mine;
        }
        if held.elapsed() > Duration::from_millis(2_500) {
            assert_eq!(
                served_after_theirs, served_after_mine,
                "a standby 2.5 s behind serves nobody (bound 2 s)"
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(theirs_served, "the standby served others while near enough");

    // Let go, it catches up and serves me again, with my change.
    on_standby(&standby, "SELECT pg_wal_replay_resume()").await;
    let before = counts(&app).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        assert_eq!(versions(&app, &me, &id).await, (2, 2));
        if counts(&app).await.0 > before.0 {
            break;
        }
        assert!(Instant::now() < deadline, "the standby did not serve again");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.stop().await;
}

/// A `database_read_url` that is not a standby of the primary (here the
/// primary itself) serves nobody: every read goes to the primary.
#[tokio::test]
async fn a_read_url_that_is_no_standby_serves_nobody() {
    if standby().is_none() {
        return;
    }
    let app = TestApp::spawn_config("postgres", false, |c| {
        c.database_read_url = Some(c.database_url.clone());
    })
    .await;
    let me = confirmed_citizen(&app, "+79161112233").await;
    let (id, _) = new_draft(&app, &me).await;
    for _ in 0..10 {
        assert_eq!(versions(&app, &me, &id).await, (1, 1));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (served, declined) = counts(&app).await;
    assert_eq!(served, 0, "the primary is no standby of itself");
    assert!(declined >= 20, "{declined}");
    app.stop().await;
}

/// A request that changes something and then reads it back (cancelling
/// answers with the application as it now stands) reads the primary, even
/// when the standby already holds everything the person did before.
#[tokio::test]
async fn a_request_reads_what_it_has_just_changed() {
    let Some(standby) = standby() else { return };
    on_standby(&standby, "SELECT pg_wal_replay_resume()").await;
    let app = TestApp::spawn_config("postgres", false, |c| {
        let name = c
            .database_url
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        c.database_read_url = Some(on_database(&standby, &name));
    })
    .await;
    let me = confirmed_citizen(&app, "+79161112233").await;
    let id = crate::lifecycle::sent(&app, &me, "passport-internal").await;
    // The standby holds all of it: it serves my reads.
    let before = counts(&app).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, _, now) = call(
            &app,
            Method::GET,
            &format!("/applications/{id}"),
            &me,
            &[],
            None,
        )
        .await;
        assert_eq!(now["status"], "submitted", "{now}");
        if counts(&app).await.0 > before.0 {
            break;
        }
        assert!(Instant::now() < deadline, "the standby never served a read");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Held back, it will not have the cancellation; the answer must.
    on_standby(&standby, "SELECT pg_wal_replay_pause()").await;
    let (status, _, cancelled) = call(
        &app,
        Method::POST,
        &format!("/applications/{id}/cancel"),
        &me,
        &[],
        None,
    )
    .await;
    on_standby(&standby, "SELECT pg_wal_replay_resume()").await;
    assert_eq!(
        (status, cancelled["status"].as_str()),
        (200, Some("cancelled")),
        "{cancelled}"
    );
    app.stop().await;
}
