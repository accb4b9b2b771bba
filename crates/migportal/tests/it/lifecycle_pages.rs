//! The lifecycle in the browser without JavaScript (issue 17): the office's
//! queue and case page with its step forms, a return read by the person
//! with each comment at its field, resubmission, the thread both ways, the
//! inbox, cancelling, a stale decision, and the owner's consent page.

use crate::applications::confirmed_sidorov;
use crate::lifecycle::{sent, sent_with};
use crate::pages::{browser_staff_login, csrf_of, location, page, submit};
use crate::support::*;
use reqwest::Client;
use serde_json::json;

/// A second browser, for the person (the first is the officer's).
pub(crate) struct Browser {
    client: Client,
    base: String,
    pub(crate) csrf: String,
}

impl Browser {
    pub(crate) async fn login(app: &TestApp, login: &str, password: &str) -> Self {
        let mut b = Self {
            client: TestApp::client(),
            base: app.url.clone(),
            csrf: String::new(),
        };
        let (_, html) = b.get("/login").await;
        let csrf = csrf_of(&html);
        let res = b
            .post(
                "/login",
                &[("csrf", &csrf), ("login", login), ("password", password)],
            )
            .await;
        assert_eq!(location(&res), "/account");
        b.csrf = csrf;
        b
    }

    pub(crate) async fn get(&self, path: &str) -> (u16, String) {
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    }

    pub(crate) async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .header("origin", self.base.clone())
            .form(form)
            .send()
            .await
            .unwrap()
    }

    async fn post_multipart(
        &self,
        path: &str,
        form: reqwest::multipart::Form,
    ) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .header("origin", self.base.clone())
            .multipart(form)
            .send()
            .await
            .unwrap()
    }
}

/// The value of the hidden `version` field of the first form after `marker`.
pub(crate) fn version_after(html: &str, marker: &str) -> String {
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} not in {html}"));
    let rest = &html[..at];
    let v = rest
        .rfind("name=\"version\" value=\"")
        .expect("a version field");
    rest[v + 22..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn the_lifecycle_through_the_pages() {
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let citizen = confirmed_sidorov(&app, "+79161112233").await;
        let id = sent(&app, &citizen, "passport-internal").await;

        // The officer: the queue, the case, a return with a comment at a field.
        let (officer_csrf, _) =
            browser_staff_login(&app, "officer@demo.migportal.ru", "Demo-Officer-2026").await;
        let (status, html) = page(&app, "/staff").await;
        assert_eq!(status, 200);
        assert!(html.contains("href=\"/staff/applications\""), "{html}");
        let (status, html) = page(&app, "/staff/applications?queue=new").await;
        assert_eq!(status, 200, "{html}");
        assert!(
            html.contains(&format!("/staff/applications/{id}")),
            "{html}"
        );
        assert!(html.contains("Сидоров Пётр Алексеевич"));
        let (status, html) = page(&app, &format!("/staff/applications/{id}")).await;
        assert_eq!(status, 200, "{html}");
        assert!(
            html.contains("Вернуть на доработку") && html.contains("Принять"),
            "{html}"
        );
        let version = version_after(&html, "Вернуть на доработку");
        let res = submit(
            &app,
            &format!("/staff/applications/{id}/return"),
            &[
                ("csrf", &officer_csrf),
                ("version", &version),
                ("field_0", "/birth_place"),
                ("wrong_0", "Не указан район"),
                ("fix_0", "Допишите район, как в паспорте"),
                ("field_1", ""),
                ("wrong_1", ""),
                ("fix_1", ""),
            ],
        )
        .await;
        assert_eq!(location(&res), format!("/staff/applications/{id}"));
        let (_, html) = page(&app, &format!("/staff/applications/{id}")).await;
        assert!(
            html.contains("Возвращено на доработку") && html.contains("Не указан район"),
            "{html}"
        );
        // The same form again, on the old version: what changed, nothing done.
        let res = submit(
            &app,
            &format!("/staff/applications/{id}/accept"),
            &[("csrf", &officer_csrf), ("version", &version)],
        )
        .await;
        assert_eq!(res.status().as_u16(), 409);
        assert!(res.text().await.unwrap().contains("Заявление изменилось"));
        // A return without a comment is refused with the reason.
        let (_, html) = page(&app, &format!("/staff/applications/{id}")).await;
        assert!(
            !html.contains("Вернуть на доработку</button>"),
            "no second return from returned"
        );

        // The person: the comment on the task list and at its field, then resubmission.
        let person = Browser::login(&app, "+79161112233", "Zelenyj-Slon-1985").await;
        let (status, html) = person.get(&format!("/applications/{id}")).await;
        assert_eq!(status, 200, "{html}");
        assert!(
            html.contains("Ведомство вернуло заявление на доработку"),
            "{html}"
        );
        assert!(
            html.contains("Не указан район") && html.contains("Допишите район"),
            "{html}"
        );
        let link = html
            .split("href=\"")
            .find(|s| s.starts_with(&format!("/applications/{id}/sections/")))
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        let (status, html) = person.get(&link.replace("&amp;", "&")).await;
        assert_eq!(status, 200);
        assert!(
            html.contains("Не указан район"),
            "the comment at its field: {html}"
        );
        let (_, html) = person.get(&format!("/applications/{id}/check")).await;
        assert!(
            html.contains(&format!("/applications/{id}/resubmit")),
            "{html}"
        );
        let v = version_after(&html, "Отправить исправленное заявление");
        let res = person
            .post(
                &format!("/applications/{id}/resubmit"),
                &[("csrf", &person.csrf), ("version", &v)],
            )
            .await;
        assert_eq!(location(&res), format!("/applications/{id}/check"));
        let (_, html) = person.get(&format!("/applications/{id}/check")).await;
        assert!(
            html.contains("Отправлено в ведомство") && html.contains("Возвращено на доработку"),
            "status and history: {html}"
        );

        // The officer accepts and writes; the person reads and answers with a file.
        let (_, html) = page(&app, &format!("/staff/applications/{id}")).await;
        let version = version_after(&html, "Принять");
        let res = submit(
            &app,
            &format!("/staff/applications/{id}/accept"),
            &[("csrf", &officer_csrf), ("version", &version)],
        )
        .await;
        assert_eq!(location(&res), format!("/staff/applications/{id}"));
        let form = reqwest::multipart::Form::new()
            .text("csrf", officer_csrf.clone())
            .text("text", "Возьмите на приём военный билет.");
        let res = app
            .client
            .post(format!("{}/staff/applications/{id}/messages", app.url))
            .header("origin", app.url.clone())
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(location(&res), format!("/staff/applications/{id}#messages"));
        let (_, html) = person.get(&format!("/applications/{id}/check")).await;
        assert!(html.contains("новых сообщений: 1"), "{html}");
        let (status, html) = person.get(&format!("/applications/{id}/messages")).await;
        assert_eq!(status, 200);
        assert!(
            html.contains("Возьмите на приём военный билет.")
                && html.contains("ОВМ ОМВД России по району Хамовники"),
            "{html}"
        );
        let form = reqwest::multipart::Form::new()
            .text("csrf", person.csrf.clone())
            .text("text", "Хорошо, возьму.")
            .part(
                "file",
                reqwest::multipart::Part::bytes(b"%PDF-1.4\n%%EOF\n".to_vec())
                    .file_name("справка.pdf"),
            );
        let res = person
            .post_multipart(&format!("/applications/{id}/messages"), form)
            .await;
        assert_eq!(location(&res), format!("/applications/{id}/messages"));
        let form = reqwest::multipart::Form::new()
            .text("csrf", person.csrf.clone())
            .text("text", "   ");
        let res = person
            .post_multipart(&format!("/applications/{id}/messages"), form)
            .await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("Напишите сообщение или приложите файл")
        );
        let (_, html) = page(&app, "/staff/applications?queue=accepted").await;
        assert!(
            html.contains("<strong>1</strong>"),
            "the office's unread count: {html}"
        );
        let (_, html) = page(&app, &format!("/staff/applications/{id}")).await;
        assert!(
            html.contains("Хорошо, возьму.") && html.contains("справка.pdf"),
            "{html}"
        );

        // The inbox gathers it; all can be marked read.
        let (status, html) = person.get("/inbox").await;
        assert_eq!(status, 200);
        assert!(html.contains("Статус заявления изменился"), "{html}");
        let res = person.post("/inbox/read", &[("csrf", &person.csrf)]).await;
        assert_eq!(location(&res), "/inbox");

        // The person withdraws it while allowed.
        let (_, html) = person.get(&format!("/applications/{id}/check")).await;
        assert!(html.contains("Отозвать заявление"));
        let v = version_after(&html, "Отозвать заявление");
        let res = person
            .post(
                &format!("/applications/{id}/cancel"),
                &[("csrf", &person.csrf), ("version", &v)],
            )
            .await;
        assert_eq!(location(&res), format!("/applications/{id}/check"));
        let (_, html) = person.get(&format!("/applications/{id}/check")).await;
        assert!(
            html.contains("Отменено заявителем") && !html.contains("Отозвать заявление"),
            "{html}"
        );

        // The owner's consent page: Petrova finds the request and agrees.
        sent_with(&app, &citizen, "registration-stay", |a| {
            a["owner_snils"] = json!("123-456-789 64")
        })
        .await;
        let owner =
            Browser::login(&app, "applicant@demo.migportal.ru", "Demo-Applicant-2026").await;
        let (status, html) = owner.get("/consents").await;
        assert_eq!(status, 200);
        assert!(
            html.contains("Сидоров Пётр Алексеевич") && html.contains("Согласен(на)"),
            "{html}"
        );
        let action = html
            .split("action=\"/consents/")
            .find(|s| s.contains("/approve\""))
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        let res = owner
            .post(&format!("/consents/{action}"), &[("csrf", &owner.csrf)])
            .await;
        assert_eq!(location(&res), "/consents");
        let (_, html) = owner.get("/consents").await;
        assert!(
            html.contains("получено") && !html.contains("Согласен(на)</button>"),
            "{html}"
        );
        let res = owner
            .post(
                "/consents/claim",
                &[("csrf", &owner.csrf), ("code", "ZZZZZ-ZZZZZ")],
            )
            .await;
        assert_eq!(res.status().as_u16(), 422);

        // A passport may be handed in at any office: the check page offers the choice.
        let (_, _, d) = crate::applications::call(
            &app,
            reqwest::Method::POST,
            "/applications",
            &citizen,
            &[],
            Some(json!({"service": "passport-foreign-biometric"})),
        )
        .await;
        let pid = d["id"].as_str().unwrap().to_owned();
        let answers = crate::applications::with_files(
            &app,
            &citizen,
            &pid,
            crate::applications::answers_for("passport-foreign-biometric", &d),
        )
        .await;
        crate::applications::call(
            &app,
            reqwest::Method::PUT,
            &format!("/applications/{pid}"),
            &citizen,
            &[("If-Match", "\"1\"")],
            Some(json!({"answers": answers})),
        )
        .await;
        let (_, html) = person.get(&format!("/applications/{pid}/check")).await;
        assert!(
            html.contains("name=\"office_code\"") && html.contains("780-022"),
            "{html}"
        );
        let v = version_after(&html, "name=\"office_code\"");
        let res = person
            .post(
                &format!("/applications/{pid}/submit"),
                &[
                    ("csrf", &person.csrf),
                    ("version", &v),
                    ("office_code", "780-022"),
                ],
            )
            .await;
        assert_eq!(res.status().as_u16(), 200);
        assert!(res.text().await.unwrap().contains("Отправлено в ведомство"));
        let (status, _) = page(&app, &format!("/staff/applications/{pid}")).await;
        assert_eq!(status, 404, "handed in at St Petersburg, not Moscow");
        app.stop().await;
    })
    .await;
}

/// Every service, sent by its applicants, walked by the office through the
/// case page's forms to its end; the person's page shows it done.
#[tokio::test]
async fn every_service_walks_to_its_end_through_the_office_pages() {
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let citizen = confirmed_sidorov(&app, "+79161112233").await;
        let foreigner = crate::applications::confirmed_foreigner(&app, "+79163334455").await;
        let (admin, _) =
            crate::staff::staff_token(&app, "admin@demo.migportal.ru", "Demo-Admin-2026").await;
        let owner = app.login("applicant@demo.migportal.ru", "Demo-Applicant-2026").await;
        let (officer_csrf, _) =
            browser_staff_login(&app, "officer@demo.migportal.ru", "Demo-Officer-2026").await;
        let catalogue = app::catalogue::Catalogue::builtin().unwrap();
        for s in catalogue.services() {
            let token = if s.applicants == [domain::catalogue::Applicant::ForeignNational] {
                &foreigner
            } else {
                &citizen
            };
            // The Moscow addresses decide, so that the Moscow officer has them all.
            let id = sent_with(&app, token, &s.code, |a| {
                for (here, there) in [
                    ("dwelling_address", "residence_address"),
                    ("registered_address", "new_address"),
                ] {
                    if let (Some(x), Some(y)) = (a.get(here).cloned(), a.get(there).cloned()) {
                        a[here] = y;
                        a[there] = x;
                    }
                }
            })
            .await;
            crate::support::pay_fee(&app, &id).await;
            let call = |method, path: String, token: &str, body| {
                let app = &app;
                let token = token.to_owned();
                async move { crate::applications::call(app, method, &path, &token, &[], body).await }
            };
            let (status, _, consent) =
                call(reqwest::Method::GET, format!("/applications/{id}/consent"), token, None).await;
            if status == 200 {
                let (_, _, claimed) = call(
                    reqwest::Method::POST,
                    "/consents/claim".into(),
                    &owner,
                    Some(json!({"code": consent["code"]})),
                )
                .await;
                let (status, _, _) = call(
                    reqwest::Method::POST,
                    format!("/consents/{}/approve", claimed["id"].as_str().unwrap()),
                    &owner,
                    None,
                )
                .await;
                assert_eq!(status, 200, "{}", s.code);
            }
            let (status, _) = page(&app, &format!("/staff/applications/{id}")).await;
            if status == 404 {
                let (_, _, mine) =
                    call(reqwest::Method::GET, format!("/applications/{id}"), token, None).await;
                let (status, _, moved) = call(
                    reqwest::Method::PUT,
                    format!("/office/applications/{id}/office"),
                    &admin,
                    Some(json!({"version": mine["version"], "office_id": "01930000-0000-7000-8000-000000000001"})),
                )
                .await;
                assert_eq!(status, 200, "{}: {moved}", s.code);
            }
            let mut taken = 0;
            loop {
                let (status, html) = page(&app, &format!("/staff/applications/{id}")).await;
                assert_eq!(status, 200, "{}: {html}", s.code);
                if html.contains("Услуга оказана</dd>") {
                    break;
                }
                // The invitation sets a time of the office's schedule ("visit");
                // once invited, the visit's outcome comes before moving it.
                let step = ["accept", "visit-done", "start-production", "mark-ready", "complete", "visit", "invite"]
                    .into_iter()
                    .find(|st| html.contains(&format!("action=\"/staff/applications/{id}/{st}\"")))
                    .unwrap_or_else(|| panic!("{}: no way forward in {html}", s.code));
                let marker = format!("action=\"/staff/applications/{id}/{step}\"");
                let form = &html[html.find(&marker).unwrap()..];
                let v = form.split("name=\"version\" value=\"").nth(1).unwrap().split('"').next().unwrap();
                let first_time = form.split("<option value=\"").nth(1).map_or("", |o| o.split('"').next().unwrap());
                let res = submit(&app, &format!("/staff/applications/{id}/{step}"), &[
                    ("csrf", &officer_csrf), ("version", v), ("visit", "окно 3, 10:00"), ("start_ms", first_time),
                ]).await;
                assert_eq!(location(&res), format!("/staff/applications/{id}"), "{} {step}", s.code);
                taken += 1;
                assert!(taken < 10, "{} does not end", s.code);
            }
            let (_, _, mine) =
                call(reqwest::Method::GET, format!("/applications/{id}"), token, None).await;
            assert_eq!(mine["status"], "completed", "{}", s.code);
        }
        // The person's page says it is done.
        let person = Browser::login(&app, "+79161112233", "Zelenyj-Slon-1985").await;
        let (_, html) = person.get("/applications").await;
        assert!(html.matches("Услуга оказана").count() >= 8, "{html}");
        app.stop().await;
    })
    .await;
}

/// A refusal with its ground, a missed visit and a refused consent, each
/// through the page's own form.
#[tokio::test]
async fn refusal_missed_visit_and_a_refused_consent_through_the_pages() {
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let citizen = confirmed_sidorov(&app, "+79161112233").await;
        let (csrf, _) =
            browser_staff_login(&app, "officer@demo.migportal.ru", "Demo-Officer-2026").await;
        let post_step = |id: String, step: &'static str, extra: Vec<(&'static str, String)>| {
            let app = &app;
            let csrf = csrf.clone();
            async move {
                let (_, html) = page(app, &format!("/staff/applications/{id}")).await;
                let marker = format!("action=\"/staff/applications/{id}/{step}\"");
                let at = html
                    .find(&marker)
                    .unwrap_or_else(|| panic!("no {step} in {html}"));
                let v = html[at..]
                    .split("name=\"version\" value=\"")
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap()
                    .to_owned();
                let mut form = vec![("csrf", csrf), ("version", v)];
                form.extend(extra);
                let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                submit(app, &format!("/staff/applications/{id}/{step}"), &form).await
            }
        };
        // A refusal needs its ground from the list.
        let refused = sent(&app, &citizen, "passport-internal").await;
        let res = post_step(refused.clone(), "reject", vec![("reason", String::new())]).await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("Укажите причину отказа из перечня")
        );
        let res = post_step(
            refused.clone(),
            "reject",
            vec![("reason", "not_entitled".into())],
        )
        .await;
        assert_eq!(location(&res), format!("/staff/applications/{refused}"));
        let (_, html) = page(&app, &format!("/staff/applications/{refused}")).await;
        assert!(
            html.contains("У заявителя нет права на услугу") && html.contains(">Отказ<"),
            "{html}"
        );

        // Invited at a time of the office's schedule, missed, back to accepted
        // for a new booking.
        let visit = sent(&app, &citizen, "passport-foreign-old").await;
        crate::support::pay_fee(&app, &visit).await;
        post_step(visit.clone(), "accept", vec![]).await;
        let res = post_step(visit.clone(), "visit", vec![("start_ms", String::new())]).await;
        assert_eq!(res.status().as_u16(), 422, "an invitation names its time");
        let (_, html) = page(&app, &format!("/staff/applications/{visit}")).await;
        let first = html
            .split("name=\"start_ms\"><option value=\"")
            .nth(1)
            .unwrap_or_else(|| panic!("no times in {html}"))
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        let res = post_step(visit.clone(), "visit", vec![("start_ms", first)]).await;
        assert_eq!(location(&res), format!("/staff/applications/{visit}"));
        let res = post_step(visit.clone(), "visit-missed", vec![]).await;
        assert_eq!(location(&res), format!("/staff/applications/{visit}"));
        let (_, html) = page(&app, &format!("/staff/applications/{visit}")).await;
        assert!(
            html.contains("Принято ведомством</dd>") && html.contains("приём "),
            "{html}"
        );

        // The owner refuses on the consent page; the application comes back to the person.
        let stay = sent_with(&app, &citizen, "registration-stay", |a| {
            a["owner_snils"] = json!("123-456-789 64")
        })
        .await;
        let owner =
            Browser::login(&app, "applicant@demo.migportal.ru", "Demo-Applicant-2026").await;
        let (_, html) = owner.get("/consents").await;
        let action = html
            .split("action=\"/consents/")
            .find(|s| s.contains("/refuse\""))
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        let res = owner
            .post(&format!("/consents/{action}"), &[("csrf", &owner.csrf)])
            .await;
        assert_eq!(location(&res), "/consents");
        let res = owner
            .post(&format!("/consents/{action}"), &[("csrf", &owner.csrf)])
            .await;
        assert_eq!(res.status().as_u16(), 409, "answered once");
        let person = Browser::login(&app, "+79161112233", "Zelenyj-Slon-1985").await;
        let mut html = String::new();
        for _ in 0..300 {
            html = person.get(&format!("/applications/{stay}")).await.1;
            if html.contains("Ведомство вернуло заявление") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(
            html.contains("Собственник жилья отказал в согласии"),
            "{html}"
        );
        // The portal's own comment is a catalogue text: read in English, in
        // English — on the page and in the API's history alike.
        person.get("/lang/en").await;
        let (_, html) = person.get(&format!("/applications/{stay}")).await;
        assert!(
            html.contains("The owner of the home refused consent to the registration."),
            "{html}"
        );
        let (status, history) = person
            .get(&format!("/api/v1/applications/{stay}/history"))
            .await;
        assert_eq!(status, 200, "{history}");
        assert!(
            history.contains("Give a home whose owner consents")
                && !history.contains("text:consent"),
            "{history}"
        );
        app.stop().await;
    })
    .await;
}
