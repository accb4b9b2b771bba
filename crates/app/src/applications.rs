//! Applications for the services (SPEC §3): a draft made from the catalogue
//! and pre-filled from what the portal knows, saved on its version, and the
//! electronic check that submits it with a number.

use crate::Portal;
use crate::error::{AppError, ErrorKind};
use crate::session::Actor;
use domain::application::Status;
use domain::catalogue::{Applicant, Eligibility, ServiceDef};
use domain::eligibility::ApplicantFacts;
use domain::form::{FieldKind, Prefill, Problem};
use domain::identity::{DocumentData, IdentityData};
use serde::Serialize;
use serde_json::{Map, Value, json};
use store::{ApplicationRecord, IdempotencyKey, NewDraft, Once, Submission};
use uuid::Uuid;

/// Every code the use cases here report (besides the engine's).
pub const CODES: [&str; 18] = [
    "application.office_not_allowed",
    "application.files_changed",
    "application.too_many_drafts",
    "file.too_many",
    "address.unknown",
    "address.query",
    "application.identity_unverified",
    "application.applicants_only",
    "application.level_too_low",
    "service.unknown",
    "application.too_large",
    "application.not_editable",
    "application.stale",
    "application.not_draft",
    "application.one_open",
    "application.document_not_on_record",
    "idempotency.key",
    "idempotency.mismatch",
];

/// Largest answers a draft may hold, as JSON (the biggest real form with
/// every group full is far below this).
const MAX_ANSWERS_BYTES: usize = 256 * 1024;
/// Most applications one list page gives.
pub const MAX_PAGE: u32 = 100;

/// An application as its owner sees it.
#[derive(Debug, Clone, Serialize)]
pub struct ApplicationView {
    pub id: Uuid,
    pub service: String,
    pub status: Status,
    pub epgu_code: u16,
    pub version: i64,
    pub number: Option<String>,
    /// Taken later than the law asks (flagged for the office).
    pub late: bool,
    pub answers: Value,
    /// What must still be answered before it can be sent (JSON Pointers).
    pub missing: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub submitted_at: Option<i64>,
}

/// One line of the person's list.
#[derive(Debug, Clone, Serialize)]
pub struct ApplicationLine {
    pub id: Uuid,
    pub service: String,
    pub status: Status,
    pub epgu_code: u16,
    pub version: i64,
    pub number: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub submitted_at: Option<i64>,
    /// The office's messages not yet read.
    pub unread: i64,
}

/// A client's `Idempotency-Key` with what its request was.
#[derive(Debug, Clone)]
pub struct Idempotency {
    pub key: String,
    /// Method, path and body of the request, hashed by the caller.
    pub fingerprint: String,
}

impl Idempotency {
    /// A key is 1–255 visible ASCII characters (the IETF draft's advice);
    /// the request it guards is told by its method, path and body.
    pub fn new(key: &str, method: &str, path: &str, body: &[u8]) -> Result<Self, AppError> {
        use sha2::{Digest, Sha256};
        let ok = !key.is_empty() && key.len() <= 255 && key.bytes().all(|b| b.is_ascii_graphic());
        if !ok {
            return Err(AppError::new(ErrorKind::Malformed, "idempotency.key"));
        }
        let mut h = Sha256::new();
        for part in [method.as_bytes(), b" ", path.as_bytes(), b"\n", body] {
            h.update(part);
        }
        Ok(Self {
            key: key.to_owned(),
            fingerprint: hex::encode(h.finalize()),
        })
    }

    pub fn stored(self) -> IdempotencyKey {
        IdempotencyKey {
            key: self.key,
            fingerprint: self.fingerprint,
        }
    }
}

fn place(id: Uuid) -> String {
    format!("applications:{id}:sealed")
}

pub(crate) fn seal(state: &Portal, id: Uuid, answers: &Value) -> Result<Vec<u8>, AppError> {
    let json = serde_json::to_vec(answers).map_err(AppError::internal)?;
    if json.len() > MAX_ANSWERS_BYTES {
        return Err(AppError::new(ErrorKind::Invalid, "application.too_large"));
    }
    state
        .vault
        .seal(&place(id), &json)
        .map_err(AppError::internal)
}

pub(crate) fn open(state: &Portal, r: &ApplicationRecord) -> Result<Value, AppError> {
    let plain = state
        .vault
        .open(&r.key_id, &place(r.id), &r.sealed)
        .map_err(AppError::internal)?;
    serde_json::from_slice(&plain).map_err(AppError::internal)
}

fn view(state: &Portal, r: &ApplicationRecord) -> Result<ApplicationView, AppError> {
    let answers = open(state, r)?;
    let missing = match state.catalogue.get(&r.service) {
        Some(def) if r.status.is_editable() => missing(state, def, &answers),
        _ => Vec::new(),
    };
    Ok(ApplicationView {
        id: r.id,
        service: r.service.clone(),
        status: r.status,
        epgu_code: r.status.epgu_code(),
        version: r.version,
        number: r.number.clone(),
        late: r.late,
        answers,
        missing,
        created_at: r.created_at,
        updated_at: r.updated_at,
        submitted_at: r.submitted_at,
    })
}

/// What must still be answered (JSON Pointers).
fn missing(state: &Portal, def: &ServiceDef, answers: &Value) -> Vec<String> {
    let (_, problems) = domain::form::check(&def.form, answers, today(state));
    problems
        .into_iter()
        .filter(|p| domain::form::is_missing(p.code))
        .map(|p| p.path)
        .collect()
}

/// A draft just written, viewed from what was written rather than read
/// and opened again.
fn draft_view(
    state: &Portal,
    def: &ServiceDef,
    id: Uuid,
    version: i64,
    answers: Value,
    created_at: i64,
    updated_at: i64,
) -> ApplicationView {
    ApplicationView {
        id,
        service: def.code.clone(),
        status: Status::Draft,
        epgu_code: Status::Draft.epgu_code(),
        version,
        number: None,
        late: false,
        missing: missing(state, def, &answers),
        answers,
        created_at,
        updated_at,
        submitted_at: None,
    }
}

fn today(state: &Portal) -> time::Date {
    crate::today(state.now())
}

/// The person's verified identity, or why they cannot apply yet.
async fn identity(state: &Portal, actor: &Actor) -> Result<IdentityData, AppError> {
    let record = state
        .store
        .get_identity(actor.account.id)
        .await?
        .filter(|i| i.state == domain::account::VerificationState::Verified)
        .ok_or_else(|| AppError::new(ErrorKind::Forbidden, "application.identity_unverified"))?;
    crate::identity::open_data(&state.vault, &record).map_err(AppError::internal)
}

fn facts(data: &IdentityData) -> Result<ApplicantFacts, AppError> {
    let kind = match data.document {
        DocumentData::RussianPassport { .. } => Applicant::Citizen,
        DocumentData::ForeignPassport { .. } => Applicant::ForeignNational,
    };
    let birth_date = domain::person::parse_date(&data.birth_date).map_err(AppError::internal)?;
    Ok(ApplicantFacts { kind, birth_date })
}

/// Who may start or send an application for `def` at all.
fn may_apply(actor: &Actor, def: &ServiceDef) -> Result<(), AppError> {
    if actor.account.role.is_staff() {
        return Err(AppError::new(
            ErrorKind::Forbidden,
            "application.applicants_only",
        ));
    }
    if actor.account.level < def.least_level.level() {
        return Err(
            AppError::new(ErrorKind::Forbidden, "application.level_too_low")
                .arg("level", def.least_level.level().as_str()),
        );
    }
    Ok(())
}

fn service<'a>(state: &'a Portal, code: &str) -> Result<&'a ServiceDef, AppError> {
    state
        .catalogue
        .get(code)
        .ok_or_else(|| AppError::new(ErrorKind::NotFound, "service.unknown"))
}

/// What a new draft starts with: what the portal knows, and the same
/// answers of the person's latest application for the service.
fn prefill(
    def: &ServiceDef,
    actor: &Actor,
    data: &IdentityData,
    registration: Option<&store::Address>,
    previous: Option<&Value>,
) -> Value {
    let mut out = Map::new();
    for f in def.form.sections.iter().flat_map(|s| &s.fields) {
        let value = match f.prefill {
            None => None,
            Some(Prefill::Person) => Some(json!({
                "surname": data.surname, "given_name": data.given_name,
                "patronymic": data.patronymic, "birth_date": data.birth_date,
            })),
            Some(Prefill::PassportRf) => match &data.document {
                DocumentData::RussianPassport {
                    series,
                    number,
                    issued_on,
                    ..
                } => Some(json!({"number": format!("{series}{number}"), "issued_on": issued_on})),
                DocumentData::ForeignPassport { .. } => None,
            },
            Some(Prefill::ForeignPassport) => match &data.document {
                DocumentData::ForeignPassport { number, .. } => Some(json!({"number": number})),
                DocumentData::RussianPassport { .. } => None,
            },
            Some(Prefill::Phone) => actor.account.phone.clone().map(Value::String),
            Some(Prefill::Email) => actor.account.email.clone().map(Value::String),
            Some(Prefill::RegistrationAddress) => registration.map(|a| {
                let mut o = Map::new();
                for (k, v) in [
                    ("region_code", &a.region_code),
                    ("region", &a.region),
                    ("settlement", &a.city),
                    ("street", &a.street),
                    ("house", &a.house),
                    ("flat", &a.flat),
                    ("postcode", &a.postcode),
                ] {
                    if !v.trim().is_empty() {
                        o.insert(k.into(), Value::String(v.clone()));
                    }
                }
                Value::Object(o)
            }),
            Some(Prefill::Previous) => previous.and_then(|p| p.get(&f.id)).cloned(),
        };
        if let Some(v) = value.filter(|v| !v.is_null()) {
            out.insert(f.id.clone(), v);
        }
    }
    Value::Object(out)
}

/// What of the pre-filled answers a draft keeps: what is valid today (an
/// earlier answer may have gone stale), and a document the portal knows
/// only in part (a foreign passport's number without its date), which the
/// person completes.
fn carried_over(def: &ServiceDef, prefilled: Value, today: time::Date) -> Value {
    let (mut clean, problems) = domain::form::check(&def.form, &prefilled, today);
    if let (Some(out), Some(all)) = (clean.as_object_mut(), prefilled.as_object()) {
        for (key, value) in all {
            let at = format!("/{key}");
            let under = |p: &Problem| p.path == at || p.path.starts_with(&format!("{at}/"));
            let only_missing = problems
                .iter()
                .filter(|p| under(p))
                .all(|p| domain::form::is_missing(p.code));
            if !out.contains_key(key) && only_missing && problems.iter().any(under) {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    clean
}

/// Starts a draft for a service, pre-filled.
pub async fn create(
    state: &Portal,
    actor: &Actor,
    code: &str,
    idem: Option<Idempotency>,
) -> Result<ApplicationView, AppError> {
    let def = service(state, code)?;
    may_apply(actor, def)?;
    let data = identity(state, actor).await?;
    let who = facts(&data)?;
    // Who may apply is known before the first answer: say so at once.
    let verdict = domain::eligibility::judge(def, &who, &json!({}), today(state));
    if !verdict.problems.is_empty() {
        return Err(AppError::answers(verdict.problems));
    }
    let id = Uuid::now_v7();
    let previous = state
        .store
        .latest_application(actor.account.id, code, id)
        .await?;
    let previous = match &previous {
        Some(r) => Some(open(state, r)?),
        None => None,
    };
    let addresses = state.store.addresses(actor.account.id).await?;
    let registration = addresses.iter().find(|a| a.kind == "registration");
    let answers = prefill(def, actor, &data, registration, previous.as_ref());
    let answers = carried_over(def, answers, today(state));
    let draft = NewDraft {
        id,
        account_id: actor.account.id,
        service: def.code.clone(),
        key_id: state.vault.key_id().to_owned(),
        sealed: seal(state, id, &answers)?,
    };
    let now = state.now();
    let made = state
        .store
        .create_draft(draft, idem.map(Idempotency::stored), now)
        .await?;
    match made {
        Once::Done(id) => Ok(draft_view(state, def, id, 1, answers, now, now)),
        Once::Replayed(id) => get(state, actor, id).await,
    }
}

/// One's application as it stands (its status read): from the standby
/// when it already holds what this person changed (`Portal::read_own`).
pub async fn get(state: &Portal, actor: &Actor, id: Uuid) -> Result<ApplicationView, AppError> {
    let me = actor.account.id;
    let r = state
        .read_own(me, |s| async move { s.get_application(id, me).await })
        .await?;
    view(state, &r)
}

/// The person's applications, newest first; `before` is the cursor (the
/// last id of the previous page).
pub async fn list(
    state: &Portal,
    actor: &Actor,
    before: Option<Uuid>,
    limit: u32,
) -> Result<(Vec<ApplicationLine>, Option<Uuid>), AppError> {
    let limit = limit.clamp(1, MAX_PAGE);
    // A read-only list: the standby may serve it (`Portal::read_own`).
    let me = actor.account.id;
    let (mut rows, unread) = state
        .read_own(me, |s| async move {
            let rows = s.list_applications(me, before, limit + 1).await?;
            Ok((rows, s.unread_for_person(me).await?))
        })
        .await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next = more.then(|| rows.last().map(|r| r.id)).flatten();
    let lines = rows
        .into_iter()
        .map(|r| ApplicationLine {
            unread: unread
                .iter()
                .find(|(id, _)| *id == r.id)
                .map_or(0, |(_, n)| *n),
            id: r.id,
            service: r.service,
            status: r.status,
            epgu_code: r.status.epgu_code(),
            version: r.version,
            number: r.number,
            created_at: r.created_at,
            updated_at: r.updated_at,
            submitted_at: r.submitted_at,
        })
        .collect();
    Ok((lines, next))
}

/// Saves answers made on `version`. Anything wrong other than a missing
/// answer is refused with every problem and nothing is stored; missing
/// answers are listed in the view.
pub async fn save(
    state: &Portal,
    actor: &Actor,
    id: Uuid,
    version: i64,
    answers: &Value,
) -> Result<ApplicationView, AppError> {
    let current = state.store.get_application(id, actor.account.id).await?;
    if !current.status.is_editable() {
        return Err(AppError::new(
            ErrorKind::Conflict,
            "application.not_editable",
        ));
    }
    let def = service(state, &current.service)?;
    let (mut clean, problems) = domain::form::check(&def.form, answers, today(state));
    let mut wrong: Vec<Problem> = problems
        .into_iter()
        .filter(|p| !domain::form::is_missing(p.code))
        .collect();
    wrong.extend(crate::addresses::bind(state, def, &mut clean, false).await?);
    wrong.extend(crate::attachments::unbound(state, &current, def, &clean).await?);
    // A returned application opens only the fields the office commented on.
    if let Some(open_fields) = crate::applicant_steps::open_fields(state, &current).await? {
        let before = open(state, &current)?;
        wrong.extend(crate::applicant_steps::locked_changes(
            &open_fields,
            &before,
            &clean,
        ));
    }
    if !wrong.is_empty() {
        return Err(AppError::answers(wrong));
    }
    let sealed = seal(state, id, &clean)?;
    let now = state.now();
    match state
        .store
        .save_answers(
            id,
            actor.account.id,
            version,
            state.vault.key_id(),
            sealed,
            now,
        )
        .await
    {
        Err(store::StoreError::Stale) => Err(stale(state, actor, id).await),
        Err(e) => Err(e.into()),
        Ok(saved) => Ok(ApplicationView {
            status: current.status,
            epgu_code: current.status.epgu_code(),
            number: current.number.clone(),
            late: current.late,
            submitted_at: current.submitted_at,
            ..draft_view(state, def, id, saved, clean, current.created_at, now)
        }),
    }
}

/// A save or submission made on an old version: the person reloads; the
/// current version is told so a program can fetch it and merge.
async fn stale(state: &Portal, actor: &Actor, id: Uuid) -> AppError {
    let e = AppError::new(ErrorKind::Conflict, "application.stale");
    match state.store.get_application(id, actor.account.id).await {
        Ok(r) => e.arg("current_version", r.version),
        Err(_) => e,
    }
}

pub async fn delete(state: &Portal, actor: &Actor, id: Uuid) -> Result<(), AppError> {
    // The store says which files went with the draft, under its row lock.
    let keys = state
        .store
        .delete_draft(id, actor.account.id, state.now())
        .await?;
    crate::attachments::forget(state, &keys).await;
    Ok(())
}

/// The electronic check (SPEC §3) and, when it passes, the submission.
/// Every problem is reported at once and the draft stays as it was.
pub async fn submit(
    state: &Portal,
    actor: &Actor,
    id: Uuid,
    version: Option<i64>,
    idem: Option<Idempotency>,
) -> Result<ApplicationView, AppError> {
    submit_at(state, actor, id, version, idem, None).await
}

/// [`submit`], to the office the person chose (by its code) where the
/// service allows any office.
pub async fn submit_at(
    state: &Portal,
    actor: &Actor,
    id: Uuid,
    version: Option<i64>,
    idem: Option<Idempotency>,
    office_code: Option<&str>,
) -> Result<ApplicationView, AppError> {
    let current = state.store.get_application(id, actor.account.id).await?;
    if current.status != Status::Draft {
        // A retry of a submission that went through answers with the result.
        if let Some(k) = &idem
            && current.status == Status::Submitted
            && replays(state, actor, id, k).await?
        {
            return view(state, &current);
        }
        return Err(AppError::new(ErrorKind::Conflict, "application.not_draft"));
    }
    if version.is_some_and(|v| v != current.version) {
        return Err(stale(state, actor, id).await);
    }
    let def = service(state, &current.service)?;
    let chosen = chosen_office(state, def, office_code).await?;
    let (clean, late) = electronic_check(state, actor, &current, def).await?;
    let now = state.now();
    let today = crate::today(now);
    let one_open = def.eligibility.contains(&Eligibility::OneOpen);
    let notice = crate::notice::job_at(
        actor.account.id,
        "msg-application-submitted-subject",
        "msg-application-submitted-body",
        vec![("service".into(), crate::i18n::service_arg(&def.code))],
        format!("/applications/{id}"),
        format!("application-submitted:{id}"),
        now,
    );
    let (routed, deadline) = route(state, actor, def, &clean, today).await?;
    let office_id = chosen.or(routed);
    let consent = crate::consents::request(state, actor, def, &clean).await?;
    let charge = match clean.as_object() {
        Some(answers) => crate::payments::new_charge(state, def, answers).await?,
        None => None,
    };
    let submission = Submission {
        consent,
        charge,
        jobs: vec![crate::documents::job(
            domain::document::DocumentKind::ApplicationReceipt,
            id,
            format!("application-receipt:{id}"),
            None,
            now,
        )],
        office_id,
        deadline,
        id,
        account_id: actor.account.id,
        version: current.version,
        key_id: state.vault.key_id().to_owned(),
        sealed: seal(state, id, &clean)?,
        open_key: one_open.then(|| def.code.clone()),
        late,
        year: today.year(),
        files: domain::form::file_answers(&def.form, &clean)
            .into_iter()
            .map(|(_, id)| id)
            .collect(),
        notice: Some(notice),
    };
    match state
        .store
        .submit_application(submission, idem.map(Idempotency::stored), now)
        .await
    {
        Err(store::StoreError::Stale) => Err(stale(state, actor, id).await),
        Err(e) => Err(e.into()),
        // Sent now: the answers are the cleaned ones just sealed, so the
        // view is made from them rather than read and opened again.
        Ok(store::Once::Done(sent)) => Ok(ApplicationView {
            status: Status::Submitted,
            epgu_code: Status::Submitted.epgu_code(),
            version: sent.version,
            number: Some(sent.number),
            late,
            answers: clean,
            missing: Vec::new(),
            updated_at: now,
            submitted_at: Some(now),
            id,
            service: current.service,
            created_at: current.created_at,
        }),
        Ok(store::Once::Replayed(_)) => get(state, actor, id).await,
    }
}

/// The electronic check of SPEC §3 on the application's answers as they
/// are: the whole form, addresses bound to the register, eligibility, the
/// documents on record, the files. Every problem at once; the cleaned
/// answers and whether the application is late when it passes.
pub(crate) async fn electronic_check(
    state: &Portal,
    actor: &Actor,
    current: &ApplicationRecord,
    def: &ServiceDef,
) -> Result<(Value, bool), AppError> {
    may_apply(actor, def)?;
    let data = identity(state, actor).await?;
    let who = facts(&data)?;
    let answers = open(state, current)?;
    let today = today(state);
    let (mut clean, mut problems) = domain::form::check(&def.form, &answers, today);
    problems.extend(crate::addresses::bind(state, def, &mut clean, true).await?);
    let verdict = domain::eligibility::judge(def, &who, &clean, today);
    problems.extend(verdict.problems);
    problems.extend(against_records(def, &data, &clean));
    problems.extend(crate::attachments::unbound(state, current, def, &clean).await?);
    if !problems.is_empty() {
        return Err(AppError::answers(problems));
    }
    Ok((clean, verdict.late))
}

/// The office the person chose, if any: only where the service allows any
/// office, and only an office that exists.
async fn chosen_office(
    state: &Portal,
    def: &ServiceDef,
    code: Option<&str>,
) -> Result<Option<Uuid>, AppError> {
    let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    if !def.any_office {
        return Err(AppError::field(
            "office_code",
            "application.office_not_allowed",
        ));
    }
    state
        .store
        .list_offices()
        .await?
        .into_iter()
        .find(|o| o.code == code)
        .map(|o| Some(o.id))
        .ok_or_else(|| AppError::field("office_code", "office.unknown"))
}

/// The offices a person may choose from: code, name, address.
pub async fn offices(state: &Portal) -> Result<Vec<OfficeChoice>, AppError> {
    Ok(state
        .store
        .list_offices()
        .await?
        .into_iter()
        .map(|o| OfficeChoice {
            id: o.id,
            code: o.code,
            name: o.name,
            address: o.address,
        })
        .collect())
}

#[derive(Debug, Clone, Serialize)]
pub struct OfficeChoice {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub address: String,
}

/// The office a submission goes to (by the service's routing address, else
/// the person's registration address) and the last day of its legal time.
/// No office serving the area leaves it for the administrators to route:
/// the person's application is never refused for the portal's gap.
async fn route(
    state: &Portal,
    actor: &Actor,
    def: &ServiceDef,
    answers: &serde_json::Value,
    today: time::Date,
) -> Result<(Option<Uuid>, Option<String>), AppError> {
    let empty = serde_json::Map::new();
    let level = answers.as_object().unwrap_or(&empty);
    let area = match domain::routing::area(def, level) {
        Some(a) => Some(a),
        None => state
            .store
            .addresses(actor.account.id)
            .await?
            .into_iter()
            .find(|a| a.kind == "registration")
            .map(|a| domain::routing::Area {
                region_code: a.region_code,
                district_code: None,
            }),
    };
    let office = match &area {
        Some(a) => {
            state
                .store
                .office_for(&a.region_code, a.district_code.as_deref())
                .await?
        }
        None => None,
    };
    if office.is_none() {
        tracing::warn!(application_service = %def.code, "no office serves the applicant's area");
    }
    let deadline =
        domain::routing::deadline(&state.calendar, def, level, today).map(|d| d.to_string());
    Ok((office, deadline))
}

/// Whether `key` was the one that submitted `id` with this very request.
async fn replays(
    state: &Portal,
    actor: &Actor,
    id: Uuid,
    key: &Idempotency,
) -> Result<bool, AppError> {
    match state
        .store
        .idempotent_resource(actor.account.id, &key.key)
        .await?
    {
        Some((fingerprint, _)) if fingerprint != key.fingerprint => {
            Err(AppError::new(ErrorKind::Invalid, "idempotency.mismatch"))
        }
        Some((_, resource)) => Ok(resource == id),
        None => Ok(false),
    }
}

/// Checks against what the portal holds: a passport named in the answers
/// as the person's own is the one on record.
fn against_records(def: &ServiceDef, data: &IdentityData, answers: &Value) -> Vec<Problem> {
    let mut out = Vec::new();
    for f in def.form.sections.iter().flat_map(|s| &s.fields) {
        if !matches!(f.kind, FieldKind::Document { .. }) {
            continue;
        }
        let given = answers
            .get(&f.id)
            .and_then(|d| d.get("number"))
            .and_then(Value::as_str);
        let on_record = match (&f.prefill, &data.document) {
            (Some(Prefill::PassportRf), DocumentData::RussianPassport { series, number, .. }) => {
                Some(format!("{series}{number}"))
            }
            (Some(Prefill::ForeignPassport), DocumentData::ForeignPassport { number, .. }) => {
                Some(number.clone())
            }
            _ => None,
        };
        if let (Some(given), Some(on_record)) = (given, on_record)
            && given != on_record
        {
            out.push(Problem::at(
                "application.document_not_on_record",
                format!("/{}/number", f.id),
            ));
        }
    }
    out
}
