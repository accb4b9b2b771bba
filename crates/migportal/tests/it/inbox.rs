//! One inbox (issue 17, item 9): what needs the person and every notice,
//! with unread counts, filters and read marks, in the person's language.

use crate::applications::{call, confirmed_sidorov};
use crate::lifecycle::sent;
use crate::staff::staff_token;
use crate::support::*;
use reqwest::Method;
use serde_json::{Value, json};

async fn inbox(app: &TestApp, token: &str, query: &str) -> Value {
    let (status, _, body) = call(
        app,
        Method::GET,
        &format!("/inbox{query}"),
        token,
        &[],
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn the_inbox_gathers_what_needs_the_person_and_every_notice() {
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let officer = staff_token(&app, "officer@demo.migportal.ru", "Demo-Officer-2026")
            .await
            .0;
        let citizen = confirmed_sidorov(&app, "+79161112233").await;
        let id = sent(&app, &citizen, "passport-internal").await;
        let (_, _, case) = call(&app, Method::GET, &format!("/office/applications/{id}"), &officer, &[], None).await;
        let comment = json!({"field": "/birth_place", "wrong": "Нет района", "fix": "Укажите район, как в паспорте"});
        let (status, _, _) = call(&app, Method::POST, &format!("/office/applications/{id}/return"), &officer, &[], Some(json!({"version": case["version"], "comments": [comment]}))).await;
        assert_eq!(status, 200);
        let (status, _, _) = call(&app, Method::POST, &format!("/office/applications/{id}/messages"), &officer, &[], Some(json!({"text": "Посмотрите замечание, пожалуйста."}))).await;
        assert_eq!(status, 201);

        // What needs the person, worked out now: correct it, pay its fee
        // (1 500 ₽ for a lost passport), read the message.
        let view = inbox(&app, &citizen, "").await;
        let todo: Vec<&str> = view["todo"].as_array().unwrap().iter().filter_map(|t| t["what"].as_str()).collect();
        assert_eq!(todo, ["correct_application", "pay", "read_messages"], "{view}");
        assert_eq!(view["todo"][0]["link"], format!("/applications/{id}"));
        assert_eq!(view["todo"][1]["link"], format!("/applications/{id}/check"));
        assert!(view["todo"][1]["title"].as_str().unwrap().contains("1\u{a0}500,00\u{a0}₽"), "{view}");
        assert_eq!(view["todo"][2]["link"], format!("/applications/{id}/messages"));
        // Every notice, once the worker has kept them: submitted ×2, returned, the message.
        // (the count settles once the worker has run every job).
        let mut view = inbox(&app, &citizen, "").await;
        let mut steady = 0;
        for _ in 0..500 {
            tokio::time::sleep(std::time::Duration::from_millis(30)).await;
            let now = inbox(&app, &citizen, "").await;
            let same = now["unread_total"] == view["unread_total"];
            view = now;
            steady = if same { steady + 1 } else { 0 };
            if steady >= 15 && view["notices"].as_array().unwrap().len() >= 4 {
                break;
            }
        }
        let notices = view["notices"].as_array().unwrap().clone();
        let titles: Vec<&str> = notices.iter().filter_map(|n| n["title"].as_str()).collect();
        assert!(titles.contains(&"Новое сообщение из ведомства"), "{titles:?}");
        assert!(titles.contains(&"Статус заявления изменился"), "{titles:?}");
        assert!(notices.iter().any(|n| n["text"].as_str().unwrap().contains("возвращено на доработку")), "{notices:?}");
        let unread_total = view["unread_total"].as_i64().unwrap();
        assert!(unread_total >= 4, "{view}");
        // Newest first; paging with `before`.
        let first_page = inbox(&app, &citizen, "?limit=2").await;
        let next = first_page["next"].as_str().unwrap().to_owned();
        let second = inbox(&app, &citizen, &format!("?limit=2&before={next}")).await;
        assert_ne!(first_page["notices"][0]["id"], second["notices"][0]["id"]);
        // Filters and read marks.
        let apps_only = inbox(&app, &citizen, "?kind=applications").await;
        assert!(apps_only["notices"].as_array().unwrap().iter().all(|n| n["kind"] == "applications"));
        let one = notices[0]["id"].as_str().unwrap();
        let (status, _, _) = call(&app, Method::POST, &format!("/inbox/{one}/read"), &citizen, &[], None).await;
        assert_eq!(status, 204);
        let view = inbox(&app, &citizen, "").await;
        assert_eq!(view["unread_total"].as_i64().unwrap(), unread_total - 1);
        let unread = inbox(&app, &citizen, "?unread=true").await;
        assert!(unread["notices"].as_array().unwrap().iter().all(|n| n["id"] != one));
        // Another person's notice cannot be touched: the same answer, nothing changes.
        let other = app.login("applicant@demo.migportal.ru", "Demo-Applicant-2026").await;
        let (status, _, _) = call(&app, Method::POST, &format!("/inbox/{}/read", notices[1]["id"].as_str().unwrap()), &other, &[], None).await;
        assert_eq!(status, 204);
        assert_eq!(inbox(&app, &citizen, "").await["unread_total"].as_i64().unwrap(), unread_total - 1);
        let theirs = inbox(&app, &other, "").await;
        assert!(theirs["notices"].as_array().unwrap().iter().all(|n| n["read_at"].is_null()), "{theirs}");
        let (status, _, _) = call(&app, Method::POST, "/inbox/read", &citizen, &[], None).await;
        assert_eq!(status, 204);
        assert_eq!(inbox(&app, &citizen, "").await["unread_total"], 0);
        // Reading the thread clears its to-do.
        call(&app, Method::GET, &format!("/applications/{id}/messages"), &citizen, &[], None).await;
        let view = inbox(&app, &citizen, "").await;
        assert_eq!(view["todo"].as_array().unwrap().len(), 2, "correct it and pay: {view}");
        // In English on request.
        let (_, _, en) = call(&app, Method::GET, "/inbox", &citizen, &[("Accept-Language", "en")], None).await;
        assert!(en["todo"][0]["title"].as_str().unwrap().starts_with("Correct your application"), "{en}");
        // Bad filters.
        let (status, _, p) = call(&app, Method::GET, "/inbox?kind=spam", &citizen, &[], None).await;
        assert_eq!((status, p["errors"][0]["code"].as_str()), (422, Some("inbox.unknown_kind")));
        let (status, _, p) = call(&app, Method::GET, "/inbox?before=yesterday", &citizen, &[], None).await;
        assert_eq!((status, p["errors"][0]["code"].as_str()), (422, Some("inbox.bad_cursor")));
        app.stop().await;
    })
    .await;
}
