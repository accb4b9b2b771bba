//! The people a load run needs, made as the portal makes them: a registry
//! population of generated citizens (each with a SNILS of a valid check
//! digit and a passport of their own), an account for each, a bearer
//! session, and an identity sent over the API that the portal's worker
//! checks against that registry (a real HTTP service, as in the demo).
//! Only the registration step (SMS code, password) is skipped: it is not
//! what is measured, and argon2 would spend the run on it.

use anyhow::{Context, anyhow};
use domain::account::{AccountStatus, AssuranceLevel, Role};
use domain::identifiers::Snils;
use registries::sim::{DocStatus, Population, SimPassport, SimPerson};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{NewAccount, NewSession, SessionKind, Store};
use uuid::Uuid;

/// A signed-in applicant of the run.
#[derive(Clone)]
pub struct Person {
    pub token: String,
}

const SURNAME: &str = "Нагрузова";
const GIVEN: &str = "Вера";
const PATRONYMIC: &str = "Павловна";
const BIRTH: &str = "1990-07-02";

/// The SNILS and passport number of person `i` (unique per `i`).
fn documents(i: usize) -> anyhow::Result<(Snils, String)> {
    let snils = Snils::with_checksum(&format!("{:09}", 200_000_000 + i))
        .with_context(|| format!("no SNILS for person {i}"))?;
    Ok((snils, format!("{:06}", 100_000 + i)))
}

/// `n` citizens of the registry, as the reference registry holds them.
pub fn population(n: usize) -> anyhow::Result<Population> {
    let mut p = Population::new();
    for i in 0..n {
        let (snils, number) = documents(i)?;
        p.add(SimPerson {
            surname: SURNAME.into(),
            given_name: GIVEN.into(),
            patronymic: Some(PATRONYMIC.into()),
            birth_date: BIRTH.into(),
            snils: Some(snils.as_digits().into()),
            inn: None,
            passport: Some(SimPassport {
                series: "4512".into(),
                number,
                issued_on: "2020-08-15".into(),
                office_code: "770-002".into(),
                status: DocStatus::Valid,
            }),
            foreign: None,
        });
    }
    Ok(p)
}

/// The identity form of person `i` of [`population`], as typed.
pub(crate) fn identity_form(i: usize) -> anyhow::Result<Value> {
    let (snils, number) = documents(i)?;
    let d = snils.as_digits();
    Ok(json!({
        "citizenship": "russian",
        "surname": SURNAME, "given_name": GIVEN, "patronymic": PATRONYMIC,
        "birth_date": "02.07.1990",
        "snils": format!("{}-{}-{} {}", &d[0..3], &d[3..6], &d[6..9], &d[9..11]),
        "inn": "", "passport": format!("45 12 {number}"),
        "passport_issued_on": "15.08.2020", "office_code": "770-002",
        "foreign_passport": "", "country": "", "migration_card": "",
    }))
}

/// A person of [`population`] made in the store and verified there (as the
/// registry would answer), registered in Moscow (region 77): an actor who
/// may apply for what a verified citizen may. For in-process benches, which
/// have no worker or registry running.
pub(crate) async fn verified(
    portal: &app::Portal,
    i: usize,
) -> anyhow::Result<app::session::Actor> {
    let store = &portal.store;
    let now = app::system_clock();
    let id = Uuid::now_v7();
    store
        .create_account(
            account_of(
                id,
                AssuranceLevel::Simplified,
                (SURNAME, GIVEN, Some(PATRONYMIC)),
                &format!("verified{i}"),
                "-",
            ),
            None,
            now,
        )
        .await?;
    let actor = |account| app::session::Actor {
        account,
        token_hash: String::new(),
        csrf: String::new(),
    };
    let mut me = actor(store.get_account(id).await?.context("no account")?);
    let form = serde_json::from_value(identity_form(i)?)?;
    let version = app::identity::submit(portal, &me, form)
        .await
        .map_err(|e| anyhow!("person {i}: identity: {}", e.code))?;
    let notice = move |_: domain::account::Verification| {
        app::notice::job(
            id,
            "msg-identity-subject",
            "msg-identity-verified",
            vec![],
            format!("bench-verified:{id}"),
            now,
        )
    };
    store
        .finish_identity_check(
            id,
            version,
            domain::account::Verification::Verified,
            &notice,
            now,
        )
        .await?;
    me = actor(store.get_account(id).await?.context("no account")?);
    app::profile::save_address(
        portal,
        &me,
        "registration",
        &migportal::demo::moscow_address(&(i + 1).to_string()),
    )
    .await
    .map_err(|e| anyhow!("person {i}: address: {}", e.code))?;
    Ok(me)
}

/// Makes `n` applicants of [`population`] with bearer sessions, sends each
/// identity over the API and waits until the portal has verified them all.
pub async fn applicants(
    store: &Arc<dyn Store>,
    http: &reqwest::Client,
    api: &str,
    n: usize,
) -> anyhow::Result<Vec<Person>> {
    let now = app::system_clock();
    let hash = app::credentials::password::hash(
        app::credentials::tokens::new_token(),
        app::config::PasswordCost::default(),
    )
    .await
    .map_err(|e| anyhow!("password hash: {e}"))?;
    let mut people = Vec::with_capacity(n);
    for i in 0..n {
        let account = Uuid::now_v7();
        store
            .create_account(
                account_of(
                    account,
                    AssuranceLevel::Simplified,
                    (SURNAME, GIVEN, Some(PATRONYMIC)),
                    &format!("load{i}"),
                    &hash,
                ),
                None,
                now,
            )
            .await?;
        let token = bearer_session(store, account).await?;
        let res = http
            .put(format!("{api}/me/identity"))
            .bearer_auth(&token)
            .json(&identity_form(i)?)
            .send()
            .await?;
        if res.status().as_u16() != 202 {
            let body = res.text().await.unwrap_or_default();
            return Err(anyhow!("person {i}: identity refused: {body}"));
        }
        people.push(Person { token });
    }
    // The worker checks them against the registry, a few at a time.
    let until = Instant::now() + Duration::from_secs(120);
    for (i, p) in people.iter().enumerate() {
        loop {
            let me: Value = http
                .get(format!("{api}/me"))
                .bearer_auth(&p.token)
                .send()
                .await?
                .json()
                .await?;
            if me["level"] == "standard" {
                break;
            }
            if Instant::now() > until {
                return Err(anyhow!("person {i} not verified in 120 s: {me}"));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    Ok(people)
}

/// An account no one signs in as, for rows a baseline writes beside the
/// portal (rows it cannot read: their sealed answers are filler).
pub async fn bystander(store: &Arc<dyn Store>) -> anyhow::Result<Uuid> {
    let id = Uuid::now_v7();
    store
        .create_account(
            account_of(
                id,
                AssuranceLevel::Simplified,
                ("Базова", "Линия", None),
                "baseline",
                "-",
            ),
            None,
            app::system_clock(),
        )
        .await?;
    Ok(id)
}

/// An active applicant's account at `level`, in Russian.
pub(crate) fn account_of(
    id: Uuid,
    level: AssuranceLevel,
    names: (&str, &str, Option<&str>),
    login: &str,
    hash: &str,
) -> NewAccount {
    NewAccount {
        id,
        surname: names.0.into(),
        given_name: names.1.into(),
        patronymic: names.2.map(Into::into),
        phone: None,
        email: Some(format!("{login}@bench.invalid")),
        password_hash: hash.into(),
        status: AccountStatus::Active,
        level,
        role: Role::Applicant,
        office_id: None,
        lang: "ru".into(),
    }
}

/// A bearer session of an account, made in the store (no sign-in ceremony):
/// its token.
pub async fn bearer_session(store: &Arc<dyn Store>, account: Uuid) -> anyhow::Result<String> {
    let now = app::system_clock();
    let token = app::credentials::tokens::new_token();
    store
        .create_session(
            NewSession {
                token_hash: app::credentials::tokens::token_hash(&token),
                account_id: account,
                kind: SessionKind::Bearer,
                csrf_token: app::credentials::tokens::new_token(),
                user_agent: "migportal-bench".into(),
                expires_at: now + 24 * 3_600_000,
            },
            &app::credentials::tokens::token_hash("device:migportal-bench"),
            None,
            now,
        )
        .await?;
    Ok(token)
}
