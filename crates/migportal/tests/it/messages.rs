//! The thread of an application (issue 17, item 7): text and files both
//! ways, the office shown by its name, read receipts and unread counts on
//! both sides, files judged by content, size limits, the other office, a
//! closed application — on both databases.

use crate::applications::{call, confirmed_sidorov, photo};
use crate::lifecycle::sent;
use crate::staff::staff_token;
use crate::support::*;
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

async fn post_form(app: &TestApp, path: &str, token: &str, form: Form) -> (u16, Value) {
    let res = app
        .client
        .post(format!("{}{path}", app.api))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    status_json(res).await
}

fn file(name: &str, bytes: Vec<u8>) -> Part {
    Part::bytes(bytes).file_name(name.to_owned())
}

#[tokio::test]
async fn a_thread_between_the_person_and_the_office() {
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let officer = staff_token(&app, "officer@demo.migportal.ru", "Demo-Officer-2026")
            .await
            .0;
        let citizen = confirmed_sidorov(&app, "+79161112233").await;
        let id = sent(&app, &citizen, "passport-internal").await;
        let mine = format!("/applications/{id}/messages");
        let theirs = format!("/office/applications/{id}/messages");

        // The office writes; the person sees the office's name and an unread count.
        let (status, _, m) = call(
            &app,
            Method::POST,
            &theirs,
            &officer,
            &[],
            Some(json!({"text": "Принесите, пожалуйста, свидетельство о браке."})),
        )
        .await;
        assert_eq!(status, 201, "{m}");
        assert_eq!(
            (m["from_office"].as_bool(), m["read_at"].is_null()),
            (Some(true), true)
        );
        let (_, _, list) = call(&app, Method::GET, "/applications", &citizen, &[], None).await;
        let line = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == id.as_str())
            .unwrap()
            .clone();
        assert_eq!(line["unread"], 1, "{line}");
        let (status, _, thread) = call(&app, Method::GET, &mine, &citizen, &[], None).await;
        assert_eq!(status, 200, "{thread}");
        let first = thread["items"][0].clone();
        assert_eq!(
            first["office"], "ОВМ ОМВД России по району Хамовники г. Москвы",
            "{first}"
        );
        assert!(
            !first.to_string().contains("Demo") && !first.to_string().contains("officer"),
            "{first}"
        );
        let (_, _, list) = call(&app, Method::GET, "/applications", &citizen, &[], None).await;
        let line = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == id.as_str())
            .unwrap()
            .clone();
        assert_eq!(line["unread"], 0);
        // The office sees its read receipt.
        let (_, _, thread) = call(&app, Method::GET, &theirs, &officer, &[], None).await;
        assert!(thread["items"][0]["read_at"].is_i64(), "{thread}");
        // And the person was told by SMS.
        eventually("the SMS about the office's message", || async {
            app.sms.lock().unwrap().iter().any(|s| {
                s["text"]
                    .as_str()
                    .is_some_and(|t| t.contains("сообщение из ведомства"))
            })
        })
        .await;

        // The person answers with a scan and a photo.
        let form = Form::new()
            .text("text", "Прикладываю свидетельство и фото.")
            .part("file", file("свидетельство.pdf", PDF.to_vec()))
            .part("file", file("фото.jpg", photo(image::ImageFormat::Jpeg)));
        let (status, m) = post_form(&app, &mine, &citizen, form).await;
        assert_eq!(status, 201, "{m}");
        let files = m["files"].as_array().unwrap().clone();
        assert_eq!(files.len(), 2, "{m}");
        // Unread for the office, in its queue, until it opens the thread.
        let (_, _, queue) = call(
            &app,
            Method::GET,
            "/office/applications?queue=new&limit=100",
            &officer,
            &[],
            None,
        )
        .await;
        let item = queue["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id.as_str())
            .unwrap()
            .clone();
        assert_eq!(item["unread"], 1, "{item}");
        call(&app, Method::GET, &theirs, &officer, &[], None).await;
        let (_, _, queue) = call(
            &app,
            Method::GET,
            "/office/applications?queue=new&limit=100",
            &officer,
            &[],
            None,
        )
        .await;
        let item = queue["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id.as_str())
            .unwrap()
            .clone();
        assert_eq!(item["unread"], 0, "{item}");
        // The office downloads a file; the person sees that in the access log.
        let pdf = files
            .iter()
            .find(|f| f["media_type"] == "application/pdf")
            .unwrap();
        let res = app
            .client
            .get(format!(
                "{}{theirs}/files/{}",
                app.api,
                pdf["id"].as_str().unwrap()
            ))
            .bearer_auth(&officer)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert!(
            res.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment")
        );
        assert_eq!(res.bytes().await.unwrap().as_ref(), PDF);
        let (_, _, log) = call(&app, Method::GET, "/me/data-access", &citizen, &[], None).await;
        assert!(log.to_string().contains("message_file"), "{log}");

        // Bad input: nothing is kept.
        let exe = [b"MZ\x90\x00".as_slice(), &[0u8; 200]].concat();
        let (status, p) = post_form(
            &app,
            &mine,
            &citizen,
            Form::new()
                .text("text", "x")
                .part("file", file("договор.pdf", exe)),
        )
        .await;
        assert_eq!(
            (status, p["errors"][0]["code"].as_str()),
            (422, Some("file.type")),
            "{p}"
        );
        let (status, _, p) = call(
            &app,
            Method::POST,
            &mine,
            &citizen,
            &[],
            Some(json!({"text": "   "})),
        )
        .await;
        assert_eq!(
            (status, p["errors"][0]["code"].as_str()),
            (422, Some("message.empty")),
            "{p}"
        );
        let (status, _, p) = call(
            &app,
            Method::POST,
            &mine,
            &citizen,
            &[],
            Some(json!({"text": "я".repeat(4001)})),
        )
        .await;
        assert_eq!(
            (status, p["errors"][0]["code"].as_str()),
            (422, Some("message.too_long")),
            "{p}"
        );
        let mut four = Form::new().text("text", "много");
        for i in 0..4 {
            four = four.part("file", file(&format!("{i}.pdf"), PDF.to_vec()));
        }
        let (status, p) = post_form(&app, &mine, &citizen, four).await;
        assert_eq!(
            (status, p["errors"][0]["code"].as_str()),
            (422, Some("message.too_many_files")),
            "{p}"
        );
        let big = Form::new()
            .text("text", "большой")
            .part("file", file("big.pdf", vec![b'%'; 50 * 1024 * 1024]));
        let (status, p) = post_form(&app, &mine, &citizen, big).await;
        assert_eq!(
            (status, p["code"].as_str()),
            (413, Some("body.too_large")),
            "{p}"
        );
        let (_, _, thread) = call(&app, Method::GET, &mine, &citizen, &[], None).await;
        assert_eq!(thread["items"].as_array().unwrap().len(), 2, "{thread}");

        // Someone else's thread is not found; so is another office's.
        let stranger = crate::applications::confirmed_foreigner(&app, "+79163334455").await;
        let (status, _, _) = call(&app, Method::GET, &mine, &stranger, &[], None).await;
        assert_eq!(status, 404);
        let (status, _, _) = call(
            &app,
            Method::POST,
            &mine,
            &stranger,
            &[],
            Some(json!({"text": "привет"})),
        )
        .await;
        assert_eq!(status, 404);

        // A closed application takes no more messages.
        let (status, _, body) = call(
            &app,
            Method::POST,
            &format!("/applications/{id}/cancel"),
            &citizen,
            &[],
            None,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let (status, _, p) = call(
            &app,
            Method::POST,
            &mine,
            &citizen,
            &[],
            Some(json!({"text": "ещё вопрос"})),
        )
        .await;
        assert_eq!(
            (status, p["code"].as_str()),
            (409, Some("message.closed")),
            "{p}"
        );
        let (status, _, p) = call(
            &app,
            Method::POST,
            &theirs,
            &officer,
            &[],
            Some(json!({"text": "ответ"})),
        )
        .await;
        assert_eq!(
            (status, p["code"].as_str()),
            (409, Some("message.closed")),
            "{p}"
        );
        app.stop().await;
    })
    .await;
}
