//! Owner consent (issue 17, item 4): registration at a dwelling the
//! applicant does not own waits for its owner. The owner is found by the
//! SNILS the applicant gave (their verified account), or claims the request
//! with a code the applicant passes on. The owner approves or refuses once;
//! refused, or unanswered within the service's days, the portal returns the
//! application with a comment at the owner's field. The office cannot accept
//! it before the owner has agreed.

use crate::Portal;
use crate::error::{AppError, ErrorKind};
use crate::session::Actor;
use async_trait::async_trait;
use domain::application::Status;
use domain::catalogue::ServiceDef;
use domain::identifiers::Snils;
use domain::lifecycle::{Actor as StepActor, Comment, Step};
use notify::{JobError, JobHandler};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;
use store::{
    ConsentRecord, ConsentStatus, Job, LoginLookup, NewConsent, NewJob, StepBy, Store, Transition,
    job_kind,
};
use uuid::Uuid;

/// Every code this module reports.
pub const CODES: [&str; 3] = ["consent.answered", "consent.pending", "consent.bad_code"];

/// Letters and digits that cannot be misread for one another.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

fn place(id: Uuid) -> String {
    format!("consent:{id}")
}

/// A code as typed: upper case, without spaces and dashes.
fn normalise(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn new_code() -> String {
    let raw: String = (0..10)
        .map(|_| CODE_ALPHABET[usize::from(rand::random::<u8>()) % CODE_ALPHABET.len()] as char)
        .collect();
    format!("{}-{}", &raw[..5], &raw[5..])
}

/// The consent a submission (or resubmission) waits for, if the service
/// asks for one and the answers name another person as the owner.
pub(crate) async fn request(
    state: &Portal,
    actor: &Actor,
    def: &ServiceDef,
    answers: &Value,
) -> Result<Option<NewConsent>, AppError> {
    let Some(rule) = &def.consent else {
        return Ok(None);
    };
    let empty = serde_json::Map::new();
    let level = answers.as_object().unwrap_or(&empty);
    if !domain::form::holds(&rule.when, level) {
        return Ok(None);
    }
    let owner = match level
        .get(&rule.owner_snils)
        .and_then(Value::as_str)
        .and_then(|s| Snils::parse(s).ok())
    {
        Some(snils) => state
            .store
            .find_auth(&LoginLookup::SnilsLookup(
                state.vault.lookup("snils", snils.as_digits()),
            ))
            .await?
            .map(|a| a.id)
            .filter(|id| *id != actor.account.id),
        None => None,
    };
    let id = Uuid::now_v7();
    let now = state.now();
    let expires_at = now + i64::from(rule.days) * 24 * 60 * 60 * 1000;
    let mut expiry = NewJob::now(
        job_kind::CONSENT_EXPIRE,
        serde_json::json!({ "consent_id": id }).to_string(),
        now,
    )
    .dedup(format!("consent-expire:{id}"));
    expiry.run_at = expires_at;
    let mut jobs = vec![expiry];
    let (code_lookup, code_sealed) = match owner {
        Some(owner) => {
            jobs.push(crate::notice::job_at(
                owner,
                "msg-consent-subject",
                "msg-consent-body",
                vec![
                    ("applicant".into(), actor.account.surname.clone()),
                    ("service".into(), crate::i18n::service_arg(&def.code)),
                ],
                "/consents".into(),
                format!("consent:{id}"),
                now,
            ));
            (None, None)
        }
        None => {
            let code = new_code();
            let sealed = state
                .vault
                .seal(&place(id), code.as_bytes())
                .map_err(AppError::internal)?;
            (
                Some(state.vault.lookup("consent_code", &normalise(&code))),
                Some(sealed),
            )
        }
    };
    Ok(Some(NewConsent {
        id,
        owner_account_id: owner,
        code_lookup,
        key_id: state.vault.key_id().to_owned(),
        code_sealed,
        expires_at,
        jobs,
    }))
}

/// A consent as its applicant sees it (with the code to pass on while no
/// owner has claimed it), and as the office sees it (without the code).
#[derive(Debug, Clone, Serialize)]
pub struct ConsentState {
    pub id: Uuid,
    pub status: &'static str,
    /// Found by SNILS or claimed: the request reached the owner.
    pub owner_found: bool,
    /// The code the applicant passes on to the owner.
    pub code: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub answered_at: Option<i64>,
}

fn state_of(state: &Portal, c: &ConsentRecord, with_code: bool) -> ConsentState {
    let code = match (&c.code_sealed, with_code, c.owner_account_id, c.status) {
        (Some(sealed), true, None, ConsentStatus::Pending) => state
            .vault
            .open(&c.key_id, &place(c.id), sealed)
            .ok()
            .map(|b| String::from_utf8_lossy(&b).into_owned()),
        _ => None,
    };
    ConsentState {
        id: c.id,
        status: c.status.as_str(),
        owner_found: c.owner_account_id.is_some(),
        code,
        created_at: c.created_at,
        expires_at: c.expires_at,
        answered_at: c.answered_at,
    }
}

/// The consent of one's own application.
pub async fn of_my_application(
    state: &Portal,
    actor: &Actor,
    application_id: Uuid,
) -> Result<Option<ConsentState>, AppError> {
    state
        .store
        .get_application(application_id, actor.account.id)
        .await?;
    Ok(state
        .store
        .consent_of(application_id)
        .await?
        .map(|c| state_of(state, &c, true)))
}

/// The consent of an application, for its office (no code).
pub(crate) async fn of_application(
    state: &Portal,
    application_id: Uuid,
) -> Result<Option<ConsentState>, AppError> {
    Ok(state
        .store
        .consent_of(application_id)
        .await?
        .map(|c| state_of(state, &c, false)))
}

/// Whether the office may accept: no consent asked, or the owner agreed.
pub(crate) async fn allows_acceptance(
    state: &Portal,
    application_id: Uuid,
) -> Result<bool, AppError> {
    Ok(state
        .store
        .consent_of(application_id)
        .await?
        .is_none_or(|c| c.status == ConsentStatus::Approved))
}

/// A request as the owner sees it: who asks, for what, where.
#[derive(Debug, Clone, Serialize)]
pub struct Request {
    pub id: Uuid,
    pub application_id: Uuid,
    pub status: &'static str,
    pub applicant: String,
    /// The service's name in Russian (the API's), and its code for pages
    /// that name it in their own language.
    pub service: String,
    #[serde(skip)]
    pub service_code: String,
    pub number: Option<String>,
    /// The dwelling, as the applicant wrote it.
    pub dwelling: Option<Value>,
    pub created_at: i64,
    pub expires_at: i64,
    pub answered_at: Option<i64>,
}

/// The requests addressed to the signed-in person.
pub async fn addressed_to_me(state: &Portal, actor: &Actor) -> Result<Vec<Request>, AppError> {
    let mut out = Vec::new();
    for c in state.store.consents_for(actor.account.id).await? {
        let Some(r) = state.store.application_by_id(c.application_id).await? else {
            continue;
        };
        let applicant = state
            .store
            .get_account(r.account_id)
            .await?
            .map(|a| match a.patronymic {
                Some(p) => format!("{} {} {p}", a.surname, a.given_name),
                None => format!("{} {}", a.surname, a.given_name),
            })
            .unwrap_or_default();
        let answers = crate::applications::open(state, &r)?;
        out.push(Request {
            id: c.id,
            application_id: c.application_id,
            status: c.status.as_str(),
            applicant,
            service: state
                .catalogue
                .get(&r.service)
                .map_or_else(|| r.service.clone(), |d| d.name.ru().to_owned()),
            service_code: r.service.clone(),
            number: r.number.clone(),
            dwelling: answers.get("dwelling_address").cloned(),
            created_at: c.created_at,
            expires_at: c.expires_at,
            answered_at: c.answered_at,
        });
    }
    Ok(out)
}

/// The owner claims a request with the code the applicant passed on.
pub async fn claim(state: &Portal, actor: &Actor, code: &str) -> Result<Uuid, AppError> {
    let code = normalise(code);
    if code.len() != 10 {
        return Err(AppError::field("code", "consent.bad_code"));
    }
    match state
        .store
        .claim_consent(
            &state.vault.lookup("consent_code", &code),
            actor.account.id,
            state.now(),
        )
        .await
    {
        Err(store::StoreError::NotFound) => Err(AppError::field("code", "consent.bad_code")),
        other => Ok(other?),
    }
}

/// The owner's answer. A refusal returns the application (through the
/// outbox, so it happens even if the portal stops right after).
pub async fn answer(
    state: &Portal,
    actor: &Actor,
    id: Uuid,
    approve: bool,
) -> Result<Request, AppError> {
    let now = state.now();
    let consent = state
        .store
        .consent(id)
        .await?
        .filter(|c| c.owner_account_id == Some(actor.account.id))
        .ok_or_else(AppError::not_found)?;
    let r = state
        .store
        .application_by_id(consent.application_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let job = if approve {
        crate::notice::job_at(
            r.account_id,
            "msg-consent-approved-subject",
            "msg-consent-approved-body",
            vec![("number".into(), r.number.clone().unwrap_or_default())],
            format!("/applications/{}", r.id),
            format!("consent-answered:{id}"),
            now,
        )
    } else {
        NewJob::now(
            job_kind::CONSENT_SETTLE,
            serde_json::json!({ "consent_id": id }).to_string(),
            now,
        )
        .dedup(format!("consent-settle:{id}"))
    };
    state
        .store
        .answer_consent(id, actor.account.id, approve, vec![job], now)
        .await?;
    addressed_to_me(state, actor)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(AppError::not_found)
}

#[derive(Deserialize)]
struct ConsentJob {
    consent_id: Uuid,
}

/// The outbox's side: a request past its time expires, and a refused or
/// expired one returns its application. Idempotent: an application already
/// moved on (returned, cancelled, accepted) is left as it is.
pub struct ConsentJobs {
    pub store: Arc<dyn Store>,
    pub catalogue: crate::catalogue::Catalogue,
    pub clock: fn() -> i64,
}

fn temporary(e: impl std::fmt::Display) -> JobError {
    JobError::Temporary(e.to_string())
}

#[async_trait]
impl JobHandler for ConsentJobs {
    async fn handle(&self, job: &Job) -> Result<(), JobError> {
        let p: ConsentJob = serde_json::from_str(&job.payload)
            .map_err(|e| JobError::Permanent(format!("bad payload: {e}")))?;
        let now = (self.clock)();
        if job.kind == job_kind::CONSENT_EXPIRE {
            self.store
                .expire_consent(p.consent_id, now)
                .await
                .map_err(temporary)?;
        }
        let Some(c) = self.store.consent(p.consent_id).await.map_err(temporary)? else {
            return Ok(());
        };
        if !matches!(c.status, ConsentStatus::Refused | ConsentStatus::Expired) {
            return Ok(());
        }
        // A newer round (after a resubmission) is the one that counts.
        let latest = self
            .store
            .consent_of(c.application_id)
            .await
            .map_err(temporary)?;
        if latest.as_ref().map(|l| l.id) != Some(c.id) {
            return Ok(());
        }
        self.return_application(&c, now).await
    }
}

impl ConsentJobs {
    async fn return_application(&self, c: &ConsentRecord, now: i64) -> Result<(), JobError> {
        // Another step may slip in between the read and the write: read again.
        for _ in 0..3 {
            let Some(r) = self
                .store
                .application_by_id(c.application_id)
                .await
                .map_err(temporary)?
            else {
                return Ok(());
            };
            if !matches!(r.status, Status::Submitted | Status::Accepted) {
                return Ok(());
            }
            let Some(def) = self.catalogue.get(&r.service) else {
                return Err(JobError::Permanent(format!("service {}", r.service)));
            };
            let Some(rule) = &def.consent else {
                return Ok(());
            };
            // Written out in the reader's language when shown (`i18n::written`).
            let why = if c.status == ConsentStatus::Refused {
                "refused"
            } else {
                "expired"
            };
            let comment = Comment {
                field: format!("/{}", rule.owner_snils),
                wrong: crate::i18n::text_arg(&format!("consent-return-{why}-wrong")),
                fix: crate::i18n::text_arg(&format!("consent-return-{why}-fix")),
            };
            let step = Step::Return(vec![comment.clone()]);
            let Ok(to) = domain::lifecycle::step(&def.stages, r.status, StepActor::System, &step)
            else {
                return Ok(());
            };
            let note = serde_json::json!({
                "comments": [{"field": comment.field, "wrong": comment.wrong, "fix": comment.fix}],
                "consent": c.status.as_str(),
            });
            let t = Transition {
                id: r.id,
                version: r.version,
                from: r.status,
                to,
                by: StepBy::System,
                note: Some(note.to_string()),
                jobs: vec![crate::cases::status_notice(now, &r, def, to, r.version)],
                answers: None,
                consent: None,
            };
            match self.store.transition(t, now).await {
                Ok(_) => return Ok(()),
                Err(store::StoreError::Stale) => continue,
                Err(e) => return Err(temporary(e)),
            }
        }
        Err(JobError::Temporary("the application kept changing".into()))
    }
}

/// A pending request blocks acceptance.
pub(crate) fn pending() -> AppError {
    AppError::new(ErrorKind::Conflict, "consent.pending")
}
