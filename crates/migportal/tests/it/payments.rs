//! Fees and payment (issue 19) over HTTP with the test acquirer as a real
//! service: the charge and its UIN, paying on the acquirer's page, the
//! signed callback and its replay, forged and unknown callbacks, another
//! amount, a second payment, a refund on cancellation, paying a cancelled
//! application, and a restart between the payment and its callback.

use crate::applications::{call, confirmed_sidorov};
use crate::lifecycle::{office, sent};
use crate::support::*;
use reqwest::Method;
use serde_json::{Value, json};

async fn charge(app: &TestApp, token: &str, id: &str) -> Value {
    let (status, _, body) = call(
        app,
        Method::GET,
        &format!("/applications/{id}/charges"),
        token,
        &[],
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["items"][0].clone()
}

/// The UIN of the application's charge.
async fn uin_of(app: &TestApp, token: &str, id: &str) -> String {
    charge(app, token, id).await["uin"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn start(app: &TestApp, token: &str, uin: &str, key: &str) -> (u16, Value) {
    let (status, _, body) = call(
        app,
        Method::POST,
        &format!("/charges/{uin}/payments"),
        token,
        &[("Idempotency-Key", key)],
        None,
    )
    .await;
    (status, body)
}

async fn post_callback(app: &TestApp, body: &str, signature: Option<&str>) -> (u16, Value) {
    let mut req = app
        .client
        .post(format!("{}/payments/callback", app.api))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(s) = signature {
        req = req.header("x-signature", s);
    }
    status_json(req.send().await.unwrap()).await
}

/// The person on the acquirer's page: pays (or declines), sent back to the portal.
async fn pay_on_page(redirect: &str, decision: &str) -> String {
    let browser = TestApp::client();
    let page = browser
        .get(redirect)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Оплатить"), "{page}");
    let res = browser
        .post(redirect)
        .form(&[("decision", decision)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    crate::pages::location(&res)
}

async fn outcomes(app: &TestApp) -> Vec<String> {
    let mut all: Vec<String> = app
        .running
        .store
        .callbacks(100)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.outcome)
        .collect();
    all.reverse();
    all
}

#[tokio::test]
async fn the_fee_is_paid_through_the_acquirer_and_every_bad_callback_is_handled() {
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let staff = office(&app).await;
        let citizen = confirmed_sidorov(&app, "+79161112233").await;
        let other = app.login("applicant@demo.migportal.ru", "Demo-Applicant-2026").await;
        let id = sent(&app, &citizen, "passport-foreign-biometric").await;

        // The charge: the fee of the day (6 000 ₽ for an adult since
        // 2024-07-01, no portal discount since 2023), its UIN, due before the visit.
        let c = charge(&app, &citizen, &id).await;
        let uin = c["uin"].as_str().unwrap().to_owned();
        assert!(uin.len() == 20 && uin.starts_with("1880"), "{c}");
        assert!(domain::identifiers::Uin::parse(&uin).is_ok());
        assert_eq!(
            (c["kopecks"].as_i64(), c["portal_kopecks"].as_i64(), c["discount_percent"].as_i64()),
            (Some(600_000), Some(600_000), Some(0)),
            "{c}"
        );
        assert_eq!((c["status"].as_str(), c["due_stage"].as_str(), c["payable"].as_bool()), (Some("due"), Some("invited"), Some(true)));
        let (status, _, _) = call(&app, Method::GET, &format!("/applications/{id}/charges"), &other, &[], None).await;
        assert_eq!(status, 404, "another person's charges");

        // The inbox asks for it (and not for a visit, which waits for it).
        let todo = |what: &'static str| {
            let (app, citizen, id) = (&app, citizen.clone(), id.clone());
            async move {
                let (_, _, inbox) = call(app, Method::GET, "/inbox", &citizen, &[], None).await;
                inbox["todo"].as_array().unwrap().iter().any(|t| t["what"] == what && t["application_id"] == id.as_str())
            }
        };
        assert!(todo("pay").await);

        // Bad starts change nothing.
        let mut wrong = uin.clone().into_bytes();
        wrong[19] = b'0' + (wrong[19] - b'0' + 1) % 10;
        let wrong = String::from_utf8(wrong).unwrap();
        let (status, body) = start(&app, &citizen, &wrong, "w1").await;
        assert_eq!((status, body["errors"][0]["code"].as_str()), (422, Some("uin.checksum")), "{body}");
        let (status, body) = start(&app, &other, &uin, "o1").await;
        assert_eq!(status, 404, "another person's charge: {body}");

        // Started, under a key: the same key answers the same payment.
        let (status, started) = start(&app, &citizen, &uin, "pay-1").await;
        assert_eq!(status, 201, "{started}");
        let redirect = started["redirect_url"].as_str().unwrap().to_owned();
        assert!(redirect.starts_with(&app.acquirer_url), "{redirect}");
        let (status, again) = start(&app, &citizen, &uin, "pay-1").await;
        assert_eq!((status, &again["payment_id"]), (201, &started["payment_id"]), "{again}");
        // While it is with the bank, it is in progress and not payable again.
        let c = charge(&app, &citizen, &id).await;
        assert_eq!((c["payable"].as_bool(), c["in_progress"].as_bool()), (Some(false), Some(true)), "{c}");

        // Paid on the acquirer's page; back at the portal; the callback lands.
        let back = pay_on_page(&redirect, "pay").await;
        let payment = started["payment_id"].as_str().unwrap();
        assert!(back.ends_with(&format!("/applications/{id}/payment/{payment}")), "{back}");
        eventually("the callback settles the charge", || async {
            charge(&app, &citizen, &id).await["status"] == "paid"
        })
        .await;
        let c = charge(&app, &citizen, &id).await;
        assert_eq!((c["payments"].as_array().unwrap().len(), c["payable"].as_bool()), (1, Some(false)), "{c}");
        assert!(!todo("pay").await, "paid: nothing to pay");
        assert_eq!(c["payments"][0]["status"], "confirmed");

        // The same callback again (a replay): nothing changes.
        let sent_cb = app.acquirer.callbacks().into_iter().find(|cb| cb.order_id == payment).unwrap();
        assert!(sent_cb.delivered);
        let (status, body) = post_callback(&app, &sent_cb.body, Some(&sent_cb.signature)).await;
        assert_eq!((status, body["outcome"].as_str()), (200, Some("repeated")), "{body}");
        // Forged: the amount changed under the old signature, or no signature.
        let forged = sent_cb.body.replace("600000", "1");
        let (status, body) = post_callback(&app, &forged, Some(&sent_cb.signature)).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("payment.signature")), "{body}");
        let (status, _) = post_callback(&app, &sent_cb.body, None).await;
        assert_eq!(status, 401);
        // Signed, but for a payment nobody made.
        let unknown = json!({"order_id": uuid::Uuid::now_v7().to_string(), "status": "succeeded", "amount": 600000}).to_string();
        let signature = acquirer::sign(ACQUIRER_SECRET.as_bytes(), unknown.as_bytes());
        let (status, _) = post_callback(&app, &unknown, Some(&signature)).await;
        assert_eq!(status, 404);
        assert_eq!(outcomes(&app).await, ["accepted", "repeated", "forged", "forged", "unknown"]);
        let c = charge(&app, &citizen, &id).await;
        assert_eq!((c["status"].as_str(), c["payments"].as_array().unwrap().len()), (Some("paid"), 1), "{c}");
        // One notice of the payment, however many callbacks came.
        eventually("the payment's notice", || async {
            app.sms.lock().unwrap().iter().any(|m| m["to"] == "+79161112233" && m["text"].as_str().is_some_and(|t| t.contains(uin.as_str())))
        })
        .await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let notices = app.sms.lock().unwrap().iter().filter(|m| m["to"] == "+79161112233" && m["text"].as_str().is_some_and(|t| t.contains(uin.as_str()))).count();
        assert_eq!(notices, 1);

        // Paid once: a second start is refused; a second payment at a bank
        // is recorded as due back.
        let (status, body) = start(&app, &citizen, &uin, "pay-2").await;
        assert_eq!((status, body["code"].as_str()), (409, Some("charge.not_due")), "{body}");
        let (status, _, body) = call(&app, Method::POST, "/office/payments", &staff.moscow, &[], Some(json!({"uin": uin, "kopecks": 600_000, "reference": "п/п 77"}))).await;
        assert_eq!((status, body["outcome"].as_str()), (201, Some("refund_due")), "{body}");

        // Another application: the acquirer confirms another amount — flagged,
        // still due; paid right next, then cancelled: the fee goes back.
        let second = sent(&app, &citizen, "passport-foreign-old").await;
        let c2 = charge(&app, &citizen, &second).await;
        assert_eq!(c2["kopecks"].as_i64(), Some(200_000));
        let uin2 = c2["uin"].as_str().unwrap().to_owned();
        let (_, started) = start(&app, &citizen, &uin2, "p2-1").await;
        let order = started["payment_id"].as_str().unwrap().to_owned();
        app.acquirer.decide_now(&order, &acquirer::sim::Decision { pay: true, amount: Some(100), send_callback: true });
        eventually("the other amount is flagged", || async {
            charge(&app, &citizen, &second).await["payments"][0]["status"] == "mismatch"
        })
        .await;
        assert_eq!(charge(&app, &citizen, &second).await["status"], "due");
        let (status, started) = start(&app, &citizen, &uin2, "p2-2").await;
        assert_eq!(status, 201, "{started}");
        pay_on_page(started["redirect_url"].as_str().unwrap(), "pay").await;
        eventually("paid", || async { charge(&app, &citizen, &second).await["status"] == "paid" }).await;
        let (status, _, body) = call(&app, Method::POST, &format!("/applications/{second}/cancel"), &citizen, &[], None).await;
        assert_eq!(status, 200, "{body}");
        eventually("refunded through the acquirer", || async {
            charge(&app, &citizen, &second).await["status"] == "refunded"
        })
        .await;
        let refunded = started["payment_id"].as_str().unwrap();
        assert_eq!(app.acquirer.payment(refunded).unwrap().status, acquirer::ProviderStatus::Refunded);
        // A cancelled application is not paid.
        let (status, body) = start(&app, &citizen, &uin2, "p2-3").await;
        assert_eq!((status, body["code"].as_str()), (409, Some("charge.application_closed")), "{body}");
        app.running.stop().await;
    })
    .await;
}

/// The portal goes down after the payment starts; the person pays; the
/// acquirer's callback finds nobody. The next instance asks the acquirer and
/// the payment is not lost.
#[tokio::test]
async fn a_payment_confirmed_while_the_portal_was_down_is_not_lost() {
    each_backend(|backend| async move {
        // Asked about a second after it starts (the first instance is gone by then).
        let app = TestApp::spawn_config(backend, true, |c| {
            let url = c.payments.as_ref().unwrap().url.clone();
            c.payments = Some(payments_config(&url, 1));
        })
        .await;
        let citizen = confirmed_sidorov(&app, "+79161112233").await;
        let id = sent(&app, &citizen, "passport-foreign-biometric").await;
        let uin = uin_of(&app, &citizen, &id).await;
        let (status, started) = start(&app, &citizen, &uin, "k").await;
        assert_eq!(status, 201, "{started}");
        let order = started["payment_id"].as_str().unwrap().to_owned();
        let TestApp {
            running,
            db,
            acquirer,
            acquirer_url,
            sms_url,
            ..
        } = app;
        let store = running.store.clone();
        running.stop().await;

        // Paid meanwhile; the callback is tried and given up.
        let sent_cb = acquirer
            .decide_now(
                &order,
                &acquirer::sim::Decision {
                    pay: true,
                    amount: None,
                    send_callback: true,
                },
            )
            .unwrap();
        assert!(!sent_cb.body.is_empty());

        let (registry_url, _sim) = registry().await;
        let mut config = config(&db.url, &registry_url, &sms_url, false);
        config.payments = Some(payments_config(&acquirer_url, 1));
        let vault = store::vault::Vault::new("k1", KEY).unwrap();
        let options = migportal::StartOptions {
            worker_poll: std::time::Duration::from_millis(20),
            ..migportal::StartOptions::default()
        };
        let again = migportal::start(config, vault, options).await.unwrap();
        let charge_id = uuid::Uuid::parse_str(&id).unwrap();
        eventually("the reconciliation settles it", || async {
            store.charges_of(charge_id).await.unwrap()[0].status == store::ChargeStatus::Paid
        })
        .await;
        let payments = store
            .payments_of(store.charges_of(charge_id).await.unwrap()[0].id)
            .await
            .unwrap();
        assert_eq!(payments.len(), 1);
        assert_eq!(
            (payments[0].status, payments[0].paid_kopecks),
            (store::PaymentStatus::Confirmed, Some(600_000))
        );
        // The late callback, when it comes after all, changes nothing.
        let (status, body) = status_json(
            reqwest::Client::new()
                .post(format!("{}/api/v1/payments/callback", again.url()))
                .header("x-signature", &sent_cb.signature)
                .body(sent_cb.body.clone())
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            (status, body["outcome"].as_str()),
            (200, Some("repeated")),
            "{body}"
        );
        again.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_fee_is_shown_and_paid_through_the_pages() {
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let citizen = confirmed_sidorov(&app, "+79161112233").await;
        let browser = app.browser_with_session(&citizen);
        let get = |path: String| {
            let browser = browser.clone();
            async move {
                let res = browser.get(path).send().await.unwrap();
                (res.status().as_u16(), res.text().await.unwrap())
            }
        };
        // What it costs today, before the person starts.
        let (_, html) = get(format!("{}/services/passport-foreign-biometric", app.url)).await;
        for line in [
            "Взрослому: 6\u{a0}000,00\u{a0}₽",
            "Ребёнку до 14 лет: 3\u{a0}000,00\u{a0}₽",
            "Оплата — до этапа «",
        ] {
            assert!(html.contains(line), "{line}: {html}");
        }
        let (_, html) = get(format!("{}/services/registration-stay", app.url)).await;
        assert!(!html.contains("Оплата — до этапа"), "a free service");

        let id = sent(&app, &citizen, "passport-foreign-biometric").await;
        let uin = uin_of(&app, &citizen, &id).await;
        let (status, html) = get(format!("{}/applications/{id}/check", app.url)).await;
        assert_eq!(status, 200);
        for part in [
            "Госпошлина",
            uin.as_str(),
            "Ожидает оплаты",
            "Оплатить 6\u{a0}000,00\u{a0}₽",
            "до записи на приём",
        ] {
            assert!(html.contains(part), "{part}: {html}");
        }
        // A form without its token changes nothing.
        let res = browser
            .post(format!("{}/applications/{id}/pay", app.url))
            .header("origin", app.url.clone())
            .form(&[("csrf", "wrong")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 403);
        let res = browser
            .post(format!("{}/applications/{id}/pay", app.url))
            .header("origin", app.url.clone())
            .form(&[("csrf", crate::pages::csrf_of(&html).as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 303);
        let to_bank = crate::pages::location(&res);
        assert!(to_bank.starts_with(&app.acquirer_url), "{to_bank}");
        let back = pay_on_page(&to_bank, "pay").await;
        let (status, html) = get(back).await;
        assert_eq!(status, 200);
        assert!(
            html.contains("Госпошлина оплачена") && html.contains("6\u{a0}000,00\u{a0}₽"),
            "{html}"
        );
        let (_, html) = get(format!("{}/applications/{id}/check", app.url)).await;
        assert!(
            html.contains("Оплачена") && !html.contains("Оплатить 6"),
            "{html}"
        );
        app.running.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_office_records_a_bank_payment_on_the_case_page() {
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let citizen = confirmed_sidorov(&app, "+79161112233").await;
        let id = sent(&app, &citizen, "passport-foreign-old").await;
        let (csrf, _) = crate::pages::browser_staff_login(
            &app,
            "officer@demo.migportal.ru",
            "Demo-Officer-2026",
        )
        .await;
        let (status, html) = crate::pages::page(&app, &format!("/staff/applications/{id}")).await;
        assert_eq!(status, 200);
        assert!(
            html.contains("Оплата госпошлины в банке") && html.contains("Ожидает оплаты"),
            "{html}"
        );
        let uin = uin_of(&app, &citizen, &id).await;
        let post = |amount: &'static str, reference: &'static str| {
            let (app, csrf, uin, id) = (&app, csrf.clone(), uin.clone(), id.clone());
            async move {
                crate::pages::submit(
                    app,
                    &format!("/staff/applications/{id}/bank-payment"),
                    &[
                        ("csrf", &csrf),
                        ("uin", &uin),
                        ("amount", amount),
                        ("reference", reference),
                    ],
                )
                .await
            }
        };
        // An amount that is not one, or no reference: said at the field.
        let res = post("две тысячи", "п/п 12").await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(res.text().await.unwrap().contains("href=\"#bank-amount\""));
        let res = post("2 000,00", "").await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("href=\"#bank-reference\"")
        );
        assert_eq!(charge(&app, &citizen, &id).await["status"], "due");
        let res = post("2 000,00", "п/п 12").await;
        assert_eq!(
            crate::pages::location(&res),
            format!("/staff/applications/{id}")
        );
        let (_, html) = crate::pages::page(&app, &format!("/staff/applications/{id}")).await;
        assert!(
            html.contains("Оплачена") && !html.contains("Оплата госпошлины в банке"),
            "{html}"
        );
        let c = charge(&app, &citizen, &id).await;
        assert_eq!(
            (c["status"].as_str(), c["payments"][0]["channel"].as_str()),
            (Some("paid"), Some("bank"))
        );
        app.running.stop().await;
    })
    .await;
}

/// A payment left on the bank's page does not block paying for ever: after
/// half an hour without word the person may start another.
#[tokio::test]
async fn an_abandoned_payment_does_not_block_paying_again() {
    each_backend(|backend| async move {
        let app = TestApp::spawn_with(backend, true).await;
        let citizen = confirmed_sidorov(&app, "+79161112233").await;
        let id = sent(&app, &citizen, "passport-foreign-biometric").await;
        let uin = uin_of(&app, &citizen, &id).await;
        let (status, _) = start(&app, &citizen, &uin, "left").await;
        assert_eq!(status, 201);
        assert_eq!(charge(&app, &citizen, &id).await["payable"], false);
        sql(
            &app.db.url,
            "UPDATE payments SET created_at = created_at - 1860000 WHERE status = 'created'",
        )
        .await;
        let c = charge(&app, &citizen, &id).await;
        assert_eq!(
            (c["payable"].as_bool(), c["in_progress"].as_bool()),
            (Some(true), Some(false)),
            "{c}"
        );
        let (status, again) = start(&app, &citizen, &uin, "again").await;
        assert_eq!(status, 201, "{again}");
        pay_on_page(again["redirect_url"].as_str().unwrap(), "pay").await;
        eventually("paid", || async {
            charge(&app, &citizen, &id).await["status"] == "paid"
        })
        .await;
        app.running.stop().await;
    })
    .await;
}

/// The payment provider unreachable: starting a payment is answered with a
/// clear 503 and nothing is lost or half-done (the charge stays due, the
/// rest of the portal serves); the reconciliation job fails against the
/// dead provider until its attempts run out, the administrator sees it on
/// the stuck-jobs page (other staff are refused), sets it going again once
/// the provider is back, and it finishes by itself; the person then pays.
#[tokio::test]
async fn an_unreachable_provider_loses_nothing_and_stuck_work_is_set_going_again() {
    each_backend(|backend| async move {
        let (acquirer_url, _sim) = acquirer().await;
        let provider = Cuttable::new(&acquirer_url);
        let payments = payments_config(&provider.url, 1);
        let app = TestApp::spawn_config(backend, true, |c| c.payments = Some(payments)).await;
        let staff = office(&app).await;
        let citizen = confirmed_sidorov(&app, "+79161112233").await;
        let id = sent(&app, &citizen, "passport-foreign-biometric").await;
        let uin = uin_of(&app, &citizen, &id).await;

        provider.set_up(false);
        let (status, body) = start(&app, &citizen, &uin, "down-1").await;
        assert_eq!(
            (status, body["code"].as_str()),
            (503, Some("payment.provider_unavailable")),
            "{body}"
        );
        assert_eq!(charge(&app, &citizen, &id).await["status"], "due");
        let (status, _, _) = call(
            &app,
            Method::GET,
            &format!("/applications/{id}"),
            &citizen,
            &[],
            None,
        )
        .await;
        assert_eq!(status, 200, "the portal keeps serving");
        // The reconciliation of that payment runs against the dead provider;
        // its attempts are cut to one so that they run out now.
        sql(
            &app.db.url,
            // `attempts + 1`: it may have failed once already, and a job
            // with no attempt left would never be claimed again.
            "UPDATE jobs SET max_attempts = attempts + 1 WHERE kind = 'payment_reconcile' AND done_at IS NULL",
        )
        .await;
        let payload = scalar(&app.db.url, "SELECT payload FROM jobs WHERE kind = 'payment_reconcile'").await;
        assert_eq!(payload.len(), 36, "the payment's id: {payload}");

        // The administrator's page, in a browser signed in as them.
        let admin = app.browser_with_session(&staff.admin);
        let page = |path: &'static str| {
            let (admin, app) = (&admin, &app);
            async move {
                let res = admin
                    .get(format!("{}{path}", app.url))
                    .send()
                    .await
                    .unwrap();
                (res.status().as_u16(), res.text().await.unwrap())
            }
        };
        let mut html = String::new();
        for _ in 0..200 {
            html = page("/staff/admin/jobs").await.1;
            if html.contains("payment_reconcile") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(
            html.contains("payment_reconcile") && html.contains("jobs/revive"),
            "{html}"
        );
        assert!(!html.contains(&payload), "no payload on the page");
        let metrics = reqwest::get(format!("{}/metrics", app.url))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            metrics.contains("migportal_jobs{state=\"dead\"} 1"),
            "{metrics}"
        );
        let officer = TestApp::client()
            .get(format!("{}/staff/admin/jobs", app.url))
            .header("cookie", format!("mp_session={}", staff.moscow))
            .send()
            .await
            .unwrap();
        assert_eq!(officer.status().as_u16(), 403);

        // The provider is back; the administrator sets the work going again.
        provider.set_up(true);
        let csrf = crate::pages::csrf_of(&html);
        let res = admin
            .post(format!("{}/staff/admin/jobs/revive", app.url))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 303);
        let to = res.headers()["location"].to_str().unwrap().to_owned();
        assert_eq!(to, "/staff/admin/jobs?revived=1");
        assert!(!page("/staff/admin/jobs").await.1.contains("payment_reconcile"));
        // It runs again against the provider, now reachable, and is done:
        // the provider never took that payment, so it is ended.
        eventually("the revived job finishes", || {
            let url = app.db.url.clone();
            async move {
                scalar(&url, "SELECT outcome FROM jobs WHERE kind = 'payment_reconcile'").await == "done"
            }
        })
        .await;
        let open = scalar(&app.db.url, "SELECT COUNT(*) FROM payments WHERE status = 'created'").await;
        assert_eq!(open, "0", "the payment the provider never took is ended");
        // The provider never took that payment: it is ended, the charge
        // still due, and paying now goes through.
        assert_eq!(charge(&app, &citizen, &id).await["status"], "due");
        let (status, body) = start(&app, &citizen, &uin, "up-1").await;
        assert_eq!(status, 201, "{body}");
        assert!(body["redirect_url"].as_str().is_some(), "{body}");
        let auditor =
            crate::staff::staff_token(&app, "auditor@demo.migportal.ru", "Demo-Auditor-2026")
                .await
                .0;
        let (_, log) = app
            .with_token(Method::GET, "/audit?action=jobs.revived", &auditor, None)
            .await;
        assert_eq!(log["events"].as_array().map(Vec::len), Some(1), "{log}");
        app.stop().await;
    })
    .await;
}
