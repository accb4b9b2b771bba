//! Visits (issue 18, the first part): free times from an office's schedule,
//! booking that moves the application to `invited`, moving, bad slots, and
//! many people at once for a few places — over HTTP, on both databases.

use crate::applications::{call, confirmed_sidorov};
use crate::lifecycle::{act, case, office, sent};
use crate::support::*;
use reqwest::Method;
use serde_json::{Value, json};
use store::vault::Vault;
use uuid::Uuid;

pub(crate) const MOSCOW: &str = "01930000-0000-7000-8000-000000000001";
pub(crate) const NOVOSIBIRSK: &str = "01930000-0000-7000-8000-000000000003";

fn today() -> time::Date {
    app::today(app::system_clock())
}

pub(crate) async fn free(app: &TestApp, office: &str, days: i64) -> Vec<Value> {
    let from = today();
    let to = from + time::Duration::days(days);
    let (status, _, body) = call(
        app,
        Method::GET,
        &format!("/offices/{office}/availability?from={from}&to={to}"),
        "",
        &[],
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["slots"].as_array().unwrap().clone()
}

#[tokio::test]
async fn booking_moves_the_application_to_invited_and_a_move_frees_the_place() {
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let staff = office(&app).await;
        let citizen = confirmed_sidorov(&app, "+79161112233").await;
        let id = sent(&app, &citizen, "passport-foreign-old").await;
        crate::support::pay_fee(&app, &id).await;
        let path = format!("/applications/{id}/appointment");
        let slots = free(&app, MOSCOW, 10).await;
        assert!(!slots.is_empty());
        // Two days ahead at least: a booking can be moved until a day before.
        let later = app::system_clock() + 2 * 86_400_000;
        let first = slots
            .iter()
            .find(|s| s["start_ms"].as_i64().unwrap() > later)
            .unwrap()
            .clone();
        // Not yet accepted: no visit.
        let (status, _, body) = call(
            &app,
            Method::PUT,
            &path,
            &citizen,
            &[],
            Some(json!({"start_ms": first["start_ms"]})),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (409, Some("lifecycle.not_allowed")),
            "{body}"
        );
        let (_, c) = case(&app, &staff.moscow, &id).await;
        act(
            &app,
            &staff.moscow,
            &id,
            "accept",
            json!({"version": c["version"]}),
        )
        .await;
        // A time the office does not receive at.
        let (status, _, body) = call(
            &app,
            Method::PUT,
            &path,
            &citizen,
            &[],
            Some(json!({"start_ms": first["start_ms"].as_i64().unwrap() + 60_000})),
        )
        .await;
        assert_eq!(
            (status, body["errors"][0]["code"].as_str()),
            (422, Some("visit.not_a_slot")),
            "{body}"
        );
        let (status, _, body) = call(
            &app,
            Method::PUT,
            &path,
            &citizen,
            &[],
            Some(json!({"start_ms": first["start_ms"]})),
        )
        .await;
        assert_eq!(
            (status, body["status"].as_str()),
            (200, Some("invited")),
            "{body}"
        );
        let after = free(&app, MOSCOW, 10).await;
        let same = after
            .iter()
            .find(|s| s["start_ms"] == first["start_ms"])
            .map(|s| s["free"].clone());
        assert_eq!(same, Some(json!(first["free"].as_i64().unwrap() - 1)));
        // Moved to another time: the first place is free again.
        let second = after
            .iter()
            .find(|s| s["start_ms"] != first["start_ms"] && s["start_ms"].as_i64().unwrap() > later)
            .unwrap()
            .clone();
        let (status, _, body) = call(
            &app,
            Method::PUT,
            &path,
            &citizen,
            &[],
            Some(json!({"start_ms": second["start_ms"]})),
        )
        .await;
        assert_eq!(
            (status, body["status"].as_str()),
            (200, Some("invited")),
            "{body}"
        );
        let again = free(&app, MOSCOW, 10).await;
        let restored = again
            .iter()
            .find(|s| s["start_ms"] == first["start_ms"])
            .map(|s| s["free"].clone());
        assert_eq!(restored, Some(first["free"].clone()));
        // The history says when.
        let (_, _, history) = call(
            &app,
            Method::GET,
            &format!("/applications/{id}/history"),
            &citizen,
            &[],
            None,
        )
        .await;
        assert_eq!(
            history["items"].as_array().unwrap().last().unwrap()["to"],
            "invited"
        );
        // A service without a visit; another person's application; a broken range.
        let stay = sent(&app, &citizen, "registration-stay").await;
        let (status, _, body) = call(
            &app,
            Method::PUT,
            &format!("/applications/{stay}/appointment"),
            &citizen,
            &[],
            Some(json!({"start_ms": second["start_ms"]})),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (409, Some("visit.not_needed")),
            "{body}"
        );
        let other = app
            .login("applicant@demo.migportal.ru", "Demo-Applicant-2026")
            .await;
        let (status, _, _) = call(
            &app,
            Method::PUT,
            &path,
            &other,
            &[],
            Some(json!({"start_ms": second["start_ms"]})),
        )
        .await;
        assert_eq!(status, 404);
        let (status, _, body) = call(
            &app,
            Method::GET,
            &format!("/offices/{MOSCOW}/availability?from=2026-12-10&to=2026-12-01"),
            "",
            &[],
            None,
        )
        .await;
        assert_eq!(
            (status, body["errors"][0]["code"].as_str()),
            (422, Some("visit.bad_range")),
            "{body}"
        );
        app.stop().await;
    })
    .await;
}

/// Applicants made in the store directly (a confirmed account with an
/// application accepted at `office`), each signed in: many of them at once.
pub(crate) async fn accepted_applicants(
    app: &TestApp,
    office: Uuid,
    n: usize,
) -> Vec<(String, Uuid)> {
    accepted_at(
        &app.running.store,
        std::slice::from_ref(&app.api),
        office,
        n,
    )
    .await
    .into_iter()
    .map(|(_, token, id)| (token, id))
    .collect()
}

/// The same against any store, each person signed in through one of `apis`
/// in turn (sixteen made at a time): (api, token, application).
pub(crate) async fn accepted_at(
    store: &std::sync::Arc<dyn store::Store>,
    apis: &[String],
    office: Uuid,
    n: usize,
) -> Vec<(String, String, Uuid)> {
    use futures_util::StreamExt;
    let hash = app::credentials::password::hash(
        "Kapusta-Morkov-2026".into(),
        app::PasswordCost {
            memory_kib: 256,
            iterations: 1,
            parallelism: 1,
        },
    )
    .await
    .unwrap();
    // No cookie store: each request carries its own person's token only.
    let client = reqwest::Client::new();
    futures_util::stream::iter(0..n)
        .map(|i| {
            let (store, hash, client) = (store.clone(), hash.clone(), client.clone());
            let api = apis[i % apis.len()].clone();
            async move {
                let (email, id) = accepted_one(&store, hash, office, i).await;
                let res = client
                    .post(format!("{api}/sessions"))
                    .json(&json!({"login": email, "password": "Kapusta-Morkov-2026"}))
                    .send()
                    .await
                    .unwrap();
                let (status, body) = status_json(res).await;
                assert_eq!(status, 201, "{body}");
                (api, body["token"].as_str().unwrap().to_owned(), id)
            }
        })
        .buffer_unordered(16)
        .collect()
        .await
}

async fn accepted_one(
    s: &std::sync::Arc<dyn store::Store>,
    hash: String,
    office: Uuid,
    i: usize,
) -> (String, Uuid) {
    use store::{NewAccount, NewDraft, StepBy, Submission, Transition};
    let vault = Vault::new("k1", KEY).unwrap();
    let now = app::system_clock();
    let account = Uuid::now_v7();
    let email = format!("visitor{i}-{}@example.test", account.simple());
    s.create_account(
        NewAccount {
            id: account,
            surname: "Иванов".into(),
            given_name: "Иван".into(),
            patronymic: None,
            phone: None,
            email: Some(email.clone()),
            password_hash: hash,
            status: domain::account::AccountStatus::Active,
            level: domain::account::AssuranceLevel::Confirmed,
            role: domain::account::Role::Applicant,
            office_id: None,
            lang: "ru".into(),
        },
        None,
        now,
    )
    .await
    .unwrap();
    let id = Uuid::now_v7();
    let sealed = vault
        .seal(&format!("applications:{id}:sealed"), b"{}")
        .unwrap();
    s.create_draft(
        NewDraft {
            id,
            account_id: account,
            service: "passport-internal".into(),
            key_id: "k1".into(),
            sealed: sealed.clone(),
        },
        None,
        now,
    )
    .await
    .unwrap();
    s.submit_application(
        Submission {
            id,
            account_id: account,
            version: 1,
            key_id: "k1".into(),
            sealed,
            open_key: None,
            late: false,
            year: 2026,
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
    .await
    .unwrap();
    s.transition(
        Transition {
            id,
            version: 2,
            from: domain::application::Status::Submitted,
            to: domain::application::Status::Accepted,
            by: StepBy::System,
            note: None,
            jobs: vec![],
            answers: None,
            consent: None,
        },
        now,
    )
    .await
    .unwrap();
    (email, id)
}

#[tokio::test]
async fn many_people_at_once_for_ten_places_get_exactly_ten() {
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let staff = office(&app).await;
        // Novosibirsk receives for one hour on every day with ten windows.
        let day = vec![json!({"from": 600, "to": 660, "windows": 10})];
        let schedule = json!({
            "schedule": {"week": [day, day, day, day, day, day, day], "exceptions": []},
            "slot_minutes": 60,
            "rules": {"horizon_days": 30, "lead_minutes": 0, "cutoff_minutes": 60, "max_moves": 2}
        });
        let (status, _, body) = call(&app, Method::PUT, &format!("/admin/offices/{NOVOSIBIRSK}/schedule"), &staff.admin, &[], Some(schedule)).await;
        assert_eq!((status, body["displaced"].as_i64()), (200, Some(0)), "{body}");
        let (status, _, body) = call(&app, Method::PUT, &format!("/admin/offices/{NOVOSIBIRSK}/schedule"), &staff.moscow, &[], Some(json!({"schedule": {"week": [[],[],[],[],[],[],[]], "exceptions": []}, "slot_minutes": 60, "rules": {"horizon_days": 30, "lead_minutes": 0, "cutoff_minutes": 60, "max_moves": 2}}))).await;
        assert_eq!(status, 403, "an officer sets no schedule: {body}");
        let slot = free(&app, NOVOSIBIRSK, 5).await.into_iter().find(|s| s["free"] == 10).unwrap();
        let people = accepted_applicants(&app, Uuid::parse_str(NOVOSIBIRSK).unwrap(), 40).await;
        let mut tasks = Vec::new();
        for (token, id) in people {
            let (client, api, start) = (app.client.clone(), app.api.clone(), slot["start_ms"].clone());
            tasks.push(tokio::spawn(async move {
                let res = client
                    .put(format!("{api}/applications/{id}/appointment"))
                    .bearer_auth(token)
                    .json(&json!({"start_ms": start}))
                    .send()
                    .await
                    .unwrap();
                status_json(res).await
            }));
        }
        let (mut booked, mut taken) = (0, 0);
        for t in tasks {
            let (status, body) = t.await.unwrap();
            match status {
                200 => booked += 1,
                409 => {
                    assert_eq!(body["code"], "visit.taken", "{body}");
                    assert!(body["alternatives"].is_array(), "{body}");
                    taken += 1;
                }
                other => panic!("{other}: {body}"),
            }
        }
        assert_eq!((booked, taken), (10, 30));
        assert!(free(&app, NOVOSIBIRSK, 5).await.iter().all(|s| s["start_ms"] != slot["start_ms"]), "the slot is full");
        app.stop().await;
    })
    .await;
}

/// Reminders go out for the booking that is live, not for one moved away;
/// a cancelled booking frees its place and the application books anew.
#[tokio::test]
async fn reminders_follow_the_live_booking_and_a_cancel_frees_the_place() {
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let staff = office(&app).await;
        let citizen = confirmed_sidorov(&app, "+79161112233").await;
        let id = sent(&app, &citizen, "passport-foreign-old").await;
        crate::support::pay_fee(&app, &id).await;
        let (_, c) = case(&app, &staff.moscow, &id).await;
        act(
            &app,
            &staff.moscow,
            &id,
            "accept",
            json!({"version": c["version"]}),
        )
        .await;
        let later = app::system_clock() + 2 * 86_400_000;
        let slots: Vec<Value> = free(&app, MOSCOW, 10)
            .await
            .into_iter()
            .filter(|s| s["start_ms"].as_i64().unwrap() > later)
            .collect();
        let path = format!("/applications/{id}/appointment");
        for s in &slots[..2] {
            let (status, _, body) = call(
                &app,
                Method::PUT,
                &path,
                &citizen,
                &[],
                Some(json!({"start_ms": s["start_ms"]})),
            )
            .await;
            assert_eq!(status, 200, "{body}");
        }
        // Every reminder falls due now: only the live booking's are sent.
        sql(
            &app.db.url,
            "UPDATE jobs SET run_at = 0 WHERE kind = 'visit_reminder'",
        )
        .await;
        let reminded = || {
            app.sms
                .lock()
                .unwrap()
                .iter()
                .filter(|m| {
                    m["to"] == "+79161112233"
                        && m["text"].as_str().is_some_and(|t| t.contains("Напоминаем"))
                })
                .count()
        };
        eventually("two reminders", || async { reminded() >= 2 }).await;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        assert_eq!(
            reminded(),
            2,
            "a day and two hours before, for the live booking only"
        );
        // Someone else cannot cancel it.
        let other = app
            .login("applicant@demo.migportal.ru", "Demo-Applicant-2026")
            .await;
        let (status, _, _) = call(&app, Method::DELETE, &path, &other, &[], None).await;
        assert_eq!(status, 404);
        // Cancelled: the place is free, the application accepted again.
        let (status, _, body) = call(&app, Method::DELETE, &path, &citizen, &[], None).await;
        assert_eq!(
            (status, body["status"].as_str()),
            (200, Some("accepted")),
            "{body}"
        );
        let (status, _, body) = call(&app, Method::DELETE, &path, &citizen, &[], None).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (409, Some("visit.none")),
            "{body}"
        );
        let again = free(&app, MOSCOW, 10).await;
        let second = again
            .iter()
            .find(|s| s["start_ms"] == slots[1]["start_ms"])
            .unwrap();
        assert_eq!(second["free"], slots[1]["free"]);
        let (status, _, body) = call(
            &app,
            Method::PUT,
            &path,
            &citizen,
            &[],
            Some(json!({"start_ms": slots[1]["start_ms"]})),
        )
        .await;
        assert_eq!(
            (status, body["status"].as_str()),
            (200, Some("invited")),
            "{body}"
        );
        app.stop().await;
    })
    .await;
}

/// An invitation names the visit it was made for. Typeset after the person
/// moved or cancelled that visit (the worker busy or down meanwhile), it is
/// not made and its job does not fail; the live visit gets its own, once.
#[tokio::test]
async fn an_invitation_is_made_only_for_the_visit_still_booked() {
    each_backend(|backend| async move {
        // The portal serves without a worker: the jobs wait for one.
        let app = TestApp::spawn_config(backend, true, |c| c.run_worker = false).await;
        let people = accepted_applicants(&app, Uuid::parse_str(MOSCOW).unwrap(), 2).await;
        let later = app::system_clock() + 2 * 86_400_000;
        let starts: Vec<i64> = free(&app, MOSCOW, 10)
            .await
            .iter()
            .filter_map(|s| s["start_ms"].as_i64())
            .filter(|s| *s > later)
            .take(4)
            .collect();
        let (moved, cancelled) = (&people[0], &people[1]);
        for ((token, id), start) in [
            (moved, starts[0]),
            (moved, starts[1]),
            (cancelled, starts[2]),
        ] {
            let path = format!("/applications/{id}/appointment");
            let (status, _, body) = call(
                &app,
                Method::PUT,
                &path,
                token,
                &[],
                Some(json!({"start_ms": start})),
            )
            .await;
            assert_eq!(status, 200, "{body}");
        }
        let path = format!("/applications/{}/appointment", cancelled.1);
        let (status, _, body) = call(&app, Method::DELETE, &path, &cancelled.0, &[], None).await;
        assert_eq!(status, 200, "{body}");

        // A worker comes (its mail goes nowhere: nothing listens on port 9).
        let mut worker = crate::notifications::worker(&app, 9);
        let undone = "SELECT COUNT(*) FROM jobs WHERE kind = 'make_document' AND done_at IS NULL";
        for _ in 0..600 {
            if scalar(&app.db.url, undone).await == "0" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(
            scalar(&app.db.url, undone).await,
            "0",
            "the documents' jobs were not done"
        );
        worker.kill().unwrap();
        worker.wait().unwrap();
        let dead = "SELECT COUNT(*) FROM jobs WHERE kind = 'make_document' AND outcome = 'dead'";
        assert_eq!(
            scalar(&app.db.url, dead).await,
            "0",
            "an invitation's job failed for good"
        );
        let invitations = |token: String| {
            let app = &app;
            async move {
                let (status, _, body) =
                    call(app, Method::GET, "/documents", &token, &[], None).await;
                assert_eq!(status, 200, "{body}");
                body["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|d| d["kind"] == "visit_invitation")
                    .cloned()
                    .collect::<Vec<Value>>()
            }
        };
        // The moved visit's: one, for the time it has now.
        let live = app
            .running
            .store
            .live_appointment(moved.1)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(live.start_ms, starts[1]);
        assert_eq!(invitations(moved.0.clone()).await.len(), 1);
        let made = app
            .running
            .store
            .document_by_source(&app::documents::invitation_source(live.id))
            .await
            .unwrap();
        assert!(made.is_some(), "the live visit has no invitation");
        assert_eq!(invitations(moved.0.clone()).await[0]["superseded"], false);
        // The cancelled visit's: none.
        assert!(invitations(cancelled.0.clone()).await.is_empty());

        // Moved once more: the invitation stays, said to be no longer valid.
        let path = format!("/applications/{}/appointment", moved.1);
        let (status, _, body) = call(
            &app,
            Method::PUT,
            &path,
            &moved.0,
            &[],
            Some(json!({"start_ms": starts[3]})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let kept = invitations(moved.0.clone()).await;
        assert_eq!(
            (kept.len(), &kept[0]["superseded"]),
            (1, &json!(true)),
            "{kept:?}"
        );
        let page = app
            .browser_with_session(&moved.0)
            .get(format!("{}/documents", app.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("недействительно: запись перенесена или отменена"),
            "{page}"
        );
        app.stop().await;
    })
    .await;
}
