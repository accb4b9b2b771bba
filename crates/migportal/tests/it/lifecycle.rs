//! The lifecycle over the API (issue 17): routing to the office of the
//! address, the office's queues and case page, one route per step along
//! each service's stages, returns with per-field comments and resubmission,
//! refusal, cancellation, stale decisions and the other office — on both
//! databases.

use crate::applications::{
    answers_for, call, confirmed_foreigner, confirmed_sidorov, fields, photo, upload, with_files,
};
use crate::staff::staff_token;
use crate::support::*;
use reqwest::Method;
use serde_json::{Value, json};

const MOSCOW: &str = "01930000-0000-7000-8000-000000000001";
const PETERSBURG: &str = "01930000-0000-7000-8000-000000000002";

/// The demo's staff: the officer of Moscow, the head of office moved to
/// St Petersburg (so that two offices work), the administrator.
pub(crate) struct Office {
    pub moscow: String,
    pub petersburg: String,
    pub admin: String,
}

pub(crate) async fn office(app: &TestApp) -> Office {
    let admin = staff_token(app, "admin@demo.migportal.ru", "Demo-Admin-2026")
        .await
        .0;
    move_head(app, &admin, "780-022").await;
    Office {
        moscow: staff_token(app, "officer@demo.migportal.ru", "Demo-Officer-2026")
            .await
            .0,
        petersburg: staff_token(app, "head@demo.migportal.ru", "Demo-Head-2026")
            .await
            .0,
        admin,
    }
}

/// Moves the demo head of office to the office `code` (its sessions follow).
pub(crate) async fn move_head(app: &TestApp, admin: &str, code: &str) {
    let (_, list) = app
        .with_token(Method::GET, "/admin/staff", admin, None)
        .await;
    let head = list["staff"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["email"] == "head@demo.migportal.ru")
        .unwrap_or_else(|| panic!("no head in {list}"))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = app
        .with_token(
            Method::PUT,
            &format!("/admin/staff/{head}"),
            admin,
            Some(json!({"role": "head_of_office", "office_code": code, "status": "active"})),
        )
        .await;
    assert_eq!(status, 204, "{body}");
}

/// Creates, fills and sends an application of `code`; its id.
pub(crate) async fn sent(app: &TestApp, token: &str, code: &str) -> String {
    sent_with(app, token, code, |_| {}).await
}

/// Like [`sent`], with the example's answers changed by `change` first.
pub(crate) async fn sent_with(
    app: &TestApp,
    token: &str,
    code: &str,
    change: impl FnOnce(&mut Value),
) -> String {
    let (status, _, draft) = call(
        app,
        Method::POST,
        "/applications",
        token,
        &[],
        Some(json!({"service": code})),
    )
    .await;
    assert_eq!(status, 201, "{code}: {draft}");
    let id = draft["id"].as_str().unwrap().to_owned();
    let mut answers = answers_for(code, &draft);
    change(&mut answers);
    let answers = with_files(app, token, &id, answers).await;
    let path = format!("/applications/{id}");
    let (status, _, saved) = call(
        app,
        Method::PUT,
        &path,
        token,
        &[("If-Match", "\"1\"")],
        Some(json!({ "answers": answers })),
    )
    .await;
    assert_eq!(status, 200, "{code}: {saved}");
    let (status, _, body) = call(
        app,
        Method::POST,
        &format!("{path}/submit"),
        token,
        &[],
        None,
    )
    .await;
    assert_eq!(status, 200, "{code}: {body}");
    id
}

pub(crate) async fn case(app: &TestApp, token: &str, id: &str) -> (u16, Value) {
    let (status, _, body) = call(
        app,
        Method::GET,
        &format!("/office/applications/{id}"),
        token,
        &[],
        None,
    )
    .await;
    (status, body)
}

pub(crate) async fn act(
    app: &TestApp,
    token: &str,
    id: &str,
    step: &str,
    body: Value,
) -> (u16, Value) {
    let (status, _, body) = call(
        app,
        Method::POST,
        &format!("/office/applications/{id}/{step}"),
        token,
        &[],
        Some(body),
    )
    .await;
    (status, body)
}

/// The token of the office that holds `id` (the other one gets 404).
pub(crate) async fn holder<'a>(app: &TestApp, staff: &'a Office, id: &str) -> &'a str {
    let (m, _) = case(app, &staff.moscow, id).await;
    let (p, _) = case(app, &staff.petersburg, id).await;
    match (m, p) {
        (200, 404) => &staff.moscow,
        (404, 200) => &staff.petersburg,
        other => panic!("{id} is held by {other:?}"),
    }
}

/// Takes the office's steps forward until the application is completed.
async fn walk_to_the_end(app: &TestApp, token: &str, id: &str) -> Vec<String> {
    let mut taken = Vec::new();
    // The fee paid first: a visit or production waits for it.
    crate::support::pay_fee(app, id).await;
    for _ in 0..10 {
        let (status, c) = case(app, token, id).await;
        assert_eq!(status, 200, "{c}");
        if c["status"] == "completed" {
            return taken;
        }
        let steps: Vec<&str> = c["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let next = [
            "accept",
            "invite",
            "visit-done",
            "start-production",
            "mark-ready",
            "complete",
        ]
        .into_iter()
        .find(|s| steps.contains(s))
        .unwrap_or_else(|| panic!("{id}: no way forward from {c}"));
        let (status, after) = act(
            app,
            token,
            id,
            next,
            json!({"version": c["version"], "visit": "visit-1"}),
        )
        .await;
        assert_eq!(status, 200, "{next}: {after}");
        taken.push(next.to_owned());
    }
    panic!("{id} did not reach its end")
}

#[tokio::test]
async fn every_service_is_routed_and_walked_to_its_end() {
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let staff = office(&app).await;
        let citizen = confirmed_sidorov(&app, "+79161112233").await;
        let foreigner = confirmed_foreigner(&app, "+79163334455").await;
        let (_, catalogue) = status_json(
            app.client
                .get(format!("{}/services", app.api))
                .send()
                .await
                .unwrap(),
        )
        .await;
        let mut routed = Vec::new();
        for s in catalogue["services"].as_array().unwrap() {
            let code = s["code"].as_str().unwrap();
            let token = if s["applicants"] == json!(["foreign_national"]) {
                &foreigner
            } else {
                &citizen
            };
            let id = sent(&app, token, code).await;
            // A registration at someone else's dwelling waits for its owner:
            // Petrova, handed the code, agrees.
            let (status, _, consent) = call(
                &app,
                Method::GET,
                &format!("/applications/{id}/consent"),
                token,
                &[],
                None,
            )
            .await;
            if status == 200 {
                let owner = app
                    .login("applicant@demo.migportal.ru", "Demo-Applicant-2026")
                    .await;
                let (status, _, claimed) = call(
                    &app,
                    Method::POST,
                    "/consents/claim",
                    &owner,
                    &[],
                    Some(json!({"code": consent["code"]})),
                )
                .await;
                assert_eq!(status, 200, "{code}: {claimed}");
                let (status, _, _) = call(
                    &app,
                    Method::POST,
                    &format!("/consents/{}/approve", claimed["id"].as_str().unwrap()),
                    &owner,
                    &[],
                    None,
                )
                .await;
                assert_eq!(status, 200, "{code}");
            }
            // An address no office serves (a person with no registration on
            // record, a service routed by it): the administrators route it.
            let (m, _) = case(&app, &staff.moscow, &id).await;
            let (p, _) = case(&app, &staff.petersburg, &id).await;
            routed.push((
                code.to_owned(),
                match (m, p) {
                    (200, 404) => "moscow",
                    (404, 200) => "petersburg",
                    _ => "routed by an administrator",
                },
            ));
            if (m, p) == (404, 404) {
                let (_, _, lost) = call(
                    &app,
                    Method::GET,
                    "/office/applications",
                    &staff.admin,
                    &[],
                    None,
                )
                .await;
                let line = lost["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|i| i["id"] == id.as_str())
                    .unwrap_or_else(|| panic!("{code} is nowhere: {lost}"))
                    .clone();
                let (status, _, moved) = call(
                    &app,
                    Method::PUT,
                    &format!("/office/applications/{id}/office"),
                    &staff.admin,
                    &[],
                    Some(json!({"version": line["version"], "office_id": MOSCOW})),
                )
                .await;
                assert_eq!(status, 200, "{code}: {moved}");
            }
            let token_of_office = holder(&app, &staff, &id).await;
            // In the office's "new" queue, with its deadline and the person's name.
            let (_, _, queue) = call(
                &app,
                Method::GET,
                "/office/applications?queue=new&limit=100",
                token_of_office,
                &[],
                None,
            )
            .await;
            let line = queue["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["id"] == id.as_str())
                .unwrap_or_else(|| panic!("{code} not in the new queue: {queue}"))
                .clone();
            assert!(
                line["deadline"].as_str().is_some_and(|d| d.len() == 10),
                "{line}"
            );
            assert_eq!(line["overdue"], false);
            let steps = walk_to_the_end(&app, token_of_office, &id).await;
            assert_eq!(steps.last().map(String::as_str), Some("complete"), "{code}");
            // The person sees the whole way in the history.
            let (status, _, history) = call(
                &app,
                Method::GET,
                &format!("/applications/{id}/history"),
                token,
                &[],
                None,
            )
            .await;
            assert_eq!(status, 200, "{history}");
            let items = history["items"].as_array().unwrap();
            let to: Vec<&str> = items.iter().filter_map(|e| e["to"].as_str()).collect();
            assert_eq!(to.first(), Some(&"draft"), "{code}: {to:?}");
            assert_eq!(to.last(), Some(&"completed"), "{code}: {to:?}");
            assert!(
                items[1]["by_applicant"] == true && items.last().unwrap()["by_applicant"] == false
            );
        }
        // By the address each service names: a passport by the Moscow
        // residence, a stay and a deregistration by the St Petersburg dwelling;
        // the reference and the invitation by the person's registration, which
        // neither has on record.
        let expected = [
            ("passport-internal", "moscow"),
            ("passport-foreign-biometric", "moscow"),
            ("registration-stay", "petersburg"),
            ("deregistration", "petersburg"),
            ("address-reference", "routed by an administrator"),
            ("invitation-foreigner", "routed by an administrator"),
        ];
        for (code, office) in expected {
            assert!(
                routed.contains(&(code.to_owned(), office)),
                "{code}: {routed:?}"
            );
        }
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_return_opens_only_the_commented_fields_and_comes_back_to_the_same_office() {
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let staff = office(&app).await;
        let citizen = confirmed_sidorov(&app, "+79161112233").await;
        let id = sent(&app, &citizen, "passport-foreign-old").await;
        let (status, c) = case(&app, &staff.moscow, &id).await;
        assert_eq!(status, 200, "{c}");
        let v = c["version"].clone();
        // A return needs comments, each on a field of the form.
        let (status, body) = act(&app, &staff.moscow, &id, "return", json!({"version": v})).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("lifecycle.comments_required")), "{body}");
        let (status, body) = act(&app, &staff.moscow, &id, "return", json!({"version": v, "comments": [{"field": "/colour", "wrong": "x", "fix": "y"}]})).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(fields(&body), vec![("lifecycle.unknown_field".to_owned(), "comments".to_owned())]);
        let comment = json!({"field": "/photo", "wrong": "Фото не по образцу: тень на лице", "fix": "Загрузите фото на светлом фоне без теней"});
        let (status, returned) = act(&app, &staff.moscow, &id, "return", json!({"version": v, "comments": [comment]})).await;
        assert_eq!((status, returned["status"].as_str()), (200, Some("returned")), "{returned}");
        // A second decision on the old version loses with what it is now.
        let (status, body) = act(&app, &staff.moscow, &id, "accept", json!({"version": v})).await;
        assert_eq!((status, body["code"].as_str()), (409, Some("application.changed")), "{body}");
        assert_eq!(body["current_status"], "returned");

        // The person sees the comment next to its field.
        let (_, _, history) = call(&app, Method::GET, &format!("/applications/{id}/history"), &citizen, &[], None).await;
        let last = history["items"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["note"]["comments"][0], comment);
        let (_, headers, mine) = call(&app, Method::GET, &format!("/applications/{id}"), &citizen, &[], None).await;
        let etag = headers["etag"].to_str().unwrap().to_owned();
        // Another field is locked; the commented one opens.
        let mut answers = mine["answers"].clone();
        answers["birth_place"] = json!("г. Тверь");
        let (status, _, body) = call(&app, Method::PUT, &format!("/applications/{id}"), &citizen, &[("If-Match", &etag)], Some(json!({"answers": answers}))).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(fields(&body), vec![("application.field_locked".to_owned(), "/birth_place".to_owned())]);
        let (status, file) = upload(&app, &citizen, &id, "/photo", "new.jpg", photo(image::ImageFormat::Jpeg)).await;
        assert_eq!(status, 201, "{file}");
        let (status, file_elsewhere) = upload(&app, &citizen, &id, "/colour_photo", "x.jpg", photo(image::ImageFormat::Jpeg)).await;
        assert_eq!((status, file_elsewhere["code"].as_str()), (409, Some("application.field_locked")));
        let mut answers = mine["answers"].clone();
        answers["photo"] = file["id"].clone();
        let (status, headers, _) = call(&app, Method::PUT, &format!("/applications/{id}"), &citizen, &[("If-Match", &etag)], Some(json!({"answers": answers}))).await;
        assert_eq!(status, 200);
        let etag = headers["etag"].to_str().unwrap().to_owned();
        let (status, _, again) = call(&app, Method::POST, &format!("/applications/{id}/resubmit"), &citizen, &[("If-Match", &etag)], None).await;
        assert_eq!((status, again["status"].as_str()), (200, Some("submitted")), "{again}");
        // Back at the same office, in its "resubmitted" queue.
        let (_, _, queue) = call(&app, Method::GET, "/office/applications?queue=resubmitted", &staff.moscow, &[], None).await;
        assert!(queue["items"].as_array().unwrap().iter().any(|i| i["id"] == id.as_str()), "{queue}");
        let (_, c) = case(&app, &staff.moscow, &id).await;
        assert_eq!(c["answers"]["photo"], file["id"]);

        // Accepted; the person may still cancel, not once it is being made.
        let (status, c) = act(&app, &staff.moscow, &id, "accept", json!({"version": c["version"]})).await;
        assert_eq!(status, 200, "{c}");
        // Unpaid, no invitation; the office records the bank's payment by its UIN.
        let (status, body) = act(&app, &staff.moscow, &id, "invite", json!({"version": c["version"], "visit": "v1"})).await;
        assert_eq!((status, body["code"].as_str()), (409, Some("fee.unpaid")), "{body}");
        let (status, _, charges) = call(&app, Method::GET, &format!("/office/applications/{id}/charges"), &staff.moscow, &[], None).await;
        assert_eq!(status, 200, "{charges}");
        let charge = &charges["items"][0];
        assert_eq!((charge["status"].as_str(), charge["kopecks"].as_i64()), (Some("due"), Some(200_000)), "{charge}");
        let bank = json!({"uin": charge["uin"], "kopecks": 200_000, "reference": "ПП 4471"});
        let (status, _, body) = call(&app, Method::POST, "/office/payments", &staff.petersburg, &[], Some(bank.clone())).await;
        assert_eq!(status, 404, "another office's charge: {body}");
        let (status, _, body) = call(&app, Method::POST, "/office/payments", &staff.moscow, &[], Some(bank.clone())).await;
        assert_eq!((status, body["outcome"].as_str()), (201, Some("accepted")), "{body}");
        let (status, _, body) = call(&app, Method::POST, "/office/payments", &staff.moscow, &[], Some(bank)).await;
        assert_eq!((status, body["code"].as_str()), (409, Some("payment.reference_used")), "{body}");
        let (status, c) = act(&app, &staff.moscow, &id, "invite", json!({"version": c["version"], "visit": "v1"})).await;
        assert_eq!(status, 200, "{c}");
        // A missed visit goes back to accepted for a new booking.
        let (status, c) = act(&app, &staff.moscow, &id, "visit-missed", json!({"version": c["version"]})).await;
        assert_eq!((status, c["status"].as_str()), (200, Some("accepted")), "{c}");
        let (status, c) = act(&app, &staff.moscow, &id, "invite", json!({"version": c["version"], "visit": "v2"})).await;
        assert_eq!(status, 200, "{c}");
        let (status, c) = act(&app, &staff.moscow, &id, "visit-done", json!({"version": c["version"]})).await;
        assert_eq!(status, 200, "{c}");
        let (status, c) = act(&app, &staff.moscow, &id, "start-production", json!({"version": c["version"]})).await;
        assert_eq!(status, 200, "{c}");
        let (status, _, body) = call(&app, Method::POST, &format!("/applications/{id}/cancel"), &citizen, &[], None).await;
        assert_eq!((status, body["code"].as_str()), (409, Some("lifecycle.not_allowed")), "{body}");
        // A step that is not the service's next stage is refused.
        let (status, body) = act(&app, &staff.moscow, &id, "complete", json!({"version": c["version"]})).await;
        assert_eq!((status, body["code"].as_str()), (409, Some("lifecycle.not_allowed")), "{body}");
        let (status, body) = act(&app, &staff.moscow, &id, "fly", json!({"version": c["version"]})).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("lifecycle.unknown_step")), "{body}");
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn refusal_cancellation_concurrency_and_the_other_office() {
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let staff = office(&app).await;
        let citizen = confirmed_sidorov(&app, "+79161112233").await;
        let refused = sent(&app, &citizen, "passport-internal").await;
        let cancelled = sent(&app, &citizen, "passport-foreign-old").await;

        // The other office: not found, and the attempt is audited.
        let (status, body) = case(&app, &staff.petersburg, &refused).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
        let (status, _) = act(
            &app,
            &staff.petersburg,
            &refused,
            "accept",
            json!({"version": 2}),
        )
        .await;
        assert_eq!(status, 404);
        // An applicant has no office.
        let (status, _, _) = call(
            &app,
            Method::GET,
            "/office/applications",
            &citizen,
            &[],
            None,
        )
        .await;
        assert_eq!(status, 403);

        // Of ten concurrent decisions on one version, exactly one is taken.
        let (_, c) = case(&app, &staff.moscow, &refused).await;
        let v = c["version"].as_i64().unwrap();
        let mut tasks = Vec::new();
        for i in 0..10 {
            let (client, api, token, id) = (
                app.client.clone(),
                app.api.clone(),
                staff.moscow.clone(),
                refused.clone(),
            );
            let step = if i % 2 == 0 { "accept" } else { "reject" };
            tasks.push(tokio::spawn(async move {
                let res = client
                    .post(format!("{api}/office/applications/{id}/{step}"))
                    .bearer_auth(token)
                    .json(&json!({"version": v, "reason": "not_entitled"}))
                    .send()
                    .await
                    .unwrap();
                status_json(res).await
            }));
        }
        let mut statuses = Vec::new();
        for t in tasks {
            let (status, body) = t.await.unwrap();
            if status == 409 {
                assert_eq!(body["code"], "application.changed", "{body}");
            }
            statuses.push(status);
        }
        statuses.sort_unstable();
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            1,
            "{statuses:?}"
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == 409).count(),
            9,
            "{statuses:?}"
        );
        let (_, c) = case(&app, &staff.moscow, &refused).await;
        if c["status"] == "accepted" {
            let (status, body) = act(
                &app,
                &staff.moscow,
                &refused,
                "reject",
                json!({"version": c["version"]}),
            )
            .await;
            assert_eq!(
                (status, body["errors"][0]["code"].as_str()),
                (422, Some("lifecycle.unknown_reason")),
                "{body}"
            );
            let (status, c) = act(
                &app,
                &staff.moscow,
                &refused,
                "reject",
                json!({"version": c["version"], "reason": "not_entitled"}),
            )
            .await;
            assert_eq!(
                (status, c["status"].as_str()),
                (200, Some("rejected")),
                "{c}"
            );
        }
        let (_, _, history) = call(
            &app,
            Method::GET,
            &format!("/applications/{refused}/history"),
            &citizen,
            &[],
            None,
        )
        .await;
        let last = history["items"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            (last["to"].as_str(), last["note"]["reason"].as_str()),
            (Some("rejected"), Some("not_entitled"))
        );
        // A closed application takes no more steps.
        let (_, c) = case(&app, &staff.moscow, &refused).await;
        assert_eq!(c["steps"], json!([]));

        // The person cancels while it waits; a stale If-Match loses.
        let (status, _, body) = call(
            &app,
            Method::POST,
            &format!("/applications/{cancelled}/cancel"),
            &citizen,
            &[("If-Match", "\"1\"")],
            None,
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (409, Some("application.changed")),
            "{body}"
        );
        let (status, _, body) = call(
            &app,
            Method::POST,
            &format!("/applications/{cancelled}/cancel"),
            &citizen,
            &[],
            None,
        )
        .await;
        assert_eq!(
            (status, body["status"].as_str()),
            (200, Some("cancelled")),
            "{body}"
        );
        let (status, body) = act(
            &app,
            &staff.moscow,
            &cancelled,
            "accept",
            json!({"version": body["version"]}),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (409, Some("lifecycle.not_allowed")),
            "{body}"
        );
        // Cancelled frees the place: the person applies again.
        sent(&app, &citizen, "passport-foreign-old").await;

        // Every case view is in the person's access log.
        let (_, _, log) = call(&app, Method::GET, "/me/data-access", &citizen, &[], None).await;
        let text = log.to_string();
        assert!(text.contains("application_case"), "{log}");

        // Searching the queue: by number, by the start of the surname, refused wildcards.
        let (_, _, mine) = call(
            &app,
            Method::GET,
            "/applications?limit=1",
            &citizen,
            &[],
            None,
        )
        .await;
        let number = mine["items"][0]["number"].as_str().unwrap().to_owned();
        let (_, _, found) = call(
            &app,
            Method::GET,
            &format!("/office/applications?q={number}"),
            &staff.moscow,
            &[],
            None,
        )
        .await;
        assert_eq!(found["items"].as_array().unwrap().len(), 1, "{found}");
        let (_, _, found) = call(
            &app,
            Method::GET,
            "/office/applications?q=%D1%81%D0%B8%D0%B4",
            &staff.moscow,
            &[],
            None,
        )
        .await;
        assert!(
            found["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|i| i["applicant"].as_str().unwrap().starts_with("Сидоров")),
            "{found}"
        );
        assert!(!found["items"].as_array().unwrap().is_empty());
        let (status, _, body) = call(
            &app,
            Method::GET,
            "/office/applications?q=%25",
            &staff.moscow,
            &[],
            None,
        )
        .await;
        assert_eq!(
            (status, body["errors"][0]["code"].as_str()),
            (422, Some("office.bad_search")),
            "{body}"
        );
        let (status, _, body) = call(
            &app,
            Method::GET,
            "/office/applications?queue=later",
            &staff.moscow,
            &[],
            None,
        )
        .await;
        assert_eq!(
            (status, body["errors"][0]["code"].as_str()),
            (422, Some("office.unknown_queue")),
            "{body}"
        );
        let (status, _, body) = call(
            &app,
            Method::GET,
            "/office/applications?after=yesterday",
            &staff.moscow,
            &[],
            None,
        )
        .await;
        assert_eq!(
            (status, body["errors"][0]["code"].as_str()),
            (422, Some("office.bad_cursor")),
            "{body}"
        );

        // Overdue: a deadline in the past is highlighted and queued.
        let (_, _, fresh) = call(
            &app,
            Method::GET,
            "/applications?limit=1",
            &citizen,
            &[],
            None,
        )
        .await;
        let fresh_id = fresh["items"][0]["id"].as_str().unwrap().to_owned();
        let fresh_number = fresh["items"][0]["number"].as_str().unwrap().to_owned();
        sql(
            &app.db.url,
            &format!(
                "UPDATE applications SET deadline = '2020-01-01' WHERE number = '{fresh_number}'"
            ),
        )
        .await;
        let (_, _, overdue) = call(
            &app,
            Method::GET,
            "/office/applications?queue=overdue",
            &staff.moscow,
            &[],
            None,
        )
        .await;
        let line = overdue["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == fresh_id.as_str())
            .cloned();
        assert_eq!(
            line.map(|l| l["overdue"].clone()),
            Some(json!(true)),
            "{overdue}"
        );

        // A head sends an application of their office to another.
        let (_, c) = case(&app, &staff.moscow, &fresh_id).await;
        let (status, _, body) = call(
            &app,
            Method::PUT,
            &format!("/office/applications/{fresh_id}/office"),
            &staff.moscow,
            &[],
            Some(json!({"version": c["version"], "office_id": PETERSBURG})),
        )
        .await;
        assert_eq!(status, 403, "an officer does not reassign: {body}");
        move_head(&app, &staff.admin, "770-001").await;
        let (status, _, body) = call(
            &app,
            Method::PUT,
            &format!("/office/applications/{fresh_id}/office"),
            &staff.petersburg,
            &[],
            Some(json!({"version": c["version"], "office_id": PETERSBURG})),
        )
        .await;
        assert_eq!(
            (status, body["office_id"].as_str()),
            (200, Some(PETERSBURG)),
            "{body}"
        );
        let (status, _) = case(&app, &staff.moscow, &fresh_id).await;
        assert_eq!(status, 404);
        app.stop().await;
    })
    .await;
}

/// A production batch marked ready at once, over the API and on the
/// queue's page: each application its own step, a changed one reported.
#[tokio::test]
async fn a_production_batch_is_marked_ready_at_once() {
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let staff = office(&app).await;
        let citizen = confirmed_sidorov(&app, "+79161112233").await;
        let foreigner = confirmed_foreigner(&app, "+79163334455").await;
        let mut batch = Vec::new();
        for (token, code) in [
            (&citizen, "passport-foreign-old"),
            (&citizen, "passport-foreign-biometric"),
            (&foreigner, "residence-permit"),
        ] {
            let id = sent(&app, token, code).await;
            crate::support::pay_fee(&app, &id).await;
            let mut c = case(&app, &staff.moscow, &id).await.1;
            for step in ["accept", "invite", "visit-done", "start-production"] {
                let (status, next) = act(
                    &app,
                    &staff.moscow,
                    &id,
                    step,
                    json!({"version": c["version"], "visit": "v"}),
                )
                .await;
                assert_eq!(status, 200, "{code} {step}: {next}");
                c = next;
            }
            batch.push((id, c["version"].as_i64().unwrap()));
        }
        // One changes meanwhile (a message does not; a step does).
        let (changed, v) = batch[2].clone();
        let (status, _) = act(
            &app,
            &staff.moscow,
            &changed,
            "mark-ready",
            json!({"version": v}),
        )
        .await;
        assert_eq!(status, 200);
        let items: Vec<Value> = batch
            .iter()
            .map(|(id, v)| json!({"id": id, "version": v}))
            .collect();
        let (status, _, out) = call(
            &app,
            Method::POST,
            "/office/applications/ready",
            &staff.moscow,
            &[],
            Some(json!({"items": items})),
        )
        .await;
        assert_eq!(status, 200, "{out}");
        let results = out["results"].as_array().unwrap();
        assert_eq!(
            results.iter().filter(|r| r["ok"] == true).count(),
            2,
            "{out}"
        );
        assert_eq!(results[2]["code"], "application.changed");
        for (id, _) in &batch {
            assert_eq!(case(&app, &staff.moscow, id).await.1["status"], "ready");
        }
        let (status, _, p) = call(
            &app,
            Method::POST,
            "/office/applications/ready",
            &staff.moscow,
            &[],
            Some(json!({"items": []})),
        )
        .await;
        assert_eq!(
            (status, p["errors"][0]["code"].as_str()),
            (422, Some("office.batch_empty"))
        );
        // Another office's batch changes nothing there.
        let (_, _, out) = call(
            &app,
            Method::POST,
            "/office/applications/ready",
            &staff.petersburg,
            &[],
            Some(json!({"items": [{"id": batch[0].0, "version": 1}]})),
        )
        .await;
        assert_eq!(out["results"][0]["code"], "not_found", "{out}");

        // On the page: tick the production queue's rows, one button.
        let id = sent(&app, &foreigner, "temporary-residence-permit").await;
        crate::support::pay_fee(&app, &id).await;
        let mut c = case(&app, &staff.moscow, &id).await.1;
        for step in ["accept", "invite", "visit-done", "start-production"] {
            c = act(
                &app,
                &staff.moscow,
                &id,
                step,
                json!({"version": c["version"], "visit": "v"}),
            )
            .await
            .1;
        }
        // The officer's browser carries the session the API sign-in made.
        let browser = app.browser_with_session(&staff.moscow);
        let res = browser
            .get(format!(
                "{}/staff/applications?queue=in_production",
                app.url
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);
        let html = res.text().await.unwrap();
        let csrf = crate::pages::csrf_of(&html);
        let item = format!("{id}:{}", c["version"]);
        assert!(
            html.contains(&format!("name=\"item\" value=\"{item}\"")),
            "{html}"
        );
        let post = |form: Vec<(&'static str, String)>| {
            let (browser, url) = (browser.clone(), app.url.clone());
            async move {
                browser
                    .post(format!("{url}/staff/applications/ready"))
                    .header("origin", url.clone())
                    .form(&form)
                    .send()
                    .await
                    .unwrap()
            }
        };
        let res = post(vec![("csrf", csrf.clone()), ("item", item.clone())]).await;
        assert_eq!(res.status().as_u16(), 200);
        assert!(res.text().await.unwrap().contains("Готово к выдаче: 1."));
        assert_eq!(case(&app, &staff.moscow, &id).await.1["status"], "ready");
        let res = post(vec![("csrf", csrf)]).await;
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("Отметьте хотя бы одно заявление")
        );
        app.stop().await;
    })
    .await;
}

/// Where a service allows any office, the person chooses one; elsewhere
/// the address decides and a choice is refused.
#[tokio::test]
async fn a_passport_goes_to_the_office_the_person_chose() {
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let staff = office(&app).await;
        let citizen = confirmed_sidorov(&app, "+79161112233").await;
        let draft = |code: &'static str| {
            let (app, token) = (&app, citizen.clone());
            async move {
                let (_, _, d) = call(
                    app,
                    Method::POST,
                    "/applications",
                    &token,
                    &[],
                    Some(json!({"service": code})),
                )
                .await;
                let id = d["id"].as_str().unwrap().to_owned();
                let answers = with_files(app, &token, &id, answers_for(code, &d)).await;
                let (status, _, _) = call(
                    app,
                    Method::PUT,
                    &format!("/applications/{id}"),
                    &token,
                    &[("If-Match", "\"1\"")],
                    Some(json!({"answers": answers})),
                )
                .await;
                assert_eq!(status, 200);
                id
            }
        };
        let (_, _, offices) = call(&app, Method::GET, "/offices", &citizen, &[], None).await;
        assert!(
            offices["offices"]
                .as_array()
                .unwrap()
                .iter()
                .any(|o| o["code"] == "780-022"),
            "{offices}"
        );
        // Not a service of any office: refused, nothing sent.
        let stay = draft("registration-stay").await;
        let (status, _, p) = call(
            &app,
            Method::POST,
            &format!("/applications/{stay}/submit"),
            &citizen,
            &[],
            Some(json!({"office_code": "770-001"})),
        )
        .await;
        assert_eq!(
            (status, p["errors"][0]["code"].as_str()),
            (422, Some("application.office_not_allowed")),
            "{p}"
        );
        let passport = draft("passport-foreign-biometric").await;
        let (status, _, p) = call(
            &app,
            Method::POST,
            &format!("/applications/{passport}/submit"),
            &citizen,
            &[],
            Some(json!({"office_code": "999-999"})),
        )
        .await;
        assert_eq!(
            (status, p["errors"][0]["code"].as_str()),
            (422, Some("office.unknown")),
            "{p}"
        );
        let (_, _, mine) = call(
            &app,
            Method::GET,
            &format!("/applications/{passport}"),
            &citizen,
            &[],
            None,
        )
        .await;
        assert_eq!(mine["status"], "draft");
        // The Moscow resident hands it in at St Petersburg.
        let (status, _, sent) = call(
            &app,
            Method::POST,
            &format!("/applications/{passport}/submit"),
            &citizen,
            &[],
            Some(json!({"office_code": "780-022"})),
        )
        .await;
        assert_eq!(status, 200, "{sent}");
        assert_eq!(case(&app, &staff.petersburg, &passport).await.0, 200);
        assert_eq!(case(&app, &staff.moscow, &passport).await.0, 404);
        app.stop().await;
    })
    .await;
}
