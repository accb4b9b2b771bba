//! Handlers of the outbox jobs. Each is idempotent: it checks the current state
//! first and does nothing when the job is stale (a newer code was sent, the
//! identity was resubmitted, the check already finished).

use crate::accounts::CodeDelivery;
use crate::i18n::Lang;
use async_trait::async_trait;
use base64::Engine;
use domain::account::{DocumentKind, RegistryAnswer, Verification, decide};
use domain::identity::{DocumentData, IdentityData};
use notify::{Channel, JobError, JobHandler, OutgoingMessage, Sender};
use registries::{
    DocumentOutcome, ForeignDocumentCheck, InnCheck, InnOutcome, PassportCheck, RegistryClient,
    RegistryError, SnilsCheck, SnilsOutcome,
};
use serde::Deserialize;
use std::sync::Arc;
use store::vault::Vault;
use store::{Job, NewJob, Store, StoreError, job_kind};
use uuid::Uuid;

fn temporary(e: impl std::fmt::Display) -> JobError {
    JobError::Temporary(e.to_string())
}

/// A code that travelled sealed (base64) in a job payload.
fn open_code(
    vault: &Vault,
    key_id: &str,
    place: &str,
    sealed_b64: &str,
) -> Result<String, JobError> {
    let permanent = |e: String| JobError::Permanent(e);
    let sealed = base64::engine::general_purpose::STANDARD
        .decode(sealed_b64)
        .map_err(|e| permanent(e.to_string()))?;
    let code = vault
        .open(key_id, place, &sealed)
        .map_err(|e| permanent(e.to_string()))?;
    String::from_utf8(code).map_err(|e| permanent(e.to_string()))
}

fn payload<T: serde::de::DeserializeOwned>(job: &Job) -> Result<T, JobError> {
    serde_json::from_str(&job.payload).map_err(|e| JobError::Permanent(format!("bad payload: {e}")))
}

/// The senders of each channel.
#[derive(Clone)]
pub struct Senders {
    pub email: Arc<dyn Sender>,
    pub sms: Arc<dyn Sender>,
}

impl Senders {
    fn get(&self, channel: &str) -> Option<(Channel, &Arc<dyn Sender>)> {
        match channel {
            "sms" => Some((Channel::Sms, &self.sms)),
            "email" => Some((Channel::Email, &self.email)),
            _ => None,
        }
    }
}

fn delivery_error(e: notify::SendError) -> JobError {
    match e {
        notify::SendError::Temporary(m) => JobError::Temporary(m),
        notify::SendError::Permanent(m) => JobError::Permanent(m),
    }
}

pub struct DeliverCode {
    pub store: Arc<dyn Store>,
    pub vault: Vault,
    pub senders: Senders,
}

#[async_trait]
impl JobHandler for DeliverCode {
    async fn handle(&self, job: &Job) -> Result<(), JobError> {
        let p: CodeDelivery = payload(job)?;
        let Some(ch) = self
            .store
            .get_challenge(p.challenge_id)
            .await
            .map_err(temporary)?
        else {
            return Ok(());
        };
        let place = store::vault::place::code_delivery(p.challenge_id);
        let code = open_code(&self.vault, &p.key_id, &place, &p.sealed_code)?;
        // A used challenge or a code replaced by a resend: nothing to deliver.
        if ch.consumed
            || crate::credentials::tokens::code_hash(&self.vault, ch.id, &code) != ch.code_hash
        {
            return Ok(());
        }
        let lang = Lang::parse(&p.lang).unwrap_or_default();
        let (channel, sender) = self
            .senders
            .get(&p.channel)
            .ok_or_else(|| JobError::Permanent(format!("unknown channel {}", p.channel)))?;
        let message = OutgoingMessage {
            channel,
            to: p.to,
            key: None,
            subject: lang.t("msg-code-subject"),
            body: match &p.link {
                Some(link) => lang.t_args(
                    "msg-first-login-body",
                    &[("code", code), ("link", link.clone())],
                ),
                None => lang.t_args("msg-code-body", &[("code", code)]),
            },
        };
        sender.send(&message).await.map_err(delivery_error)
    }
}

pub struct Notify {
    pub store: Arc<dyn Store>,
    pub senders: Senders,
    pub clock: fn() -> i64,
}

#[async_trait]
impl JobHandler for Notify {
    async fn handle(&self, job: &Job) -> Result<(), JobError> {
        let n: crate::notice::Notice = payload(job)?;
        let Some(account) = self
            .store
            .get_account(n.account_id)
            .await
            .map_err(temporary)?
        else {
            return Ok(());
        };
        let Some(channel) = &n.channel else {
            // In the portal first: the person's inbox keeps every notice,
            // one item per notice job (a retry adds nothing). Then one job
            // per channel the person wants, so a retry of one channel never
            // repeats another; both in one round trip.
            let prefs = self
                .store
                .notification_prefs(n.account_id)
                .await
                .map_err(temporary)?;
            let wanted = |c: &str| {
                n.kind == "security"
                    || prefs
                        .iter()
                        .find(|p| p.kind == n.kind && p.channel == c)
                        .is_none_or(|p| p.enabled)
            };
            let now = (self.clock)();
            let mut deliveries = Vec::new();
            for (c, has) in [
                ("email", account.email.is_some()),
                ("sms", account.phone.is_some()),
            ] {
                if has && wanted(c) {
                    let mut one = crate::notice::Notice {
                        channel: Some(c.to_owned()),
                        ..n.clone()
                    };
                    one.args = n.args.clone();
                    let text = serde_json::to_string(&one)
                        .map_err(|e| JobError::Permanent(e.to_string()))?;
                    deliveries.push(
                        store::NewJob::now(store::job_kind::NOTIFY, text, now)
                            .dedup(format!("notice:{}:{c}", job.id)),
                    );
                }
            }
            self.store
                .add_inbox_item(
                    store::InboxItem {
                        id: Uuid::now_v7(),
                        account_id: n.account_id,
                        kind: n.kind.clone(),
                        subject_key: n.subject_key.clone(),
                        body_key: n.body_key.clone(),
                        args: serde_json::to_string(&n.args)
                            .map_err(|e| JobError::Permanent(e.to_string()))?,
                        link: n.link.clone(),
                        source: job.id.to_string(),
                        created_at: now,
                        read_at: None,
                    },
                    deliveries,
                )
                .await
                .map_err(temporary)?;
            return Ok(());
        };
        let to = match (&n.to, channel.as_str()) {
            (Some(to), _) => Some(to.clone()),
            (None, "email") => account.email.clone(),
            (None, _) => account.phone.clone(),
        };
        let (Some(to), Some((channel, sender))) = (to, self.senders.get(channel)) else {
            return Ok(());
        };
        // One job per event and channel: its id is the delivery key. Recorded
        // before the send and marked after it, so a retry after a worker died
        // past the send finds it sent and does not repeat it.
        let key = job.id.to_string();
        let now = (self.clock)();
        if self
            .store
            .begin_delivery(&key, now)
            .await
            .map_err(temporary)?
        {
            return Ok(());
        }
        // The person's language as it is now, else the one of the event.
        let chosen = self.store.lang_of(n.account_id).await.map_err(temporary)?;
        let lang = chosen
            .as_deref()
            .and_then(Lang::parse)
            .or_else(|| Lang::parse(&n.lang))
            .unwrap_or_default();
        let message = OutgoingMessage {
            channel,
            to,
            subject: lang.t(&n.subject_key),
            body: lang.t_args(&n.body_key, &n.args),
            key: Some(key.clone()),
        };
        sender.send(&message).await.map_err(delivery_error)?;
        self.store
            .mark_delivered(&key, (self.clock)())
            .await
            .map_err(temporary)
    }
}

#[derive(Debug, Deserialize)]
struct VerifyPayload {
    account_id: Uuid,
    version: i64,
}

pub struct VerifyIdentity {
    pub store: Arc<dyn Store>,
    pub vault: Vault,
    pub registries: RegistryClient,
    pub clock: fn() -> i64,
}

/// A registry that does not answer leaves the check pending: retry later.
fn registry(e: RegistryError) -> JobError {
    tracing::warn!(error = %e, "registry call failed; the check stays pending");
    JobError::Temporary(e.to_string())
}

impl VerifyIdentity {
    async fn ask(&self, d: &IdentityData) -> Result<Verification, JobError> {
        let r = &self.registries;
        let (kind, document) = match &d.document {
            DocumentData::RussianPassport {
                series,
                number,
                issued_on,
                office_code,
            } => {
                let answer = r
                    .check_passport(&PassportCheck {
                        series: series.clone(),
                        number: number.clone(),
                        issued_on: issued_on.clone(),
                        office_code: office_code.clone(),
                        surname: d.surname.clone(),
                        given_name: d.given_name.clone(),
                        patronymic: d.patronymic.clone(),
                        birth_date: d.birth_date.clone(),
                    })
                    .await
                    .map_err(registry)?;
                (DocumentKind::RussianPassport, document_answer(answer))
            }
            DocumentData::ForeignPassport {
                number,
                country,
                migration_card,
            } => {
                let answer = r
                    .check_foreign_document(&ForeignDocumentCheck {
                        passport_number: number.clone(),
                        citizenship: country.clone(),
                        migration_card: migration_card.clone(),
                        surname: d.surname.clone(),
                        given_name: d.given_name.clone(),
                        birth_date: d.birth_date.clone(),
                    })
                    .await
                    .map_err(registry)?;
                (DocumentKind::ForeignPassport, document_answer(answer))
            }
        };
        let snils = match &d.snils {
            None => None,
            Some(s) => Some(
                match r
                    .check_snils(&SnilsCheck {
                        snils: s.clone(),
                        surname: d.surname.clone(),
                        given_name: d.given_name.clone(),
                        patronymic: d.patronymic.clone(),
                        birth_date: d.birth_date.clone(),
                    })
                    .await
                    .map_err(registry)?
                {
                    SnilsOutcome::Match => RegistryAnswer::Match,
                    SnilsOutcome::Mismatch => RegistryAnswer::Mismatch,
                    SnilsOutcome::NotFound => RegistryAnswer::NotFound,
                },
            ),
        };
        let inn = match &d.inn {
            None => None,
            Some(i) => Some(
                match r
                    .check_inn(&InnCheck {
                        inn: i.clone(),
                        surname: d.surname.clone(),
                        given_name: d.given_name.clone(),
                        patronymic: d.patronymic.clone(),
                        birth_date: d.birth_date.clone(),
                    })
                    .await
                    .map_err(registry)?
                {
                    InnOutcome::Match => RegistryAnswer::Match,
                    InnOutcome::Mismatch => RegistryAnswer::Mismatch,
                    InnOutcome::NotFound => RegistryAnswer::NotFound,
                },
            ),
        };
        Ok(decide(kind, document, snils, inn))
    }
}

fn document_answer(o: DocumentOutcome) -> RegistryAnswer {
    match o {
        DocumentOutcome::Valid => RegistryAnswer::Match,
        DocumentOutcome::Mismatch => RegistryAnswer::Mismatch,
        DocumentOutcome::Invalid => RegistryAnswer::Invalid,
        DocumentOutcome::NotFound => RegistryAnswer::NotFound,
    }
}

#[async_trait]
impl JobHandler for VerifyIdentity {
    async fn handle(&self, job: &Job) -> Result<(), JobError> {
        let p: VerifyPayload = payload(job)?;
        let Some(rec) = self
            .store
            .get_identity(p.account_id)
            .await
            .map_err(temporary)?
        else {
            return Ok(());
        };
        if rec.version != p.version || rec.state != domain::account::VerificationState::Pending {
            return Ok(());
        }
        let data: IdentityData =
            crate::identity::open_data(&self.vault, &rec).map_err(JobError::Permanent)?;
        let outcome = self.ask(&data).await?;
        let now = (self.clock)();
        let (account_id, version) = (p.account_id, p.version);
        // The store decides the final outcome (a SNILS held by another account
        // turns "verified" into a failure), so the notice is made from it.
        let notice = move |outcome: Verification| {
            let body = match outcome {
                Verification::Verified => "msg-identity-verified",
                Verification::Failed(_) => "msg-identity-failed",
            };
            crate::notice::job(
                account_id,
                "msg-identity-subject",
                body,
                Vec::new(),
                format!("identity-result:{account_id}:{version}"),
                now,
            )
        };
        match self
            .store
            .finish_identity_check(p.account_id, p.version, outcome, &notice, now)
            .await
        {
            Ok(_) | Err(StoreError::Stale) => Ok(()),
            Err(e) => Err(temporary(e)),
        }
    }
}

/// Removes expired sessions, then schedules itself again.
pub struct PurgeSessions {
    pub store: Arc<dyn Store>,
    pub clock: fn() -> i64,
}

pub const PURGE_EVERY_MS: i64 = 60 * 60 * 1000;

/// The next purge job; the dedup key makes concurrent schedulers enqueue it once.
pub fn purge_job(now: i64) -> NewJob {
    let slot = now / PURGE_EVERY_MS + 1;
    let mut job = NewJob::now(job_kind::PURGE_SESSIONS, "{}".into(), slot * PURGE_EVERY_MS)
        .dedup(format!("purge-sessions:{slot}"));
    job.max_attempts = 3;
    job
}

#[async_trait]
impl JobHandler for PurgeSessions {
    async fn handle(&self, _job: &Job) -> Result<(), JobError> {
        let now = (self.clock)();
        let n = self
            .store
            .purge_expired_sessions(now)
            .await
            .map_err(temporary)?;
        tracing::info!(removed = n, "expired sessions purged");
        const DAY: i64 = 24 * 60 * 60 * 1000;
        let stale = self
            .store
            .purge_stale(store::PurgeBefore {
                now,
                // Codes live minutes; a day is far beyond any of them.
                challenges: now - DAY,
                finished_jobs: now - 7 * DAY,
                // The longest forgetting period of a counter is a day.
                failures: now - 2 * DAY,
            })
            .await
            .map_err(temporary)?;
        tracing::info!(
            removed = stale,
            "stale challenges, jobs and counters purged"
        );
        self.store
            .enqueue(purge_job(now), now)
            .await
            .map_err(temporary)
    }
}

/// Fills the applicant's surname of the applications from before migration
/// 0026 (which filled the open ones and queued this job), in batches, for a
/// bounded time a run, then queues its own next run from where it stopped.
/// A run retried after a failure starts again at its payload's cursor (rows
/// filled already are skipped) and may stop elsewhere: the next run's key is
/// the run's start, so a retry queues no second chain.
pub struct FillApplicantSurnames {
    pub store: Arc<dyn Store>,
    pub clock: fn() -> i64,
}

#[derive(Debug, Default, Deserialize, serde::Serialize)]
struct FillFrom {
    #[serde(default)]
    after: Option<Uuid>,
}

/// Rows a statement: a short lock on each, 0.1–0.4 s of work (measured).
pub const FILL_BATCH: u32 = 5_000;
/// Well within the worker's time limit for a job.
const FILL_RUN_MS: i64 = 20_000;

#[async_trait]
impl JobHandler for FillApplicantSurnames {
    async fn handle(&self, job: &Job) -> Result<(), JobError> {
        let from: FillFrom = payload(job)?;
        let start = from.after.unwrap_or(Uuid::nil());
        let mut after = start;
        let started = (self.clock)();
        loop {
            match self
                .store
                .fill_applicant_surnames(after, FILL_BATCH)
                .await
                .map_err(temporary)?
            {
                None => {
                    tracing::info!("applicant surnames filled");
                    return Ok(());
                }
                Some(last) => after = last,
            }
            let now = (self.clock)();
            if now - started >= FILL_RUN_MS {
                let next = serde_json::to_string(&FillFrom { after: Some(after) })
                    .map_err(|e| JobError::Permanent(e.to_string()))?;
                let job = NewJob::now(job_kind::FILL_APPLICANT_SURNAMES, next, now)
                    .dedup(format!("fill-applicant-surnames:after:{start}"));
                return self.store.enqueue(job, now).await.map_err(temporary);
            }
        }
    }
}

/// Prints a registered letter (with its code) into the outbound post queue,
/// sealed until `migportal letters export` hands it to the post.
pub struct PrintLetter {
    pub store: Arc<dyn Store>,
    pub vault: Vault,
    pub clock: fn() -> i64,
}

#[async_trait]
impl JobHandler for PrintLetter {
    async fn handle(&self, job: &Job) -> Result<(), JobError> {
        let p: crate::confirmation::LetterPrint = payload(job)?;
        let Some(letter) = self
            .store
            .get_letter(p.letter_id)
            .await
            .map_err(temporary)?
        else {
            return Ok(());
        };
        let place = store::vault::place::letter_code(p.letter_id);
        let code = open_code(&self.vault, &p.key_id, &place, &p.sealed_code)?;
        let text = crate::confirmation::letter_text(&letter.address, &code);
        let body = self
            .vault
            .seal(&store::vault::place::post_body(letter.id), text.as_bytes())
            .map_err(|e| JobError::Permanent(e.to_string()))?;
        self.store
            .queue_for_post(store::PostItem {
                letter_id: letter.id,
                address: letter.address,
                key_id: self.vault.key_id().to_owned(),
                sealed_body: body,
                queued_at: (self.clock)(),
            })
            .await
            .map_err(temporary)
    }
}
