//! The documents a person receives (SPEC §7): made by an outbox job queued
//! in the transaction of the event they attest (a submission, a booking, a
//! payment, a refusal, a completed registration or reference, an
//! invitation ready): its words kept sealed then, its PDF typeset by the
//! [`Typesetter`] at the edge (typst in the `documents` crate) when first
//! opened and then kept sealed in the blob store; listed in the person's
//! documents and downloadable only by them and by staff of the
//! application's office (each staff download in the person's access log).

use crate::error::{AppError, ErrorKind};
use crate::i18n::Lang;
use crate::session::Actor;
use crate::staff::Staff;
use crate::state::Portal;
use domain::application::Status;
use domain::document::{Document, DocumentKind};
use domain::permission::Permission;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::{ApplicationRecord, DataAccess, DocumentRecord, NewJob, job_kind};
use uuid::Uuid;

/// Turns a document into PDF bytes (with the PDF/A level it met, if any).
pub trait Typesetter: Send + Sync {
    fn typeset(&self, doc: &Document, at_ms: i64) -> Result<(Vec<u8>, Option<String>), String>;
}

/// The making job's payload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Making {
    pub kind: String,
    pub application_id: Uuid,
    /// The event's key: one document per event, however often the job runs.
    pub source: String,
    /// The payment a receipt is for.
    #[serde(default)]
    pub payment_id: Option<Uuid>,
}

/// The job that makes `kind` for an application, once per `source`.
pub fn job(
    kind: DocumentKind,
    application_id: Uuid,
    source: String,
    payment_id: Option<Uuid>,
    now: i64,
) -> NewJob {
    let m = Making {
        kind: kind.as_str().into(),
        application_id,
        source: source.clone(),
        payment_id,
    };
    NewJob::now(
        job_kind::MAKE_DOCUMENT,
        serde_json::to_string(&m).unwrap_or_default(),
        now,
    )
    .dedup(format!("document:{source}"))
}

/// The source of a visit's invitation: it names the visit (appointment)
/// it is made for.
pub fn invitation_source(appointment: Uuid) -> String {
    format!("visit-invitation:{appointment}")
}

/// The visit an invitation's source names.
fn invited_to(source: &str) -> Option<Uuid> {
    source
        .strip_prefix("visit-invitation:")
        .and_then(|id| Uuid::parse_str(id).ok())
}

/// The document a step into `to` issues for this service, if any.
pub fn for_step(service: &str, to: Status) -> Option<DocumentKind> {
    match (service, to) {
        (_, Status::Rejected) => Some(DocumentKind::RefusalDecision),
        ("registration-stay", Status::Completed) => Some(DocumentKind::StayCertificate),
        ("address-reference", Status::Completed) => Some(DocumentKind::AddressReference),
        ("invitation-foreigner", Status::Ready) => Some(DocumentKind::ForeignerInvitation),
        _ => None,
    }
}

fn t(key: &str) -> String {
    Lang::RU.t(key)
}

fn text_at<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// `2026-11-30` → `30.11.2026`.
fn ru_date(iso: &str) -> String {
    let p: Vec<&str> = iso.split('-').collect();
    match p.as_slice() {
        [y, m, d] => format!("{d}.{m}.{y}"),
        _ => iso.to_owned(),
    }
}

fn person(v: &Value) -> String {
    ["surname", "given_name", "patronymic"]
        .iter()
        .map(|k| text_at(v, k))
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn address(v: &Value) -> String {
    // A city of federal importance is its own region: named once.
    let mut parts: Vec<String> = Vec::new();
    for k in ["postcode", "region", "district", "settlement", "street"] {
        let part = text_at(v, k);
        if !part.is_empty() && !parts.iter().any(|p| p == part) {
            parts.push(part.to_owned());
        }
    }
    if !text_at(v, "house").is_empty() {
        parts.push(format!("д. {}", text_at(v, "house")));
    }
    if !text_at(v, "flat").is_empty() {
        parts.push(format!("кв. {}", text_at(v, "flat")));
    }
    parts.join(", ")
}

struct Facts {
    r: ApplicationRecord,
    answers: Value,
    name: String,
    service: String,
    office: Option<store::Office>,
}

async fn facts(state: &Portal, application: Uuid) -> Result<Facts, AppError> {
    let r = state
        .store
        .application_by_id(application)
        .await?
        .ok_or_else(AppError::not_found)?;
    let answers = crate::applications::open(state, &r)?;
    let account = state
        .store
        .get_account(r.account_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let name = [
        account.surname.as_str(),
        account.given_name.as_str(),
        account.patronymic.as_deref().unwrap_or(""),
    ]
    .join(" ")
    .trim()
    .to_owned();
    let service = state
        .catalogue
        .get(&r.service)
        .map(|d| d.name.ru().to_owned())
        .unwrap_or_else(|| r.service.clone());
    let office = match r.office_id {
        Some(id) => state
            .store
            .list_offices()
            .await?
            .into_iter()
            .find(|o| o.id == id),
        None => None,
    };
    Ok(Facts {
        r,
        answers,
        name,
        service,
        office,
    })
}

/// The words of a document, from the application and its events, and the
/// account of the person it is issued to; none for an invitation whose
/// visit was moved or cancelled before it was typeset (the live visit has
/// its own).
async fn build(state: &Portal, m: &Making, now: i64) -> Result<Option<(Document, Uuid)>, AppError> {
    let kind = DocumentKind::parse(&m.kind)
        .ok_or_else(|| AppError::internal(format!("document kind {}", m.kind)))?;
    let f = facts(state, m.application_id).await?;
    let number = f.r.number.clone().unwrap_or_default();
    let (issuer, issuer_address) = match &f.office {
        Some(o) => (o.name.clone(), o.address.clone()),
        None => (t("doc-portal"), String::new()),
    };
    let mut d = Document {
        kind,
        title: t(&format!("doc-title-{}", kind.as_str().replace('_', "-"))),
        issuer,
        issuer_address,
        number_label: "№".into(),
        number: number.clone(),
        date: crate::moscow_time(now).chars().take(10).collect(),
        lead: Vec::new(),
        rows: vec![
            (t("doc-applicant"), f.name.clone()),
            (t("doc-service"), f.service.clone()),
        ],
        sections: Vec::new(),
        closing: Vec::new(),
        signature: None,
        footer: t("doc-footer"),
    };
    let signed = |d: &mut Document| {
        d.signature = Some((t("doc-signed-by"), t("doc-signed-note")));
    };
    match kind {
        DocumentKind::ApplicationReceipt => {
            d.issuer = t("doc-portal");
            d.issuer_address = String::new();
            d.lead.push(t("doc-receipt-lead"));
            d.rows.push((t("doc-number"), number));
            if let Some(at) = f.r.submitted_at {
                d.rows.push((t("doc-submitted"), crate::moscow_time(at)));
            }
            if let Some(o) = &f.office {
                d.rows
                    .push((t("doc-office"), format!("{}, {}", o.name, o.address)));
            }
            if let Some(deadline) = &f.r.deadline {
                d.rows.push((t("doc-deadline"), ru_date(deadline)));
            }
            d.closing.push(t("doc-receipt-closing"));
        }
        DocumentKind::VisitInvitation => {
            // The visit it was made for, while it is the live booking.
            let live = state
                .store
                .live_appointment(f.r.id)
                .await?
                .filter(|v| invited_to(&m.source).is_none_or(|named| named == v.id));
            let Some(visit) = live else {
                return Ok(None);
            };
            let zone = f
                .office
                .as_ref()
                .map_or("Europe/Moscow", |o| o.time_zone.as_str());
            d.lead.push(t("doc-visit-lead"));
            d.rows.push((t("doc-number"), number));
            d.rows.push((
                t("doc-visit-when"),
                crate::visits::local_time_text(visit.start_ms, zone),
            ));
            if let Some(o) = &f.office {
                d.rows
                    .push((t("doc-visit-where"), format!("{}, {}", o.name, o.address)));
            }
            let originals: Vec<String> = state
                .catalogue
                .get(&f.r.service)
                .map(|def| def.originals.iter().map(|o| o.ru().to_owned()).collect())
                .unwrap_or_default();
            if !originals.is_empty() {
                d.sections.push((t("doc-visit-bring"), originals));
            }
            d.closing.push(t("doc-visit-closing"));
        }
        DocumentKind::PaymentReceipt => {
            let payment = match m.payment_id {
                Some(id) => state.store.payment(id).await?,
                None => None,
            }
            .ok_or_else(AppError::not_found)?;
            let charge = state
                .store
                .charge(payment.charge_id)
                .await?
                .ok_or_else(AppError::not_found)?;
            d.issuer = t("doc-portal");
            d.issuer_address = String::new();
            d.number = charge.uin.clone();
            d.lead.push(t("doc-payment-lead"));
            d.rows = vec![
                (t("doc-payer"), f.name.clone()),
                (t("doc-uin"), charge.uin.clone()),
                (t("doc-purpose"), format!("{}: {}", t("doc-fee"), f.service)),
                (
                    t("doc-amount"),
                    Lang::RU.money(payment.paid_kopecks.unwrap_or(payment.kopecks)),
                ),
                (
                    t("doc-payment-way"),
                    t(&format!("doc-payment-way-{}", payment.channel.as_str())),
                ),
                (
                    t("doc-paid-at"),
                    crate::moscow_time(payment.confirmed_at.unwrap_or(now)),
                ),
                (t("doc-number"), number),
            ];
            if let Some(reference) = &payment.reference {
                d.rows.push((t("doc-bank-reference"), reference.clone()));
            }
        }
        DocumentKind::StayCertificate => {
            let a = &f.answers;
            d.number_label = t("doc-form-3");
            d.lead.push(t("doc-stay-lead"));
            d.rows = vec![
                (t("doc-person"), person(&a["applicant"])),
                (
                    t("doc-birth-date"),
                    ru_date(text_at(&a["applicant"], "birth_date")),
                ),
                (t("doc-birth-place"), text_at(a, "birth_place").to_owned()),
                (t("doc-stay-address"), address(&a["dwelling_address"])),
                (
                    t("doc-stay-period"),
                    format!(
                        "{} — {}",
                        ru_date(text_at(a, "stay_from")),
                        ru_date(text_at(a, "stay_to"))
                    ),
                ),
                (t("doc-number"), number),
            ];
            signed(&mut d);
        }
        DocumentKind::AddressReference => {
            let registered = state
                .store
                .addresses(f.r.account_id)
                .await?
                .into_iter()
                .find(|a| a.kind == "registration");
            d.lead.push(t("doc-reference-lead"));
            d.rows.push((t("doc-number"), number));
            d.rows.push((
                t("doc-registered-at"),
                match registered {
                    Some(a) => [
                        a.postcode,
                        a.region,
                        a.city,
                        a.street,
                        format!("д. {}", a.house),
                        format!("кв. {}", a.flat),
                    ]
                    .into_iter()
                    .filter(|s| !s.is_empty() && s != "д. " && s != "кв. ")
                    .collect::<Vec<_>>()
                    .join(", "),
                    None => t("doc-reference-none"),
                },
            ));
            signed(&mut d);
        }
        DocumentKind::ForeignerInvitation => {
            let a = &f.answers;
            d.lead.push(t("doc-invitation-lead"));
            d.rows = vec![
                (
                    t("doc-guest"),
                    format!(
                        "{} ({})",
                        person(&a["guest"]),
                        text_at(a, "guest_name_cyrillic")
                    ),
                ),
                (
                    t("doc-birth-date"),
                    ru_date(text_at(&a["guest"], "birth_date")),
                ),
                (
                    t("doc-citizenship"),
                    text_at(a, "guest_citizenship").to_owned(),
                ),
                (
                    t("doc-guest-passport"),
                    text_at(&a["guest_passport"], "number").to_owned(),
                ),
                (
                    t("doc-purpose-trip"),
                    text_at(a, "purpose_details").to_owned(),
                ),
                (
                    t("doc-trip-period"),
                    format!(
                        "{} — {}",
                        ru_date(text_at(a, "entry_date")),
                        ru_date(text_at(a, "exit_date"))
                    ),
                ),
                (t("doc-visa-place"), text_at(a, "visa_place").to_owned()),
                (
                    t("doc-inviter"),
                    format!(
                        "{}, {}",
                        person(&a["applicant"]),
                        address(&a["inviter_address"])
                    ),
                ),
                (t("doc-number"), number),
            ];
            signed(&mut d);
        }
        DocumentKind::RefusalDecision => {
            let history = state.store.history_of(f.r.id).await?;
            let reason = history
                .iter()
                .rev()
                .find(|e| e.to == Status::Rejected)
                .and_then(|e| e.note.as_deref())
                .and_then(|n| serde_json::from_str::<Value>(n).ok())
                .and_then(|n| n["reason"].as_str().map(str::to_owned))
                .unwrap_or_default();
            d.lead.push(t("doc-refusal-lead"));
            d.rows.push((t("doc-number"), number));
            if let Some(at) = f.r.submitted_at {
                d.rows.push((t("doc-submitted"), crate::moscow_time(at)));
            }
            d.sections.push((
                t("doc-refusal-ground"),
                vec![t(&format!("reason-{}", reason.replace('_', "-")))],
            ));
            d.closing.push(t("doc-refusal-appeal"));
            signed(&mut d);
        }
    }
    Ok(Some((d, f.r.account_id)))
}

/// Issues a document: its words, as things stand now, sealed and kept;
/// nothing twice for one source. Its PDF is typeset when it is first
/// opened ([`bytes`]), so the worker does not typeset receipts nobody reads.
pub async fn make(state: &Portal, m: &Making) -> Result<(), AppError> {
    if state.store.document_by_source(&m.source).await?.is_some() {
        return Ok(());
    }
    let now = state.now();
    let Some((doc, account_id)) = build(state, m, now).await? else {
        // Nothing to make (an invitation whose visit is gone): done.
        return Ok(());
    };
    let id = Uuid::now_v7();
    let json = serde_json::to_vec(&doc).map_err(AppError::internal)?;
    let words = state
        .vault
        .seal(&words_place(id), &json)
        .map_err(AppError::internal)?;
    state
        .store
        .add_document(DocumentRecord {
            id,
            account_id,
            application_id: Some(m.application_id),
            kind: m.kind.clone(),
            title: doc.title.clone(),
            number: doc.number.clone(),
            // Named when it is typeset (each typesetting its own file).
            object_key: String::new(),
            key_id: state.vault.key_id().to_owned(),
            size: 0,
            standard: None,
            source: m.source.clone(),
            created_at: now,
            words: Some(words),
        })
        .await?;
    Ok(())
}

/// Where a document's sealed words are bound to (distinct from its PDF's).
fn words_place(id: Uuid) -> String {
    format!("documents:words:{id}")
}

fn place(object_key: &str) -> String {
    format!("documents:{object_key}")
}

/// A document as its lists show it.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentView {
    pub id: Uuid,
    pub kind: String,
    pub title: String,
    pub number: String,
    pub application_id: Option<Uuid>,
    pub size: i64,
    pub standard: Option<String>,
    pub created_at: i64,
    /// An invitation to a visit that was moved or cancelled since: kept,
    /// but no longer the one to come with.
    pub superseded: bool,
}

impl From<&DocumentRecord> for DocumentView {
    fn from(d: &DocumentRecord) -> Self {
        Self {
            id: d.id,
            kind: d.kind.clone(),
            title: d.title.clone(),
            number: d.number.clone(),
            application_id: d.application_id,
            size: d.size,
            standard: d.standard.clone(),
            created_at: d.created_at,
            superseded: false,
        }
    }
}

/// The views of `docs`, each invitation marked when its visit was moved or
/// cancelled since it was issued.
async fn views(state: &Portal, docs: &[DocumentRecord]) -> Result<Vec<DocumentView>, AppError> {
    let mut out = Vec::with_capacity(docs.len());
    for d in docs {
        let mut v = DocumentView::from(d);
        if let Some(visit) = invited_to(&d.source) {
            v.superseded = state.store.appointment(visit).await?.is_some_and(|a| {
                matches!(
                    a.status,
                    domain::schedule::VisitState::Moved | domain::schedule::VisitState::Cancelled
                )
            });
        }
        out.push(v);
    }
    Ok(out)
}

/// The person's documents, newest first.
pub async fn mine(state: &Portal, actor: &Actor) -> Result<Vec<DocumentView>, AppError> {
    views(state, &state.store.documents_of(actor.account.id).await?).await
}

/// A document's PDF: kept in the blob store once typeset; the first time,
/// typeset from its sealed words (dated as issued), sealed under the key
/// of now in a file of its own, and recorded — file, key and size — unless
/// another opening recorded its own first (then this copy goes, and its
/// bytes, made from the same words, are still the answer).
async fn bytes(state: &Portal, d: &DocumentRecord) -> Result<Vec<u8>, AppError> {
    if d.size > 0 {
        let sealed = state
            .blobs
            .get(&d.object_key)
            .await
            .map_err(AppError::internal)?;
        return state
            .vault
            .open(&d.key_id, &place(&d.object_key), &sealed)
            .map_err(AppError::internal);
    }
    let words = d
        .words
        .as_ref()
        .ok_or_else(|| AppError::internal(format!("document {} has no words", d.id)))?;
    let json = state
        .vault
        .open(&d.key_id, &words_place(d.id), words)
        .map_err(AppError::internal)?;
    let doc: Document = serde_json::from_slice(&json).map_err(AppError::internal)?;
    let setter = state
        .typesetter
        .get()
        .cloned()
        .ok_or_else(|| AppError::internal("no typesetter is set for this portal"))?;
    let at = d.created_at;
    let (pdf, standard) = tokio::task::spawn_blocking(move || setter.typeset(&doc, at))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
    let object_key = format!("documents/{}-{}.pdf", d.id, Uuid::new_v4().simple());
    let sealed = state
        .vault
        .seal(&place(&object_key), &pdf)
        .map_err(AppError::internal)?;
    state
        .blobs
        .put(&object_key, &sealed)
        .await
        .map_err(AppError::internal)?;
    let first = state
        .store
        .document_typeset(
            d.id,
            store::TypesetPdf {
                object_key: object_key.clone(),
                key_id: state.vault.key_id().to_owned(),
                size: i64::try_from(pdf.len()).unwrap_or(i64::MAX),
                standard,
            },
        )
        .await?;
    if !first {
        let _ = state.blobs.delete(&object_key).await;
    }
    Ok(pdf)
}

/// One of the person's documents: its file name and PDF.
pub async fn download(
    state: &Portal,
    actor: &Actor,
    id: Uuid,
) -> Result<(String, Vec<u8>), AppError> {
    let d = state
        .store
        .document(id)
        .await?
        .filter(|d| d.account_id == actor.account.id)
        .ok_or_else(AppError::not_found)?;
    Ok((file_name(&d), bytes(state, &d).await?))
}

fn file_name(d: &DocumentRecord) -> String {
    format!("{}-{}.pdf", d.kind.replace('_', "-"), d.number)
}

/// The documents of an application at the officer's office.
pub async fn of_case(
    state: &Portal,
    staff: &Staff,
    application: Uuid,
) -> Result<Vec<DocumentView>, AppError> {
    let (_, r) = crate::cases::at_office(state, staff, application).await?;
    views(state, &state.store.documents_of_application(r.id).await?).await
}

/// A document of an application at the officer's office; the download is
/// in the person's access log.
pub async fn office_download(
    state: &Portal,
    staff: &Staff,
    id: Uuid,
) -> Result<(String, Vec<u8>), AppError> {
    // The permission before the look-up: staff who may not work cases learn
    // nothing of which documents exist (403 for any id, not 404 or 403).
    staff.require(state, Permission::WorkApplications).await?;
    let d = state
        .store
        .document(id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let application = d.application_id.ok_or_else(AppError::not_found)?;
    let (who, r) = crate::cases::at_office(state, staff, application).await?;
    state
        .store
        .record_access(DataAccess {
            id: Uuid::now_v7(),
            person_id: d.account_id,
            staff_id: who.id,
            staff_role: who.role.as_str().to_owned(),
            office_id: who.office_id,
            at: state.now(),
            purpose: "document_download".into(),
            reference: format!("{} {}", r.number.clone().unwrap_or_default(), d.kind),
        })
        .await?;
    Ok((file_name(&d), bytes(state, &d).await?))
}

/// The outbox's document job.
pub struct DocumentJobs {
    pub portal: Portal,
}

#[async_trait::async_trait]
impl notify::JobHandler for DocumentJobs {
    async fn handle(&self, job: &store::Job) -> Result<(), notify::JobError> {
        let m: Making = serde_json::from_str(&job.payload)
            .map_err(|e| notify::JobError::Permanent(format!("bad payload: {e}")))?;
        make(&self.portal, &m).await.map_err(|e| match e.kind {
            ErrorKind::Internal | ErrorKind::Unavailable => {
                notify::JobError::Temporary(e.code.to_owned())
            }
            _ => notify::JobError::Permanent(e.code.to_owned()),
        })
    }
}
