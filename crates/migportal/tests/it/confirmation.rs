//! The confirmed level by qualified signature and by registered letter.

use crate::support::*;
use base64::Engine;
use reqwest::Method;
use serde_json::{Value, json};

fn spec(snils: &str, surname: &str, not_after: i64) -> qes::PersonalSpec {
    let now = web::system_clock() / 1000;
    qes::PersonalSpec {
        snils: snils.into(),
        inn: None,
        surname: surname.into(),
        given_name: "Иван Иванович".into(),
        not_before_unix: now - 7200,
        not_after_unix: not_after,
        digital_signature: true,
        is_ca: false,
    }
}

pub(crate) async fn verified_person(app: &TestApp) -> String {
    let token = app
        .applicant("+79161234567", "Иванов", "Иван", Some("Иванович"))
        .await;
    app.with_token(
        Method::PUT,
        "/me/identity",
        &token,
        Some(citizen_identity()),
    )
    .await;
    assert_eq!(app.identity_settled(&token).await["state"], "verified");
    token
}

async fn challenge(app: &TestApp, token: &str) -> (String, Vec<u8>) {
    let (status, body) = app
        .with_token(
            Method::POST,
            "/me/confirmation/signature-challenges",
            token,
            None,
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(body["challenge"].as_str().unwrap())
        .unwrap();
    (body["challenge_id"].as_str().unwrap().to_owned(), bytes)
}

async fn send(app: &TestApp, token: &str, id: &str, signature: &str, chain: &str) -> (u16, Value) {
    app.with_token(
        Method::POST,
        &format!("/me/confirmation/signature/{id}"),
        token,
        Some(json!({"signature": signature, "certificate_chain": chain})),
    )
    .await
}

#[tokio::test]
async fn qualified_signature_confirms_only_a_genuine_certificate_of_this_person() {
    each_backend(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let early = app.applicant("+79160007777", "Ранний", "Пётр", None).await;
        let (status, body) = app
            .with_token(
                Method::POST,
                "/me/confirmation/signature-challenges",
                &early,
                None,
            )
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (409, Some("confirmation.not_standard"))
        );

        let token = verified_person(&app).await;
        let year = web::system_clock() / 1000 + 365 * 86_400;
        let mine = qes::issue_personal(&app.ca, &spec("11223344595", "Иванов", year)).unwrap();
        let (id, bytes) = challenge(&app, &token).await;

        // A signature over something else.
        let wrong = qes::sign_challenge(&mine.key_pem, b"another challenge").unwrap();
        let (status, body) = send(&app, &token, &id, &wrong, &mine.cert_pem).await;
        assert_eq!(
            (status, body["errors"][0]["code"].as_str()),
            (422, Some("qes.bad_signature"))
        );
        // Someone else's certificate.
        let theirs = qes::issue_personal(&app.ca, &spec("12345678964", "Петрова", year)).unwrap();
        let sig = qes::sign_challenge(&theirs.key_pem, &bytes).unwrap();
        let (status, body) = send(&app, &token, &id, &sig, &theirs.cert_pem).await;
        assert_eq!(
            (status, body["errors"][0]["code"].as_str()),
            (422, Some("qes.other_person"))
        );
        // A forged certificate: same names, but from an authority nobody trusts.
        let now = web::system_clock() / 1000;
        let rogue_ca = qes::demo_ca("Тестовый УЦ", now - 86_400, now + 86_400).unwrap();
        let forged = qes::issue_personal(&rogue_ca, &spec("11223344595", "Иванов", year)).unwrap();
        let sig = qes::sign_challenge(&forged.key_pem, &bytes).unwrap();
        let (status, body) = send(&app, &token, &id, &sig, &forged.cert_pem).await;
        assert_eq!(
            (status, body["errors"][0]["code"].as_str()),
            (422, Some("qes.untrusted"))
        );
        // An expired one.
        let (id2, bytes2) = challenge(&app, &token).await;
        let old = qes::issue_personal(&app.ca, &spec("11223344595", "Иванов", now - 3600)).unwrap();
        let sig = qes::sign_challenge(&old.key_pem, &bytes2).unwrap();
        let (status, body) = send(&app, &token, &id2, &sig, &old.cert_pem).await;
        assert_eq!(
            (status, body["errors"][0]["code"].as_str()),
            (422, Some("qes.expired"))
        );
        // Garbage.
        let (status, body) = send(&app, &token, &id2, "!!", "not a certificate").await;
        assert_eq!(
            (status, body["errors"][0]["code"].as_str()),
            (422, Some("qes.malformed"))
        );

        // The genuine one.
        let (id3, bytes3) = challenge(&app, &token).await;
        let sig = qes::sign_challenge(&mine.key_pem, &bytes3).unwrap();
        let (status, body) = send(&app, &token, &id3, &sig, &mine.cert_pem).await;
        assert_eq!(status, 200, "{body}");
        let (_, me) = app.with_token(Method::GET, "/me", &token, None).await;
        assert_eq!(me["level"], "confirmed");
        // The challenge cannot be replayed, and a confirmed person needs none.
        let (status, _) = send(&app, &token, &id3, &sig, &mine.cert_pem).await;
        assert_eq!(status, 409);
        app.stop().await;
    })
    .await;
}

/// Reads the printed letter from the outbound post, as the post office would.
pub(crate) async fn printed_code(app: &TestApp) -> String {
    let vault = store::vault::Vault::new("k1", KEY).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let queue = app.running.store.outbound_post(10).await.unwrap();
        if let Some(item) = queue.first() {
            let text = String::from_utf8(
                vault
                    .open(
                        &item.key_id,
                        &store::vault::place::post_body(item.letter_id),
                        &item.sealed_body,
                    )
                    .unwrap(),
            )
            .unwrap();
            assert!(text.contains("119021, г. Москва"), "{text}");
            return text
                .lines()
                .map(str::trim)
                .find(|l| l.len() == 11 && l.chars().filter(char::is_ascii_digit).count() == 10)
                .unwrap()
                .replace(' ', "");
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the letter was never printed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn registered_letter_code_confirms_once_and_letters_are_monthly() {
    each_backend(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let token = verified_person(&app).await;
        let address = json!({"postcode": "119021", "region": "г. Москва", "city": "Москва", "street": "ул. Тимура Фрунзе", "house": "11"});
        let mut bad = address.clone();
        bad["postcode"] = json!("11902");
        let (status, body) = app.with_token(Method::POST, "/me/confirmation/letter", &token, Some(bad)).await;
        assert_eq!((status, body["errors"][0]["code"].as_str()), (422, Some("postcode.format")));
        let (status, letter) = app.with_token(Method::POST, "/me/confirmation/letter", &token, Some(address.clone())).await;
        assert_eq!(status, 201, "{letter}");
        // A second letter (a corrected address) only a month later, with the date said.
        let (status, body) = app.with_token(Method::POST, "/me/confirmation/letter", &token, Some(address)).await;
        assert_eq!((status, body["code"].as_str()), (429, Some("letter.too_soon")));
        assert!(body["title"].as_str().unwrap().contains("МСК"), "{body}");

        let code = printed_code(&app).await;
        let wrong = if code.starts_with('0') { "1111111111" } else { "0000000000" };
        let (status, body) = app.with_token(Method::POST, "/me/confirmation/letter/code", &token, Some(json!({"code": wrong}))).await;
        assert_eq!((status, body["errors"][0]["code"].as_str()), (422, Some("otp.wrong")));
        let (status, body) = app.with_token(Method::POST, "/me/confirmation/letter/code", &token, Some(json!({"code": code}))).await;
        assert_eq!(status, 200, "{body}");
        let (_, me) = app.with_token(Method::GET, "/me", &token, None).await;
        assert_eq!(me["level"], "confirmed");
        let (status, body) = app.with_token(Method::POST, "/me/confirmation/letter/code", &token, Some(json!({"code": code}))).await;
        assert_eq!((status, body["errors"][0]["code"].as_str()), (422, Some("otp.no_longer_valid")));
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn letter_codes_expire_and_burn_after_five_tries_and_export_hands_letters_over() {
    let app = TestApp::spawn("sqlite").await;
    let token = verified_person(&app).await;
    let address = json!({"postcode": "119021", "region": "г. Москва", "city": "Москва", "street": "ул. Тимура Фрунзе", "house": "11", "flat": "5"});
    app.with_token(
        Method::POST,
        "/me/confirmation/letter",
        &token,
        Some(address),
    )
    .await;
    let code = printed_code(&app).await;

    // Export as the post room would: one file per letter, then the text is gone.
    let out = std::env::temp_dir().join(format!("migportal-post-{}", uuid::Uuid::new_v4()));
    // Awaited, not blocking: the portal in this process (its worker mid-way
    // through a write transaction, say) must keep running while the tool
    // writes to the same database, as it would in production.
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_migportal"))
        .args(["letters", "export", "--out", out.to_str().unwrap()])
        .env("MIGPORTAL_DATABASE_URL", &app.db.url)
        .env("MIGPORTAL_MIGRATE_ON_START", "false")
        .env("MIGPORTAL_VAULT_KEY", KEY)
        // A tool run against the demo database (no registries configured).
        .env("MIGPORTAL_DEMO", "true")
        .env("RUST_LOG", "error")
        .output()
        .await
        .unwrap();
    assert!(run.status.success(), "{run:?}");
    let files: Vec<_> = std::fs::read_dir(&out).unwrap().collect();
    assert_eq!(files.len(), 1);
    let text = std::fs::read_to_string(files[0].as_ref().unwrap().path()).unwrap();
    assert!(text.contains("кв. 5") && text.contains(&code[..5]));
    assert!(
        app.running
            .store
            .outbound_post(10)
            .await
            .unwrap()
            .is_empty()
    );
    let _ = std::fs::remove_dir_all(&out);

    // Five wrong tries burn the letter.
    for _ in 0..5 {
        app.with_token(
            Method::POST,
            "/me/confirmation/letter/code",
            &token,
            Some(json!({"code": "0000000001"})),
        )
        .await;
    }
    let (status, body) = app
        .with_token(
            Method::POST,
            "/me/confirmation/letter/code",
            &token,
            Some(json!({"code": code})),
        )
        .await;
    // The right code on a burnt letter answers like any dead code.
    assert_eq!(
        (status, body["errors"][0]["code"].as_str()),
        (422, Some("otp.no_longer_valid"))
    );
    // And a letter older than 90 days is expired.
    sql(
        &app.db.url,
        "UPDATE letters SET attempts = 0, expires_at = 1",
    )
    .await;
    let (status, body) = app
        .with_token(
            Method::POST,
            "/me/confirmation/letter/code",
            &token,
            Some(json!({"code": code})),
        )
        .await;
    assert_eq!(
        (status, body["errors"][0]["code"].as_str()),
        (422, Some("letter.expired"))
    );
    app.stop().await;
}
