//! The standard level: identity data checked against the reference registry.

use crate::support::*;
use registries::sim::Faults;
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn citizen_is_verified_and_may_log_in_by_snils() {
    each_backend(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let token = app
            .applicant("+79161234567", "Иванов", "Иван", Some("Иванович"))
            .await;
        let (status, body) = app
            .with_token(Method::GET, "/me/identity", &token, None)
            .await;
        assert_eq!(
            (status, body["state"].as_str()),
            (200, Some("not_submitted"))
        );

        let (status, body) = app
            .with_token(
                Method::PUT,
                "/me/identity",
                &token,
                Some(citizen_identity()),
            )
            .await;
        assert_eq!(
            (status, body["state"].as_str()),
            (202, Some("pending")),
            "{body}"
        );
        let settled = app.identity_settled(&token).await;
        assert_eq!(settled["state"], "verified", "{settled}");
        assert_eq!(settled["masked"], "СНИЛС ***-***-445 95; ** ** ***456");
        let (_, me) = app.with_token(Method::GET, "/me", &token, None).await;
        assert_eq!(me["level"], "standard");

        // The SNILS is now a login, in any of its written forms.
        let by_snils = app.login("112-233-445 95", "Zelenyj-Slon-1985").await;
        let (_, me2) = app.with_token(Method::GET, "/me", &by_snils, None).await;
        assert_eq!(me2["id"], me["id"]);

        // Nobody else may take the same SNILS, and the refusal names nobody:
        // the submission is accepted, the check sends them to a service centre.
        let other = app.applicant("+79160001111", "Иванов", "Иван", None).await;
        let (status, body) = app
            .with_token(
                Method::PUT,
                "/me/identity",
                &other,
                Some(citizen_identity()),
            )
            .await;
        assert_eq!(status, 202, "{body}");
        let settled = app.identity_settled(&other).await;
        assert_eq!(
            (
                settled["state"].as_str(),
                settled["failure"]["code"].as_str()
            ),
            (Some("failed"), Some("needs_service_centre")),
            "{settled}"
        );
        let (_, me_other) = app.with_token(Method::GET, "/me", &other, None).await;
        assert_eq!(me_other["level"], "simplified");
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn mismatch_is_explained_and_can_be_corrected() {
    each_backend(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let token = app.applicant("+79161234567", "Иванов", "Иван", Some("Иванович")).await;
        let mut wrong = citizen_identity();
        wrong["birth_date"] = json!("15.03.1985");
        let (status, _) = app.with_token(Method::PUT, "/me/identity", &token, Some(wrong)).await;
        assert_eq!(status, 202);
        let settled = app.identity_settled(&token).await;
        assert_eq!(settled["state"], "failed");
        assert_eq!(settled["failure"]["code"], "passport_mismatch");
        assert!(settled["failure"]["message"].as_str().unwrap().contains("Проверьте"), "{settled}");

        // The person fixes the date and the check runs again.
        let (status, body) = app.with_token(Method::PUT, "/me/identity", &token, Some(citizen_identity())).await;
        assert_eq!((status, body["version"].as_i64()), (202, Some(2)));
        assert_eq!(app.identity_settled(&token).await["state"], "verified");

        // An invalid (lost) passport says what to do, in English on request.
        let token2 = app.applicant("+79160002222", "Морозов", "Дмитрий", Some("Николаевич")).await;
        let lost = json!({
            "citizenship": "russian", "surname": "Морозов", "given_name": "Дмитрий", "patronymic": "Николаевич",
            "birth_date": "1970-04-04", "snils": "789-123-456 44", "passport": "5015 666777",
            "passport_issued_on": "2015-05-05", "office_code": "540-001"
        });
        let (status, _) = app.with_token(Method::PUT, "/me/identity", &token2, Some(lost)).await;
        assert_eq!(status, 202);
        app.identity_settled(&token2).await;
        let res = app
            .client
            .get(format!("{}/me/identity", app.api))
            .bearer_auth(&token2)
            .header("accept-language", "en")
            .send()
            .await
            .unwrap();
        let (_, body) = status_json(res).await;
        assert_eq!(body["failure"]["code"], "passport_invalid");
        assert!(body["failure"]["message"].as_str().unwrap().contains("migration office"), "{body}");
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn registry_down_or_slow_leaves_the_check_pending_until_it_recovers() {
    each_backend(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let token = app
            .applicant("+79161234567", "Иванов", "Иван", Some("Иванович"))
            .await;
        app.sim.set_faults(Faults {
            delay_ms: 0,
            unavailable: true,
        });
        let (status, _) = app
            .with_token(
                Method::PUT,
                "/me/identity",
                &token,
                Some(citizen_identity()),
            )
            .await;
        assert_eq!(status, 202);
        // The worker tries, the registry answers 503: still pending, not failed.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while app.sim.requests() == 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "the worker never called the registry"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (_, body) = app
            .with_token(Method::GET, "/me/identity", &token, None)
            .await;
        assert_eq!(body["state"], "pending", "{body}");

        // Now slow: slower than the client's timeout (500 ms). Still pending.
        app.sim.set_faults(Faults {
            delay_ms: 2_000,
            unavailable: false,
        });
        let before = app.sim.requests();
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while app.sim.requests() == before {
            assert!(
                std::time::Instant::now() < deadline,
                "no retry after the outage"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (_, body) = app
            .with_token(Method::GET, "/me/identity", &token, None)
            .await;
        assert_eq!(body["state"], "pending", "{body}");

        // Recovered: the retry (with backoff) completes the check.
        app.sim.set_faults(Faults::default());
        let settled = app.identity_settled(&token).await;
        assert_eq!(settled["state"], "verified", "{settled}");
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn foreign_national_is_checked_by_passport_and_migration_card() {
    each_backend(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let token = app
            .applicant("+79160003333", "KARIMOV", "ALISHER", None)
            .await;
        let form = json!({
            "citizenship": "foreign", "surname": "KARIMOV", "given_name": "ALISHER",
            "birth_date": "1992-05-20", "foreign_passport": "FA1234567", "country": "UZB",
            "migration_card": "4617 1234567"
        });
        let (status, body) = app
            .with_token(Method::PUT, "/me/identity", &token, Some(form.clone()))
            .await;
        assert_eq!(status, 202, "{body}");
        assert_eq!(app.identity_settled(&token).await["state"], "verified");
        // A wrong migration card is a mismatch of the foreign document.
        let token2 = app
            .applicant("+79160004444", "NURLANOV", "DAULET", None)
            .await;
        let form2 = json!({
            "citizenship": "foreign", "surname": "NURLANOV", "given_name": "DAULET",
            "birth_date": "1994-10-03", "foreign_passport": "N12345678", "country": "KAZ",
            "migration_card": "4617 7654321"
        });
        app.with_token(Method::PUT, "/me/identity", &token2, Some(form2))
            .await;
        assert_eq!(
            app.identity_settled(&token2).await["failure"]["code"],
            "foreign_document_mismatch"
        );
        app.stop().await;
    })
    .await;
}
