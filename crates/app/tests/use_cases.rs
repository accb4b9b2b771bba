//! The use cases run directly, without HTTP, against a fresh SQLite store
//! (and PostgreSQL when MIGPORTAL_TEST_POSTGRES_URL is set) with a clock
//! the test moves: the login slowdown, one-time codes, the identity check
//! and the confirmation rules.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use app::accounts::{self, Entrance, LoginOutcome, RegisterInput};
use app::i18n::Lang;
use app::session::Actor;
use app::{ErrorKind, PasswordCost, Portal, Settings};
use base64::Engine;
use domain::account::{AssuranceLevel, Verification};
use domain::identity::IdentityForm;
use domain::letter::PostalAddress;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use store::testing::{TestDb, backends};
use store::vault::{Vault, place};
use store::{SessionKind, Store, job_kind};

const KEY: &str = "5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e";
const PASSWORD: &str = "Zelenyj-Slon-1985";
const T0: i64 = 1_800_000_000_000;

/// One clock per test (tests run in parallel).
macro_rules! clock {
    ($name:ident) => {
        #[allow(dead_code)]
        mod $name {
            use super::*;
            pub static NOW: AtomicI64 = AtomicI64::new(T0);
            pub fn now() -> i64 {
                NOW.load(Ordering::SeqCst)
            }
            pub fn advance(ms: i64) {
                NOW.fetch_add(ms, Ordering::SeqCst);
            }
        }
    };
}

clock!(login_clock);
clock!(code_clock);
clock!(identity_clock);
clock!(letter_clock);
clock!(lock_clock);

async fn portal(backend: &str, clock: fn() -> i64) -> (TestDb, Portal) {
    let db = TestDb::new(backend).await.unwrap();
    let vault = Vault::new("k1", KEY).unwrap();
    let store: Arc<dyn Store> = store::connect(&db.url, true, vault.audit_key())
        .await
        .unwrap();
    let config = Settings {
        password_cost: PasswordCost {
            memory_kib: 256,
            iterations: 1,
            parallelism: 1,
        },
        ..Settings::default()
    };
    let catalogue = app::catalogue::Catalogue::builtin().unwrap();
    (
        db,
        Portal::new(store, vault, config, clock, None, catalogue),
    )
}

/// The code of the newest delivery job, opened as the worker would.
async fn delivered_code(p: &Portal) -> (uuid::Uuid, String) {
    let mut found = None;
    while let Some(job) = p.store.claim_job("t", p.now(), 60_000).await.unwrap() {
        if job.kind == job_kind::DELIVER_CODE {
            found = Some(job);
        }
    }
    let job = found.expect("a code was sent");
    let d: accounts::CodeDelivery = serde_json::from_str(&job.payload).unwrap();
    let sealed = base64::engine::general_purpose::STANDARD
        .decode(&d.sealed_code)
        .unwrap();
    let code = p
        .vault
        .open(&d.key_id, &place::code_delivery(d.challenge_id), &sealed)
        .unwrap();
    (d.challenge_id, String::from_utf8(code).unwrap())
}

async fn registered(p: &Portal, phone: &str) -> uuid::Uuid {
    let reg = accounts::register(
        p,
        RegisterInput {
            surname: "Иванов".into(),
            given_name: "Иван".into(),
            patronymic: Some("Иванович".into()),
            phone: Some(phone.into()),
            password: PASSWORD.into(),
            ..RegisterInput::default()
        },
        Lang::RU,
    )
    .await
    .unwrap();
    let (id, code) = delivered_code(p).await;
    assert_eq!(id, reg.challenge_id);
    accounts::confirm(p, id, &code).await.unwrap();
    reg.account_id
}

async fn actor(p: &Portal, id: uuid::Uuid) -> Actor {
    Actor {
        account: p.store.get_account(id).await.unwrap().unwrap(),
        token_hash: String::new(),
        csrf: String::new(),
    }
}

#[tokio::test]
async fn failed_logins_slow_down_and_a_success_clears_them() {
    for backend in backends() {
        let (_db, p) = portal(backend, login_clock::now).await;
        registered(&p, "+79161230001").await;
        let login = |pw: &'static str| {
            let p = p.clone();
            async move {
                accounts::login(
                    &p,
                    Entrance::Public,
                    "+79161230001",
                    pw,
                    SessionKind::Bearer,
                    "t",
                )
                .await
            }
        };
        for _ in 0..4 {
            let e = login("Nevernyj-Parol-1").await.err().unwrap();
            assert_eq!(
                (e.kind, e.code),
                (ErrorKind::Unauthenticated, "bad_credentials")
            );
        }
        // The fifth try waits, even with the right password.
        let e = login(PASSWORD).await.err().unwrap();
        assert_eq!(
            (e.kind, e.code),
            (ErrorKind::Throttled, "throttled"),
            "{backend}"
        );
        login_clock::advance(2_001);
        assert!(matches!(
            login(PASSWORD).await,
            Ok(LoginOutcome::Session(_))
        ));
        // Cleared: wrong tries are free again.
        assert_eq!(
            login("Nevernyj-Parol-1").await.err().unwrap().code,
            "bad_credentials"
        );
    }
}

#[tokio::test]
async fn ten_failed_logins_lock_the_login_for_a_quarter_of_an_hour() {
    for backend in backends() {
        let (_db, p) = portal(backend, lock_clock::now).await;
        registered(&p, "+79161230006").await;
        let login = |pw: &'static str| {
            let p = p.clone();
            async move {
                accounts::login(
                    &p,
                    Entrance::Public,
                    "+79161230006",
                    pw,
                    SessionKind::Bearer,
                    "t",
                )
                .await
            }
        };
        for _ in 0..10 {
            // Each try after the longest slowdown, so each one is judged.
            lock_clock::advance(61_000);
            assert_eq!(
                login("Nevernyj-Parol-1").await.err().unwrap().code,
                "bad_credentials"
            );
        }
        lock_clock::advance(61_000);
        let e = login(PASSWORD).await.err().unwrap();
        assert_eq!(
            e.code, "throttled",
            "{backend}: locked, even for the right password"
        );
        assert!(e.retry_after_secs.unwrap() > 10 * 60, "{backend}: {e:?}");
        lock_clock::advance(15 * 60 * 1000);
        assert!(
            matches!(login(PASSWORD).await, Ok(LoginOutcome::Session(_))),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn a_code_is_judged_five_times_and_then_never_again() {
    for backend in backends() {
        let (_db, p) = portal(backend, code_clock::now).await;
        let reg = accounts::register(
            &p,
            RegisterInput {
                surname: "Петрова".into(),
                given_name: "Анна".into(),
                phone: Some("+79161230002".into()),
                password: PASSWORD.into(),
                ..RegisterInput::default()
            },
            Lang::RU,
        )
        .await
        .unwrap();
        let (id, code) = delivered_code(&p).await;
        let wrong = if code == "000000" { "111111" } else { "000000" };
        for left in (0..5).rev() {
            let e = accounts::confirm(&p, id, wrong).await.err().unwrap();
            let field = e.fields[0].code;
            if left > 0 {
                assert_eq!(field, "otp.wrong", "{backend}");
            } else {
                assert_eq!(field, "otp.too_many_attempts", "{backend}");
            }
        }
        let e = accounts::confirm(&p, id, &code).await.err().unwrap();
        assert_eq!(e.fields[0].code, "otp.no_longer_valid", "{backend}: burnt");
        let _ = reg;
        // An expired code answers the same, even when right.
        let other = registered_later(&p).await;
        code_clock::advance(5 * 60 * 1000 + 1);
        let e = accounts::confirm(&p, other.0, &other.1)
            .await
            .err()
            .unwrap();
        assert_eq!(
            e.fields[0].code, "otp.no_longer_valid",
            "{backend}: expired"
        );
    }
}

async fn registered_later(p: &Portal) -> (uuid::Uuid, String) {
    accounts::register(
        p,
        RegisterInput {
            surname: "Сидоров".into(),
            given_name: "Олег".into(),
            phone: Some("+79161230003".into()),
            password: PASSWORD.into(),
            ..RegisterInput::default()
        },
        Lang::RU,
    )
    .await
    .unwrap();
    delivered_code(p).await
}

fn identity_form(surname: &str) -> IdentityForm {
    IdentityForm {
        citizenship: "russian".into(),
        surname: surname.into(),
        given_name: "Иван".into(),
        patronymic: "Иванович".into(),
        birth_date: "14.03.1985".into(),
        snils: "112-233-445 95".into(),
        passport: "45 10 123456".into(),
        passport_issued_on: "20.04.2015".into(),
        office_code: "770-001".into(),
        ..IdentityForm::default()
    }
}

#[tokio::test]
async fn a_verified_identity_raises_the_level_and_a_resubmission_drops_it() {
    for backend in backends() {
        let (_db, p) = portal(backend, identity_clock::now).await;
        let id = registered(&p, "+79161230004").await;
        let me = actor(&p, id).await;
        let version = app::identity::submit(&p, &me, identity_form("Иванов"))
            .await
            .unwrap();
        assert_eq!(version, 1);
        let notice = |_| store::NewJob::now("notify", "{}".into(), T0);
        p.store
            .finish_identity_check(id, 1, Verification::Verified, &notice, p.now())
            .await
            .unwrap();
        let me = actor(&p, id).await;
        assert_eq!(me.account.level, AssuranceLevel::Standard, "{backend}");
        app::identity::submit(&p, &me, identity_form("Петров"))
            .await
            .unwrap();
        let me = actor(&p, id).await;
        assert_eq!(
            (me.account.level, me.account.surname.as_str()),
            (AssuranceLevel::Simplified, "Петров"),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn a_letter_confirms_only_the_identity_it_was_ordered_for() {
    for backend in backends() {
        let (_db, p) = portal(backend, letter_clock::now).await;
        let id = registered(&p, "+79161230005").await;
        let me = actor(&p, id).await;
        app::identity::submit(&p, &me, identity_form("Иванов"))
            .await
            .unwrap();
        let notice = |_| store::NewJob::now("notify", "{}".into(), T0);
        p.store
            .finish_identity_check(id, 1, Verification::Verified, &notice, p.now())
            .await
            .unwrap();
        let me = actor(&p, id).await;
        let address = PostalAddress {
            postcode: "119021".into(),
            region: "г. Москва".into(),
            city: "Москва".into(),
            street: "ул. Тимура Фрунзе".into(),
            house: "11".into(),
            flat: String::new(),
        };
        app::confirmation::request_letter(&p, &me, &address)
            .await
            .unwrap();
        let mut print = None;
        while let Some(job) = p.store.claim_job("t", p.now(), 60_000).await.unwrap() {
            if job.kind == job_kind::PRINT_LETTER {
                print = Some(job);
            }
        }
        let l: app::confirmation::LetterPrint =
            serde_json::from_str(&print.unwrap().payload).unwrap();
        let sealed = base64::engine::general_purpose::STANDARD
            .decode(&l.sealed_code)
            .unwrap();
        let code = String::from_utf8(
            p.vault
                .open(&l.key_id, &place::letter_code(l.letter_id), &sealed)
                .unwrap(),
        )
        .unwrap();
        // Resubmitted as someone else: the letter is void.
        app::identity::submit(&p, &me, identity_form("Петров"))
            .await
            .unwrap();
        let me = actor(&p, id).await;
        let e = app::confirmation::enter_letter_code(&p, &me, &code)
            .await
            .err()
            .unwrap();
        assert_eq!(
            (e.kind, e.code),
            (ErrorKind::Conflict, "confirmation.identity_changed"),
            "{backend}"
        );
        assert_ne!(actor(&p, id).await.account.level, AssuranceLevel::Confirmed);
    }
}

clock!(fill_clock);

/// The fill of the applicant's surnames (the job migration 0026 queues)
/// stops when its run's time is up and queues its next run from where it
/// stopped; that run finishes the walk and queues nothing.
#[tokio::test]
async fn the_surname_fill_runs_for_a_bounded_time_and_goes_on_in_its_next_job() {
    use app::jobs::FillApplicantSurnames;
    use notify::JobHandler;
    // Every read of the clock is 25 s later: past the run's 20 s at once.
    fn ticking() -> i64 {
        fill_clock::advance(25_000);
        fill_clock::now()
    }
    for backend in backends() {
        let (_db, p) = portal(backend, fill_clock::now).await;
        let person = uuid::Uuid::now_v7();
        p.store
            .create_account(
                store::NewAccount {
                    id: person,
                    surname: "Иванова".into(),
                    given_name: "Анна".into(),
                    patronymic: None,
                    phone: None,
                    email: Some(format!("{}@example.ru", person.simple())),
                    password_hash: "-".into(),
                    status: domain::account::AccountStatus::Active,
                    level: AssuranceLevel::Simplified,
                    role: domain::account::Role::Applicant,
                    office_id: None,
                    lang: "ru".into(),
                },
                None,
                T0,
            )
            .await
            .unwrap();
        let draft = uuid::Uuid::now_v7();
        p.store
            .create_draft(
                store::NewDraft {
                    id: draft,
                    account_id: person,
                    service: "address-reference".into(),
                    key_id: "k1".into(),
                    sealed: b"{}".to_vec(),
                },
                None,
                T0,
            )
            .await
            .unwrap();
        let handler = FillApplicantSurnames {
            store: p.store.clone(),
            clock: ticking,
        };
        let first = store::Job {
            id: uuid::Uuid::now_v7(),
            kind: job_kind::FILL_APPLICANT_SURNAMES.into(),
            payload: "{}".into(),
            attempts: 1,
            max_attempts: 25,
        };
        handler.handle(&first).await.unwrap();
        let next = p
            .store
            .claim_job("t", fill_clock::now(), 60_000)
            .await
            .unwrap()
            .expect("the next run is queued");
        assert_eq!(next.kind, job_kind::FILL_APPLICANT_SURNAMES);
        let from: serde_json::Value = serde_json::from_str(&next.payload).unwrap();
        assert_eq!(from["after"], serde_json::json!(draft));
        handler.handle(&next).await.unwrap();
        assert!(
            p.store
                .claim_job("t", fill_clock::now(), 60_000)
                .await
                .unwrap()
                .is_none(),
            "the walk is over: nothing more queued"
        );
    }
}
