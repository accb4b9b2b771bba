//! The officer's day (issue 18): today's visits per window, arrival,
//! no-show and outcome, each bound to the officer's office and to the
//! application's version; an officer setting a time; a schedule change that
//! asks the people it displaces to rebook — over HTTP, on both databases.

use crate::applications::{call, confirmed_sidorov};
use crate::lifecycle::{act, case, office, sent};
use crate::support::*;
use crate::visits::{MOSCOW, NOVOSIBIRSK, accepted_applicants, free};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

/// The office's date (Moscow, UTC+3 all year) of an instant.
fn moscow_date(ms: i64) -> time::Date {
    time::OffsetDateTime::from_unix_timestamp(ms / 1000 + 3 * 3600)
        .unwrap()
        .date()
}

/// The application's number, as its owner sees it.
pub(crate) async fn number(app: &TestApp, token: &str, id: &str) -> String {
    let body = crate::applications::application(app, token, id).await;
    body["number"].as_str().unwrap().to_owned()
}

/// Moves a booked visit's time to `start_ms` (the clock cannot be moved in
/// a running server; the visit can).
pub(crate) async fn visit_at(app: &TestApp, number: &str, start_ms: i64) {
    sql(
        &app.db.url,
        &format!(
            "UPDATE appointments SET start_ms = {start_ms} WHERE status = 'booked' AND application_id IN \
             (SELECT id FROM applications WHERE number = '{number}')"
        ),
    )
    .await;
}

async fn day(app: &TestApp, token: &str, query: &str) -> Value {
    let (status, _, body) = call(
        app,
        Method::GET,
        &format!("/office/visits{query}"),
        token,
        &[],
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn outcome(app: &TestApp, token: &str, visit: &Value, body: Value) -> (u16, Value) {
    let (status, _, b) = call(
        app,
        Method::POST,
        &format!(
            "/office/visits/{}/outcome",
            visit["appointment"].as_str().unwrap()
        ),
        token,
        &[],
        Some(body),
    )
    .await;
    (status, b)
}

/// `n` accepted applicants at the Moscow office, all booked at one time two
/// or more days ahead with room for them all: (people, the slot, numbers).
pub(crate) async fn booked_together(
    app: &TestApp,
    n: usize,
) -> (Vec<(String, Uuid)>, Value, Vec<String>) {
    let people = accepted_applicants(app, Uuid::parse_str(MOSCOW).unwrap(), n).await;
    let later = app::system_clock() + 2 * 86_400_000;
    let room = i64::try_from(n).unwrap();
    let slot = free(app, MOSCOW, 10)
        .await
        .into_iter()
        .find(|s| s["start_ms"].as_i64().unwrap() > later && s["free"].as_i64().unwrap() >= room)
        .unwrap();
    let mut numbers = Vec::new();
    for (token, id) in &people {
        let path = format!("/applications/{id}/appointment");
        let body = json!({"start_ms": slot["start_ms"]});
        let (status, _, body) = call(app, Method::PUT, &path, token, &[], Some(body)).await;
        assert_eq!(status, 200, "{body}");
        numbers.push(number(app, token, &id.to_string()).await);
    }
    (people, slot, numbers)
}

#[tokio::test]
async fn the_officers_day_receives_records_and_moves_applications_on() {
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let staff = office(&app).await;
        let (people, slot, numbers) = booked_together(&app, 3).await;
        let later = app::system_clock() + 2 * 86_400_000;
        // Before the day: listed on its date, nothing to record yet.
        let date = slot["date"].as_str().unwrap();
        let ahead = day(&app, &staff.moscow, &format!("?date={date}")).await;
        let ours: Vec<&Value> = ahead["visits"].as_array().unwrap().iter().filter(|v| numbers.contains(&v["number"].as_str().unwrap_or_default().to_owned())).collect();
        assert_eq!(ours.len(), 3, "{ahead}");
        assert!(ours.iter().all(|v| v["actions"] == json!([])), "{ahead}");
        // The visits are now: a slot's bookings take its windows in booking order.
        let now = app::system_clock() - 1000;
        for n in &numbers {
            visit_at(&app, n, now).await;
        }
        let today = moscow_date(now).to_string();
        let d = day(&app, &staff.moscow, "").await;
        assert_eq!((d["date"].as_str(), d["today"].as_bool()), (Some(today.as_str()), Some(true)), "{d}");
        let visits: Vec<Value> = d["visits"].as_array().unwrap().iter().filter(|v| numbers.contains(&v["number"].as_str().unwrap_or_default().to_owned())).cloned().collect();
        assert_eq!(visits.iter().map(|v| v["window"].as_i64().unwrap()).collect::<Vec<_>>(), vec![1, 2, 3], "{d}");
        assert_eq!(visits[0]["actions"], json!(["arrive", "served", "no-show"]));
        assert_eq!(visits[0]["applicant"], "Иванов Иван");
        let second = day(&app, &staff.moscow, "?window=2").await;
        assert!(second["visits"].as_array().unwrap().iter().all(|v| v["window"] == 2), "{second}");
        let (status, _, body) = call(&app, Method::GET, "/office/visits?date=31.12.2026", &staff.moscow, &[], None).await;
        assert_eq!((status, body["errors"][0]["code"].as_str()), (422, Some("date.format")), "{body}");

        // Another office's officer: the visit does not exist for them.
        let arrival = |v: &Value| format!("/office/visits/{}/arrival", v["appointment"].as_str().unwrap());
        let (status, _, _) = call(&app, Method::POST, &arrival(&visits[0]), &staff.petersburg, &[], None).await;
        assert_eq!(status, 404);
        let (status, _, body) = call(&app, Method::POST, &arrival(&visits[0]), &staff.moscow, &[], None).await;
        assert_eq!(status, 204, "{body}");
        let (status, _, body) = call(&app, Method::POST, &arrival(&visits[0]), &staff.moscow, &[], None).await;
        assert_eq!((status, body["code"].as_str()), (409, Some("visit.changed")), "{body}");
        // Arrived: not a no-show; a stale version or an unknown outcome changes nothing.
        let v0 = visits[0]["version"].clone();
        let (status, body) = outcome(&app, &staff.moscow, &visits[0], json!({"version": v0, "outcome": "missed"})).await;
        assert_eq!((status, body["code"].as_str()), (409, Some("visit.arrived")), "{body}");
        let (status, body) = outcome(&app, &staff.moscow, &visits[0], json!({"version": v0, "outcome": "lunch"})).await;
        assert_eq!((status, body["errors"][0]["code"].as_str()), (422, Some("visit.unknown_outcome")), "{body}");
        let (status, body) = outcome(&app, &staff.moscow, &visits[0], json!({"version": v0.as_i64().unwrap() - 1, "outcome": "served"})).await;
        assert_eq!((status, body["code"].as_str()), (409, Some("application.changed")), "{body}");
        // Served, ten times at once: exactly one moves the application on.
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let (client, api, token, path) = (app.client.clone(), app.api.clone(), staff.moscow.clone(), format!("/office/visits/{}/outcome", visits[0]["appointment"].as_str().unwrap()));
            let v0 = v0.clone();
            tasks.push(tokio::spawn(async move {
                let res = client.post(format!("{api}{path}")).bearer_auth(token).json(&json!({"version": v0, "outcome": "served", "note": "Оригиналы сверены"})).send().await.unwrap();
                status_json(res).await
            }));
        }
        let mut won = Vec::new();
        for t in tasks {
            let (status, body) = t.await.unwrap();
            match status {
                200 => won.push(body),
                409 => assert!(matches!(body["code"].as_str(), Some("visit.changed" | "application.changed")), "{body}"),
                other => panic!("{other}: {body}"),
            }
        }
        assert_eq!(won.len(), 1, "exactly one outcome");
        assert_eq!(won[0]["status"], "visit_done");
        let last = won[0]["history"].as_array().unwrap().last().unwrap().clone();
        assert_eq!((last["note"]["outcome"].as_str(), last["note"]["note"].as_str()), (Some("served"), Some("Оригиналы сверены")), "{last}");

        // A no-show: accepted again, and the person books anew.
        let (status, body) = outcome(&app, &staff.moscow, &visits[1], json!({"version": visits[1]["version"], "outcome": "missed"})).await;
        assert_eq!((status, body["status"].as_str()), (200, Some("accepted")), "{body}");
        let (token, id) = &people[1];
        let again = free(&app, MOSCOW, 10).await.into_iter().find(|s| s["start_ms"].as_i64().unwrap() > later).unwrap();
        let (status, _, body) = call(&app, Method::PUT, &format!("/applications/{id}/appointment"), token, &[], Some(json!({"start_ms": again["start_ms"]}))).await;
        assert_eq!((status, body["status"].as_str()), (200, Some("invited")), "{body}");
        // Refused at the visit, with a legal reason.
        let (status, body) = outcome(&app, &staff.moscow, &visits[2], json!({"version": visits[2]["version"], "outcome": "rejected"})).await;
        assert_eq!((status, body["errors"][0]["code"].as_str()), (422, Some("lifecycle.unknown_reason")), "{body}");
        let (status, body) = outcome(&app, &staff.moscow, &visits[2], json!({"version": visits[2]["version"], "outcome": "rejected", "reason": "documents_missing"})).await;
        assert_eq!((status, body["status"].as_str()), (200, Some("rejected")), "{body}");
        let d = day(&app, &staff.moscow, "").await;
        let states: Vec<&str> = d["visits"].as_array().unwrap().iter().filter(|v| numbers.contains(&v["number"].as_str().unwrap_or_default().to_owned())).map(|v| v["state"].as_str().unwrap()).collect();
        assert_eq!(states, vec!["served", "missed", "served"], "{d}");
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn an_officer_sets_a_time_and_a_schedule_change_asks_people_to_rebook() {
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let staff = office(&app).await;
        let citizen = confirmed_sidorov(&app, "+79161112233").await;
        let id = sent(&app, &citizen, "passport-foreign-old").await;
        crate::support::pay_fee(&app, &id).await;
        let (_, c) = case(&app, &staff.moscow, &id).await;
        act(&app, &staff.moscow, &id, "accept", json!({"version": c["version"]})).await;
        let later = app::system_clock() + 2 * 86_400_000;
        let slot = free(&app, MOSCOW, 10)
            .await
            .into_iter()
            .find(|s| s["start_ms"].as_i64().unwrap() > later)
            .unwrap();
        let todo = |what: &'static str| {
            let (app, citizen, id) = (&app, citizen.clone(), id.clone());
            async move {
                let (_, _, inbox) = call(app, Method::GET, "/inbox", &citizen, &[], None).await;
                inbox["todo"].as_array().unwrap().iter().any(|t| t["what"] == what && t["application_id"] == id.as_str() && t["link"] == format!("/applications/{id}/visit"))
            }
        };
        assert!(todo("book_visit").await, "accepted: a visit to book in the inbox");
        let path = format!("/office/applications/{id}/appointment");
        // Not the office's application: not found; the office's own: set.
        let (status, _, _) = call(&app, Method::PUT, &path, &staff.petersburg, &[], Some(json!({"start_ms": slot["start_ms"]}))).await;
        assert_eq!(status, 404);
        let (status, _, body) = call(&app, Method::PUT, &path, &staff.moscow, &[], Some(json!({"start_ms": slot["start_ms"].as_i64().unwrap() + 60_000}))).await;
        assert_eq!((status, body["errors"][0]["code"].as_str()), (422, Some("visit.not_a_slot")), "{body}");
        let (status, _, body) = call(&app, Method::PUT, &path, &staff.moscow, &[], Some(json!({"start_ms": slot["start_ms"]}))).await;
        assert_eq!((status, body["status"].as_str()), (200, Some("invited")), "{body}");
        let told = || {
            app.sms.lock().unwrap().iter().filter(|m| m["to"] == "+79161112233" && m["text"].as_str().is_some_and(|t| t.contains("назначило вам приём"))).count()
        };
        eventually("the person is told the time", || async { told() == 1 }).await;

        // The office stops receiving on that weekday: the booking is kept,
        // marked, and the person asked to choose another time.
        let weekday = time::Date::parse(slot["date"].as_str().unwrap(), &time::format_description::well_known::Iso8601::DATE).unwrap().weekday().number_days_from_monday() as usize;
        let open = json!([{"from": 540, "to": 780, "windows": 3}, {"from": 840, "to": 1080, "windows": 3}]);
        let mut week: Vec<Value> = (0..5).map(|_| open.clone()).chain([json!([]), json!([])]).collect();
        week[weekday] = json!([]);
        let schedule = json!({
            "schedule": {"week": week, "exceptions": []},
            "slot_minutes": 15,
            "rules": {"horizon_days": 30, "lead_minutes": 120, "cutoff_minutes": 1440, "max_moves": 0}
        });
        let (status, _, body) = call(&app, Method::PUT, &format!("/admin/offices/{MOSCOW}/schedule"), &staff.admin, &[], Some(schedule.clone())).await;
        assert_eq!(status, 200, "{body}");
        assert!(body["displaced"].as_i64().unwrap() >= 1, "{body}");
        let asked = || {
            app.sms.lock().unwrap().iter().filter(|m| m["to"] == "+79161112233" && m["text"].as_str().is_some_and(|t| t.contains("изменило часы приёма"))).count()
        };
        eventually("the person is asked to rebook", || async { asked() == 1 }).await;
        assert!(!todo("book_visit").await && todo("rebook_visit").await, "displaced: a time to choose again");
        // Saving it again asks nobody twice.
        let (status, _, _) = call(&app, Method::PUT, &format!("/admin/offices/{MOSCOW}/schedule"), &staff.admin, &[], Some(schedule)).await;
        assert_eq!(status, 200);
        let (status, _, body) = call(&app, Method::GET, &format!("/applications/{id}"), &citizen, &[], None).await;
        assert_eq!((status, body["status"].as_str()), (200, Some("invited")), "kept: {body}");
        // The move is free of the limit (no moves allowed now) and lands on the new hours.
        let next = free(&app, MOSCOW, 10)
            .await
            .into_iter()
            .find(|s| s["start_ms"].as_i64().unwrap() > later)
            .unwrap();
        let (status, _, body) = call(&app, Method::PUT, &format!("/applications/{id}/appointment"), &citizen, &[], Some(json!({"start_ms": next["start_ms"]}))).await;
        assert_eq!((status, body["status"].as_str()), (200, Some("invited")), "{body}");
        // Moved once by the person, the limit of none holds again.
        let another = free(&app, MOSCOW, 10)
            .await
            .into_iter()
            .find(|s| s["start_ms"].as_i64().unwrap() > later && s["start_ms"] != next["start_ms"])
            .unwrap();
        let (status, _, body) = call(&app, Method::PUT, &format!("/applications/{id}/appointment"), &citizen, &[], Some(json!({"start_ms": another["start_ms"]}))).await;
        assert_eq!((status, body["code"].as_str()), (409, Some("visit.too_many_moves")), "{body}");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(asked(), 1);
        app.stop().await;
    })
    .await;
}

/// The person books, is refused a time that is not one and a time just
/// taken, cancels and books again; the officer's day page records the
/// arrival and the outcome — all as forms, without JavaScript.
#[tokio::test]
async fn visits_through_the_pages() {
    use crate::lifecycle_pages::{Browser, version_after};
    use crate::pages::{browser_staff_login, location, page, submit};
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let citizen = confirmed_sidorov(&app, "+79161112233").await;
        let id = sent(&app, &citizen, "passport-internal").await;
        crate::support::pay_fee(&app, &id).await;
        // The officer works in the browser (this client), the person in another.
        let (officer_csrf, _) =
            browser_staff_login(&app, "officer@demo.migportal.ru", "Demo-Officer-2026").await;
        let (_, html) = page(&app, &format!("/staff/applications/{id}")).await;
        let version = version_after(&html, "Принять");
        let res = submit(
            &app,
            &format!("/staff/applications/{id}/accept"),
            &[("csrf", &officer_csrf), ("version", &version)],
        )
        .await;
        assert_eq!(location(&res), format!("/staff/applications/{id}"));
        let person = Browser::login(&app, "+79161112233", "Zelenyj-Slon-1985").await;
        let (_, html) = person.get(&format!("/applications/{id}/check")).await;
        assert!(
            html.contains(&format!("href=\"/applications/{id}/visit\""))
                && html.contains("Записаться на приём"),
            "{html}"
        );
        // A list of days, then the times of one.
        let (status, html) = person.get(&format!("/applications/{id}/visit")).await;
        assert_eq!(status, 200, "{html}");
        assert!(
            html.contains("свободных мест")
                && html.contains(&format!("/applications/{id}/visit?date=")),
            "{html}"
        );
        let later = app::system_clock() + 2 * 86_400_000;
        let slots: Vec<Value> = free(&app, MOSCOW, 10)
            .await
            .into_iter()
            .filter(|s| s["start_ms"].as_i64().unwrap() > later)
            .collect();
        let (mine, taken) = (&slots[0], &slots[1]);
        let date = mine["date"].as_str().unwrap();
        let (status, html) = person
            .get(&format!("/applications/{id}/visit?date={date}"))
            .await;
        assert_eq!(status, 200);
        assert!(
            html.contains(&format!("value=\"{}\"", mine["start_ms"])),
            "{html}"
        );
        // Not a time of the schedule: said so, nothing booked.
        let wrong = (mine["start_ms"].as_i64().unwrap() + 60_000).to_string();
        let res = person
            .post(
                &format!("/applications/{id}/visit"),
                &[("csrf", &person.csrf), ("date", date), ("start_ms", &wrong)],
            )
            .await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("подразделение не принимает")
        );
        // A time the others just took: said so, other times offered.
        let others = accepted_applicants(&app, Uuid::parse_str(MOSCOW).unwrap(), 3).await;
        for (token, other) in &others {
            let (status, _, body) = call(
                &app,
                Method::PUT,
                &format!("/applications/{other}/appointment"),
                token,
                &[],
                Some(json!({"start_ms": taken["start_ms"]})),
            )
            .await;
            assert_eq!(status, 200, "{body}");
        }
        let res = person
            .post(
                &format!("/applications/{id}/visit"),
                &[
                    ("csrf", &person.csrf),
                    ("date", taken["date"].as_str().unwrap()),
                    ("start_ms", &taken["start_ms"].to_string()),
                ],
            )
            .await;
        assert_eq!(res.status().as_u16(), 409);
        let html = res.text().await.unwrap();
        assert!(
            html.contains("только что заняли") && html.contains("name=\"start_ms\""),
            "{html}"
        );
        // Booked; cancelled; booked again.
        let start = mine["start_ms"].to_string();
        let res = person
            .post(
                &format!("/applications/{id}/visit"),
                &[("csrf", &person.csrf), ("date", date), ("start_ms", &start)],
            )
            .await;
        assert_eq!(location(&res), format!("/applications/{id}/check"));
        let (_, html) = person.get(&format!("/applications/{id}/check")).await;
        assert!(
            html.contains("Приём:") && html.contains("Перенести или отменить приём"),
            "{html}"
        );
        let res = person
            .post(
                &format!("/applications/{id}/visit/cancel"),
                &[("csrf", &person.csrf)],
            )
            .await;
        assert_eq!(location(&res), format!("/applications/{id}/check"));
        let (_, html) = person.get(&format!("/applications/{id}/check")).await;
        assert!(html.contains("Записаться на приём"), "{html}");
        let res = person
            .post(
                &format!("/applications/{id}/visit"),
                &[("csrf", &person.csrf), ("date", date), ("start_ms", &start)],
            )
            .await;
        assert_eq!(location(&res), format!("/applications/{id}/check"));

        // The visit is now; the officer's day page records it.
        let n = number(&app, &citizen, &id).await;
        visit_at(&app, &n, app::system_clock() - 1000).await;
        let (_, html) = page(&app, "/staff/applications").await;
        assert!(html.contains("href=\"/staff/visits\""), "{html}");
        let (status, html) = page(&app, "/staff/visits").await;
        assert_eq!(status, 200, "{html}");
        let at = html
            .find("Сидоров Пётр Алексеевич")
            .unwrap_or_else(|| panic!("{html}"));
        let visit = html[..at]
            .rsplit("id=\"v-")
            .next()
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        let res = submit(
            &app,
            &format!("/staff/visits/{visit}/arrival"),
            &[("csrf", &officer_csrf)],
        )
        .await;
        assert!(
            location(&res).starts_with("/staff/visits"),
            "{}",
            res.status()
        );
        let (_, html) = page(&app, "/staff/visits").await;
        assert!(html.contains("Пришёл, ждёт приёма"), "{html}");
        let (_, html) = page(&app, &format!("/staff/applications/{id}")).await;
        let version = version_after(&html, "Приём состоялся");
        let res = submit(
            &app,
            &format!("/staff/visits/{visit}/outcome"),
            &[
                ("csrf", &officer_csrf),
                ("version", &version),
                ("outcome", "rejected"),
                ("reason", ""),
            ],
        )
        .await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(res.text().await.unwrap().contains("error-summary"));
        let res = submit(
            &app,
            &format!("/staff/visits/{visit}/outcome"),
            &[
                ("csrf", &officer_csrf),
                ("version", &version),
                ("outcome", "served"),
                ("note", "Отпечатки сняты"),
            ],
        )
        .await;
        assert!(location(&res).starts_with("/staff/visits"));
        let (_, html) = page(&app, &format!("/staff/applications/{id}")).await;
        assert!(
            html.contains("Документы приняты") && html.contains("Отпечатки сняты"),
            "the step and its note in the history: {html}"
        );
        app.stop().await;
    })
    .await;
}

/// A service's visit takes as many consecutive slots as the office gives
/// it, each holding a place in one transaction; a service the office does
/// not receive for is said so.
#[tokio::test]
async fn a_service_takes_its_own_length_and_only_where_offered() {
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let staff = office(&app).await;
        let path = format!("/admin/offices/{NOVOSIBIRSK}/schedule");
        let set = |services: Value| {
            let day = json!([{"from": 600, "to": 720, "windows": 2}]);
            json!({
                "schedule": {"week": [day, day, day, day, day, day, day], "exceptions": [], "services": services},
                "slot_minutes": 15,
                "rules": {"horizon_days": 30, "lead_minutes": 0, "cutoff_minutes": 60, "max_moves": 2}
            })
        };
        for (services, code) in [
            (json!({"passport-internal": 20}), "schedule.service_minutes"),
            (json!({"no-such-service": 15}), "service.unknown"),
        ] {
            let (status, _, body) = call(&app, Method::PUT, &path, &staff.admin, &[], Some(set(services))).await;
            assert_eq!((status, body["errors"][0]["code"].as_str()), (422, Some(code)), "{body}");
        }
        let (status, _, body) = call(&app, Method::PUT, &path, &staff.admin, &[], Some(set(json!({"passport-internal": 30, "passport-foreign-old": 15})))).await;
        assert_eq!(status, 200, "{body}");
        let from = moscow_date(app::system_clock()) + time::Duration::days(2);
        let to = from + time::Duration::days(1);
        let times = |service: &'static str| {
            let app = &app;
            async move {
                let q = if service.is_empty() { String::new() } else { format!("&service={service}") };
                call(app, Method::GET, &format!("/offices/{NOVOSIBIRSK}/availability?from={from}&to={to}{q}"), "", &[], None).await
            }
        };
        let (status, _, body) = times("registration-stay").await;
        assert_eq!((status, body["errors"][0]["code"].as_str()), (422, Some("visit.service_not_offered")), "{body}");
        // Half-hour visits start every quarter: 10:00 … 11:30 each day.
        let (_, _, body) = times("passport-internal").await;
        let long: Vec<Value> = body["slots"].as_array().unwrap().iter().filter(|s| s["date"] == from.to_string()).cloned().collect();
        assert_eq!(long.len(), 7, "{body}");
        assert!(long.iter().all(|s| s["minutes"] == 30 && s["free"] == 2), "{body}");
        // Two people take the 10:00 half hour (two windows); the third hears it is taken.
        let people = accepted_applicants(&app, Uuid::parse_str(NOVOSIBIRSK).unwrap(), 3).await;
        let start = long[0]["start_ms"].clone();
        let mut answers = Vec::new();
        for (token, id) in &people {
            let (status, _, body) = call(&app, Method::PUT, &format!("/applications/{id}/appointment"), token, &[], Some(json!({"start_ms": start}))).await;
            answers.push((status, body["code"].clone()));
        }
        assert_eq!(answers.iter().filter(|a| a.0 == 200).count(), 2, "{answers:?}");
        assert_eq!(answers[2], (409, json!("visit.taken")));
        // Both quarters are full now: no half hour starts at 10:00 or 9:45, 10:15 neither.
        let (_, _, body) = times("").await;
        let quarters: Vec<&str> = body["slots"].as_array().unwrap().iter().filter(|s| s["date"] == from.to_string()).map(|s| s["time"].as_str().unwrap()).collect();
        assert_eq!(&quarters[..2], ["10:30", "10:45"], "{body}");
        let (_, _, body) = times("passport-internal").await;
        let first = body["slots"].as_array().unwrap().iter().find(|s| s["date"] == from.to_string()).unwrap().clone();
        assert_eq!(first["time"], "10:30", "{body}");
        // Cancelled: both of its quarters have a place again.
        let (token, id) = &people[0];
        let (status, _, body) = call(&app, Method::DELETE, &format!("/applications/{id}/appointment"), token, &[], None).await;
        assert_eq!(status, 200, "{body}");
        let (_, _, body) = times("").await;
        let back: Vec<(String, i64)> = body["slots"].as_array().unwrap().iter().filter(|s| s["date"] == from.to_string()).take(2).map(|s| (s["time"].as_str().unwrap().to_owned(), s["free"].as_i64().unwrap())).collect();
        assert_eq!(back, vec![("10:00".to_owned(), 1), ("10:15".to_owned(), 1)]);
        app.stop().await;
    })
    .await;
}

/// An administrator edits an office's schedule in the browser: a day's
/// hours as people write them, a mistake said at its field with the typed
/// text kept, and a closed day that displaces a booking said after saving.
#[tokio::test]
async fn the_schedule_is_edited_in_the_browser() {
    use crate::pages::{browser_staff_login, location, page, submit};
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let moscow = Uuid::parse_str(MOSCOW).unwrap();
        let people = accepted_applicants(&app, moscow, 1).await;
        let later = app::system_clock() + 2 * 86_400_000;
        let slot = free(&app, MOSCOW, 10)
            .await
            .into_iter()
            .find(|s| s["start_ms"].as_i64().unwrap() > later)
            .unwrap();
        let (token, id) = &people[0];
        let (status, _, body) = call(
            &app,
            Method::PUT,
            &format!("/applications/{id}/appointment"),
            token,
            &[],
            Some(json!({"start_ms": slot["start_ms"]})),
        )
        .await;
        assert_eq!(status, 200, "{body}");

        let (csrf, _) =
            browser_staff_login(&app, "admin@demo.migportal.ru", "Demo-Admin-2026").await;
        let (_, html) = page(&app, "/staff").await;
        assert!(html.contains("href=\"/staff/schedule\""), "{html}");
        let (status, html) = page(&app, &format!("/staff/schedule?office={MOSCOW}")).await;
        assert_eq!(status, 200, "{html}");
        assert!(
            html.contains("value=\"09:00-13:00 x3, 14:00-18:00 x3\""),
            "{html}"
        );
        let mut form: Vec<(&str, String)> = vec![
            ("csrf", csrf.clone()),
            ("office", MOSCOW.to_owned()),
            ("day_1", "9-13".into()),
            ("day_2", "09:00-13:00 x3, 14:00-18:00 x3".into()),
            ("day_3", "09:00-13:00 x3, 14:00-18:00 x3".into()),
            ("day_4", "09:00-13:00 x3, 14:00-18:00 x3".into()),
            ("day_5", "09:00-13:00 x3, 14:00-18:00 x3".into()),
            ("day_6", "10:00-14:00 x1".into()),
            ("day_7", "-".into()),
            ("exceptions", String::new()),
            ("slot_minutes", "15".into()),
            ("horizon_days", "30".into()),
            ("lead_minutes", "120".into()),
            ("cutoff_minutes", "1440".into()),
            ("max_moves", "2".into()),
        ];
        let pairs = |f: &Vec<(&'static str, String)>| {
            f.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>()
        };
        let send = |f: Vec<(&'static str, String)>| {
            let app = &app;
            async move {
                let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
                submit(app, "/staff/schedule", &refs).await
            }
        };
        let res = send(pairs(&form)).await;
        assert_eq!(res.status().as_u16(), 422);
        let html = res.text().await.unwrap();
        assert!(
            html.contains("href=\"#day_1\"") && html.contains("value=\"9-13\""),
            "{html}"
        );
        // Monday fixed; the booked day closed by an exception line.
        let date = time::Date::parse(
            slot["date"].as_str().unwrap(),
            &time::format_description::well_known::Iso8601::DATE,
        )
        .unwrap();
        form[2].1 = "09:00-13:00 x3, 14:00-18:00 x3".into();
        form[9].1 = format!(
            "{:02}.{:02}.{}: -",
            date.day(),
            u8::from(date.month()),
            date.year()
        );
        let res = send(pairs(&form)).await;
        assert_eq!(
            location(&res),
            format!("/staff/schedule?office={MOSCOW}&displaced=1")
        );
        let (_, html) = page(&app, &location(&res)).await;
        assert!(html.contains("Записей вне новых часов приёма: 1"), "{html}");
        assert!(
            html.contains(&format!(
                "{:02}.{:02}.{}: -",
                date.day(),
                u8::from(date.month()),
                date.year()
            )),
            "{html}"
        );
        // The day is closed now: no free time on it.
        assert!(
            free(&app, MOSCOW, 10)
                .await
                .iter()
                .all(|s| s["date"] != slot["date"])
        );
        app.stop().await;
    })
    .await;
}

/// A booking retried with its `Idempotency-Key` answers as the first and
/// takes no second place; the same key for another time is refused; asking
/// again for the time one has changes nothing.
#[tokio::test]
async fn a_retried_booking_answers_as_the_first() {
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let people = accepted_applicants(&app, Uuid::parse_str(MOSCOW).unwrap(), 1).await;
        let (token, id) = &people[0];
        let later = app::system_clock() + 2 * 86_400_000;
        let slots: Vec<Value> = free(&app, MOSCOW, 10)
            .await
            .into_iter()
            .filter(|s| s["start_ms"].as_i64().unwrap() > later)
            .collect();
        let (slot, other) = (&slots[0], &slots[1]);
        let path = format!("/applications/{id}/appointment");
        let put = |key: Option<&'static str>, start: Value| {
            let (app, token, path) = (&app, token.clone(), path.clone());
            async move {
                let headers: Vec<(&str, &str)> = key
                    .map(|k| vec![("idempotency-key", k)])
                    .unwrap_or_default();
                call(
                    app,
                    Method::PUT,
                    &path,
                    &token,
                    &headers,
                    Some(json!({"start_ms": start})),
                )
                .await
            }
        };
        for _ in 0..2 {
            let (status, _, body) = put(Some("visit-1"), slot["start_ms"].clone()).await;
            assert_eq!(
                (status, body["status"].as_str()),
                (200, Some("invited")),
                "{body}"
            );
        }
        let left = |all: Vec<Value>| {
            all.iter()
                .find(|s| s["start_ms"] == slot["start_ms"])
                .map(|s| s["free"].as_i64().unwrap())
        };
        assert_eq!(
            left(free(&app, MOSCOW, 10).await),
            Some(slot["free"].as_i64().unwrap() - 1),
            "one place taken"
        );
        let (status, _, body) = put(Some("visit-1"), other["start_ms"].clone()).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (422, Some("idempotency.mismatch")),
            "{body}"
        );
        // Without a key, the time it has already: nothing changes, no move counted.
        let (status, _, _) = put(None, slot["start_ms"].clone()).await;
        assert_eq!(status, 200);
        assert_eq!(
            left(free(&app, MOSCOW, 10).await),
            Some(slot["free"].as_i64().unwrap() - 1)
        );
        for n in 0..2 {
            let to = if n == 0 { other } else { slot };
            let (status, _, body) = put(None, to["start_ms"].clone()).await;
            assert_eq!(status, 200, "move {n} of the two allowed: {body}");
        }
        app.stop().await;
    })
    .await;
}

/// Bad times over HTTP: in the past, beyond the horizon, on a holiday, and
/// a move or cancel after the cut-off — each said, nothing booked or changed.
#[tokio::test]
async fn bad_times_are_refused_and_nothing_is_booked() {
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let people = accepted_applicants(&app, Uuid::parse_str(MOSCOW).unwrap(), 1).await;
        let (token, id) = &people[0];
        let later = app::system_clock() + 2 * 86_400_000;
        let slot = free(&app, MOSCOW, 10)
            .await
            .into_iter()
            .find(|s| s["start_ms"].as_i64().unwrap() > later)
            .unwrap();
        let start = slot["start_ms"].as_i64().unwrap();
        let path = format!("/applications/{id}/appointment");
        let put = |at: i64| {
            let (app, token, path) = (&app, token.clone(), path.clone());
            async move {
                call(
                    app,
                    Method::PUT,
                    &path,
                    &token,
                    &[],
                    Some(json!({"start_ms": at})),
                )
                .await
            }
        };
        const WEEK: i64 = 7 * 86_400_000;
        // The same weekday and hour: two weeks ago, eight weeks ahead (past the 30 days).
        for (at, code) in [
            (start - 2 * WEEK, "visit.past"),
            (start + 8 * WEEK, "visit.beyond_horizon"),
            // 1 January 2027, 10:00 in Moscow: a holiday, no reception.
            (1_798_786_800_000, "visit.not_a_slot"),
        ] {
            let (status, _, body) = put(at).await;
            assert_eq!(
                (status, body["errors"][0]["code"].as_str()),
                (422, Some(code)),
                "{body}"
            );
        }
        let (_, _, me) = call(
            &app,
            Method::GET,
            &format!("/applications/{id}"),
            token,
            &[],
            None,
        )
        .await;
        assert_eq!(me["status"], "accepted", "nothing booked: {me}");
        // Booked; then the visit is an hour away — inside the day's cut-off.
        let (status, _, _) = put(start).await;
        assert_eq!(status, 200);
        let n = number(&app, token, &id.to_string()).await;
        visit_at(&app, &n, app::system_clock() + 3_600_000).await;
        let (status, _, body) = put(start).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (409, Some("visit.after_cutoff")),
            "{body}"
        );
        let (status, _, body) = call(&app, Method::DELETE, &path, token, &[], None).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (409, Some("visit.after_cutoff")),
            "{body}"
        );
        let (_, _, me) = call(
            &app,
            Method::GET,
            &format!("/applications/{id}"),
            token,
            &[],
            None,
        )
        .await;
        assert_eq!(me["status"], "invited", "still booked: {me}");
        app.stop().await;
    })
    .await;
}

/// A head of office sets their own office's schedule, not another's; an
/// officer sets none.
#[tokio::test]
async fn only_the_offices_head_or_an_administrator_sets_its_schedule() {
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let staff = office(&app).await;
        const PETERSBURG: &str = "01930000-0000-7000-8000-000000000002";
        let day = json!([{"from": 600, "to": 720, "windows": 2}]);
        let schedule = json!({
            "schedule": {"week": [day, day, day, day, day, [], []], "exceptions": []},
            "slot_minutes": 30,
            "rules": {"horizon_days": 30, "lead_minutes": 60, "cutoff_minutes": 60, "max_moves": 2}
        });
        let put = |office: &'static str, token: String| {
            let (app, schedule) = (&app, schedule.clone());
            async move {
                call(
                    app,
                    Method::PUT,
                    &format!("/admin/offices/{office}/schedule"),
                    &token,
                    &[],
                    Some(schedule),
                )
                .await
                .0
            }
        };
        // The head works in St Petersburg (the demo moved them there).
        assert_eq!(put(MOSCOW, staff.petersburg.clone()).await, 403);
        assert_eq!(put(MOSCOW, staff.moscow.clone()).await, 403);
        assert_eq!(put(PETERSBURG, staff.petersburg.clone()).await, 200);
        assert_eq!(put(MOSCOW, staff.admin.clone()).await, 200);
        app.stop().await;
    })
    .await;
}

/// The officer's day guards its times: no arrival before the visit's day,
/// no no-show before its time, no outcome recorded ahead of the day — each
/// refused, the visit still booked.
#[tokio::test]
async fn a_visit_is_recorded_only_when_its_time_has_come() {
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let staff = office(&app).await;
        let people = accepted_applicants(&app, Uuid::parse_str(MOSCOW).unwrap(), 1).await;
        let (token, id) = &people[0];
        let later = app::system_clock() + 2 * 86_400_000;
        let slot = free(&app, MOSCOW, 10)
            .await
            .into_iter()
            .find(|s| s["start_ms"].as_i64().unwrap() > later)
            .unwrap();
        let (status, _, _) = call(
            &app,
            Method::PUT,
            &format!("/applications/{id}/appointment"),
            token,
            &[],
            Some(json!({"start_ms": slot["start_ms"]})),
        )
        .await;
        assert_eq!(status, 200);
        let d = day(
            &app,
            &staff.moscow,
            &format!("?date={}", slot["date"].as_str().unwrap()),
        )
        .await;
        let n = number(&app, token, &id.to_string()).await;
        let visit = d["visits"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["number"] == n.as_str())
            .unwrap()
            .clone();
        let (status, _, body) = call(
            &app,
            Method::POST,
            &format!(
                "/office/visits/{}/arrival",
                visit["appointment"].as_str().unwrap()
            ),
            &staff.moscow,
            &[],
            None,
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (409, Some("visit.not_today")),
            "{body}"
        );
        for (how, code) in [("missed", "visit.not_yet"), ("served", "visit.not_today")] {
            let (status, body) = outcome(
                &app,
                &staff.moscow,
                &visit,
                json!({"version": visit["version"], "outcome": how}),
            )
            .await;
            assert_eq!((status, body["code"].as_str()), (409, Some(code)), "{body}");
        }
        let (_, _, me) = call(
            &app,
            Method::GET,
            &format!("/applications/{id}"),
            token,
            &[],
            None,
        )
        .await;
        assert_eq!(me["status"], "invited", "still booked: {me}");
        app.stop().await;
    })
    .await;
}
