//! The office side of applications (SPEC §4): queues, the case page and the
//! lifecycle's steps. Every read and step is bound to the officer's office:
//! an application of another office is "not found" (and the attempt is
//! audited), every case view is recorded in the person's access log.

use crate::Portal;
use crate::error::{AppError, ErrorKind};
use crate::staff::Staff;
use domain::application::Status;
use domain::lifecycle::{Actor as StepActor, Comment, Queue, RefusalReason, Step};
use domain::permission::Permission;
use serde::Serialize;
use serde_json::{Value, json};
use store::{ApplicationRecord, DataAccess, QueueQuery, StaffActor, StepBy, Transition};
use uuid::Uuid;

/// Every code the office side and the applicant's steps report.
pub const CODES: [&str; 17] = [
    "office.batch_empty",
    "office.batch_too_large",
    "office.unknown_queue",
    "application.changed",
    "application.field_locked",
    "lifecycle.not_allowed",
    "lifecycle.comments_required",
    "lifecycle.visit_required",
    "lifecycle.unknown_field",
    "lifecycle.too_many_comments",
    "lifecycle.comment_too_long",
    "lifecycle.unknown_step",
    "lifecycle.unknown_reason",
    "office.none",
    "office.unknown_service",
    "office.bad_cursor",
    "office.bad_search",
];

/// Most comments one return may carry, and how long each part may be.
const MAX_COMMENTS: usize = 50;
const MAX_COMMENT_CHARS: usize = 1000;
/// The longest page of a queue.
pub const MAX_PAGE: u32 = 100;

/// What an officer asks of a queue.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub queue: Option<Queue>,
    /// An application number, or the start of a surname.
    pub search: Option<String>,
    pub service: Option<String>,
    /// The cursor of the previous page.
    pub after: Option<String>,
    pub limit: Option<u32>,
}

/// A line of a queue.
#[derive(Debug, Clone, Serialize)]
pub struct QueueItem {
    pub id: Uuid,
    pub number: Option<String>,
    pub service: String,
    pub status: Status,
    pub epgu_code: u16,
    pub version: i64,
    pub submitted_at: i64,
    pub deadline: Option<String>,
    /// Past the deadline and still waiting for the office.
    pub overdue: bool,
    pub resubmitted: bool,
    pub applicant: String,
    /// The applicant's messages nobody at the office has read.
    pub unread: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct QueuePage {
    pub office_id: Option<Uuid>,
    pub items: Vec<QueueItem>,
    /// The cursor of the next page, when there may be one.
    pub next: Option<String>,
}

/// One entry of an application's history, as both sides see it.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    pub at: i64,
    pub from: Option<Status>,
    pub to: Status,
    pub epgu_code: u16,
    /// What the step carried: comments of a return, the reason of a refusal.
    pub note: Option<Value>,
    /// Whether the applicant took this step (else the office or the portal).
    pub by_applicant: bool,
}

/// The case page: everything an officer needs to decide.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    pub id: Uuid,
    pub number: Option<String>,
    pub service: String,
    pub status: Status,
    pub epgu_code: u16,
    pub version: i64,
    pub office_id: Option<Uuid>,
    pub submitted_at: Option<i64>,
    pub deadline: Option<String>,
    pub overdue: bool,
    pub late: bool,
    pub applicant: Applicant,
    pub answers: Value,
    pub files: Vec<crate::attachments::AttachmentView>,
    pub history: Vec<HistoryEntry>,
    /// The steps the officer may take now (`accept`, `return`, …).
    pub steps: Vec<&'static str>,
    /// The dwelling owner's consent, when the application waits for one.
    pub consent: Option<crate::consents::ConsentState>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Applicant {
    pub id: Uuid,
    pub surname: String,
    pub given_name: String,
    pub patronymic: Option<String>,
}

/// Where an application went.
#[derive(Debug, Clone, Serialize)]
pub struct Reassigned {
    pub id: Uuid,
    pub version: i64,
    pub office_id: Option<Uuid>,
}

/// A step as an officer asks for it.
#[derive(Debug, Clone)]
pub enum OfficeStep {
    Accept,
    Return(Vec<Comment>),
    Invite(String),
    VisitDone,
    VisitMissed,
    StartProduction,
    MarkReady,
    Complete,
    Reject(RefusalReason),
}

impl OfficeStep {
    /// The route names of the steps (`/office/applications/{id}/{name}`).
    pub const NAMES: [&'static str; 9] = [
        "accept",
        "return",
        "invite",
        "visit-done",
        "visit-missed",
        "start-production",
        "mark-ready",
        "complete",
        "reject",
    ];

    fn lifecycle(&self) -> Step {
        match self {
            Self::Accept => Step::Accept,
            Self::Return(c) => Step::Return(c.clone()),
            Self::Invite(v) => Step::Invite(v.clone()),
            Self::VisitDone => Step::VisitDone,
            Self::VisitMissed => Step::VisitMissed,
            Self::StartProduction => Step::StartProduction,
            Self::MarkReady => Step::MarkReady,
            Self::Complete => Step::Complete,
            Self::Reject(r) => Step::Reject(*r),
        }
    }

    /// A sample of each step, to list what may be done from a status.
    fn samples() -> [(&'static str, Step); 9] {
        let comment = Comment {
            field: "/x".into(),
            wrong: "x".into(),
            fix: "x".into(),
        };
        [
            ("accept", Step::Accept),
            ("return", Step::Return(vec![comment])),
            ("invite", Step::Invite("visit".into())),
            ("visit-done", Step::VisitDone),
            ("visit-missed", Step::VisitMissed),
            ("start-production", Step::StartProduction),
            ("mark-ready", Step::MarkReady),
            ("complete", Step::Complete),
            ("reject", Step::Reject(RefusalReason::NotEntitled)),
        ]
    }

    /// What the history keeps of the step.
    fn note(&self) -> Option<Value> {
        match self {
            Self::Return(comments) => Some(json!({
                "comments": comments
                    .iter()
                    .map(|c| json!({"field": c.field, "wrong": c.wrong, "fix": c.fix}))
                    .collect::<Vec<_>>()
            })),
            Self::Invite(visit) => Some(json!({ "visit": visit })),
            Self::Reject(reason) => Some(json!({ "reason": reason.as_str() })),
            _ => None,
        }
    }
}

pub(crate) fn step_actor(who: &StaffActor) -> StepActor {
    match who.role {
        domain::account::Role::HeadOfOffice => StepActor::HeadOfOffice,
        _ => StepActor::Officer,
    }
}

/// Today in the portal's reckoning, for deadlines.
fn today(state: &Portal) -> String {
    crate::today(state.now()).to_string()
}

fn overdue(status: Status, deadline: Option<&str>, today: &str) -> bool {
    domain::lifecycle::deadline_runs(status) && deadline.is_some_and(|d| d < today)
}

pub(crate) fn full_name(surname: &str, given: &str, patronymic: Option<&str>) -> String {
    match patronymic {
        Some(p) if !p.is_empty() => format!("{surname} {given} {p}"),
        _ => format!("{surname} {given}"),
    }
}

/// A queue of the officer's office; an administrator sees the applications
/// no office serves (to route them).
pub async fn queue(
    state: &Portal,
    staff: &Staff,
    filter: QueueFilter,
) -> Result<QueuePage, AppError> {
    let who = staff.who();
    let office = if domain::permission::may(who.role, Permission::WorkApplications) {
        who.office_id
            .ok_or_else(|| AppError::new(ErrorKind::Forbidden, "office.none"))?
    } else {
        staff
            .require(state, Permission::ReassignApplications)
            .await?;
        return page(state, None, filter).await;
    };
    page(state, Some(office), filter).await
}

async fn page(
    state: &Portal,
    office_id: Option<Uuid>,
    filter: QueueFilter,
) -> Result<QueuePage, AppError> {
    let limit = filter.limit.unwrap_or(50).clamp(1, MAX_PAGE);
    let after = match filter.after.as_deref() {
        None | Some("") => None,
        Some(c) => Some(cursor(c)?),
    };
    if let Some(s) = &filter.service
        && state.catalogue.get(s).is_none()
    {
        return Err(AppError::field("service", "office.unknown_service"));
    }
    let (number, surname) = match filter.search.as_deref().map(str::trim) {
        None | Some("") => (None, None),
        Some(s) if s.chars().all(|c| c.is_ascii_digit() || c == '-') => (Some(s.to_owned()), None),
        Some(s) => (None, Some(surname_prefix(s)?)),
    };
    let today = today(state);
    let rows = state
        .store
        .office_queue(QueueQuery {
            office_id,
            queue: filter.queue,
            today: today.clone(),
            number,
            surname,
            service: filter.service,
            after,
            limit,
        })
        .await?;
    let next = (rows.len() == limit as usize)
        .then(|| rows.last().map(|r| format!("{}_{}", r.submitted_at, r.id)))
        .flatten();
    let items = rows
        .into_iter()
        .map(|r| QueueItem {
            overdue: overdue(r.status, r.deadline.as_deref(), &today),
            applicant: full_name(&r.surname, &r.given_name, r.patronymic.as_deref()),
            id: r.id,
            number: r.number,
            service: r.service,
            status: r.status,
            epgu_code: r.status.epgu_code(),
            version: r.version,
            submitted_at: r.submitted_at,
            deadline: r.deadline,
            resubmitted: r.resubmitted,
            unread: r.unread,
        })
        .collect();
    Ok(QueuePage {
        office_id,
        items,
        next,
    })
}

fn cursor(c: &str) -> Result<(i64, Uuid), AppError> {
    let bad = || AppError::field("after", "office.bad_cursor");
    let (at, id) = c.split_once('_').ok_or_else(bad)?;
    Ok((
        at.parse().map_err(|_| bad())?,
        Uuid::parse_str(id).map_err(|_| bad())?,
    ))
}

/// A surname prefix as surnames are stored (capitalised, one script); the
/// wildcards of LIKE are refused rather than passed on.
fn surname_prefix(s: &str) -> Result<String, AppError> {
    let bad = || AppError::field("q", "office.bad_search");
    if s.chars().count() > 60 || !s.chars().all(|c| c.is_alphabetic() || c == '-' || c == ' ') {
        return Err(bad());
    }
    let mut chars = s.chars();
    let first = chars.next().ok_or_else(bad)?;
    Ok(first
        .to_uppercase()
        .chain(chars.flat_map(char::to_lowercase))
        .collect())
}

/// The application if it is at the officer's office; else "not found",
/// and the attempt is audited.
pub(crate) async fn at_office(
    state: &Portal,
    staff: &Staff,
    id: Uuid,
) -> Result<(StaffActor, ApplicationRecord), AppError> {
    let who = staff.require(state, Permission::WorkApplications).await?;
    let record = state.store.application_by_id(id).await?;
    match record {
        Some(r) if r.office_id.is_some() && r.office_id == who.office_id => Ok((who, r)),
        _ => {
            state
                .store
                .audit_staff(
                    &who,
                    "access.denied_other_office",
                    Some(id),
                    "application",
                    state.now(),
                )
                .await?;
            Err(AppError::not_found())
        }
    }
}

/// Records a staff read of an application in its applicant's access log.
pub(crate) async fn record_read(
    state: &Portal,
    who: &StaffActor,
    r: &ApplicationRecord,
    purpose: &str,
) -> Result<(), AppError> {
    state
        .store
        .record_access(DataAccess {
            id: Uuid::now_v7(),
            person_id: r.account_id,
            staff_id: who.id,
            staff_role: who.role.as_str().to_owned(),
            office_id: who.office_id,
            at: state.now(),
            purpose: purpose.into(),
            reference: r.number.clone().unwrap_or_else(|| r.id.to_string()),
        })
        .await?;
    Ok(())
}

/// The case page; the read is recorded in the applicant's access log.
pub async fn case(state: &Portal, staff: &Staff, id: Uuid) -> Result<Case, AppError> {
    let (who, r) = at_office(state, staff, id).await?;
    let account = state
        .store
        .get_account(r.account_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    record_read(state, &who, &r, "application_case").await?;
    let def = state.catalogue.get(&r.service);
    let steps = def
        .map(|d| {
            OfficeStep::samples()
                .into_iter()
                .filter(|(_, s)| {
                    domain::lifecycle::step(&d.stages, r.status, step_actor(&who), s).is_ok()
                })
                .map(|(name, _)| name)
                .collect()
        })
        .unwrap_or_default();
    let today = today(state);
    Ok(Case {
        id: r.id,
        number: r.number.clone(),
        service: r.service.clone(),
        status: r.status,
        epgu_code: r.status.epgu_code(),
        version: r.version,
        office_id: r.office_id,
        submitted_at: r.submitted_at,
        overdue: overdue(r.status, r.deadline.as_deref(), &today),
        deadline: r.deadline.clone(),
        late: r.late,
        applicant: Applicant {
            id: account.id,
            surname: account.surname,
            given_name: account.given_name,
            patronymic: account.patronymic,
        },
        answers: crate::applications::open(state, &r)?,
        files: state
            .store
            .attachments(r.id, r.account_id)
            .await?
            .iter()
            .map(crate::attachments::AttachmentView::from)
            .collect(),
        history: history_entries(state, r.id, r.account_id).await?,
        consent: crate::consents::of_application(state, r.id).await?,
        steps,
    })
}

pub(crate) async fn history_entries(
    state: &Portal,
    id: Uuid,
    owner: Uuid,
) -> Result<Vec<HistoryEntry>, AppError> {
    Ok(state
        .store
        .history_of(id)
        .await?
        .into_iter()
        .map(|e| HistoryEntry {
            at: e.at,
            from: e.from,
            to: e.to,
            epgu_code: e.to.epgu_code(),
            note: e.note.as_deref().and_then(|n| serde_json::from_str(n).ok()),
            by_applicant: e.actor_id == Some(owner),
        })
        .collect())
}

/// Checks the comments of a return: each names a field of the service's
/// form (a JSON Pointer) and says what is wrong and what to do.
fn check_comments(
    def: &domain::catalogue::ServiceDef,
    comments: &[Comment],
) -> Result<(), AppError> {
    if comments.len() > MAX_COMMENTS {
        return Err(AppError::field("comments", "lifecycle.too_many_comments"));
    }
    for c in comments {
        if domain::form::field_at(&def.form, &c.field).is_none() {
            return Err(
                AppError::field("comments", "lifecycle.unknown_field").arg("field", &c.field)
            );
        }
        if c.wrong.chars().count() > MAX_COMMENT_CHARS || c.fix.chars().count() > MAX_COMMENT_CHARS
        {
            return Err(AppError::field("comments", "lifecycle.comment_too_long"));
        }
    }
    Ok(())
}

/// Takes a step on an application of the officer's office, decided on
/// `version`: one transaction with its history, audit and the person's
/// notice. A step taken meanwhile by someone else answers 409 with what
/// the application is now.
pub async fn act(
    state: &Portal,
    staff: &Staff,
    id: Uuid,
    version: i64,
    step: OfficeStep,
) -> Result<Case, AppError> {
    let (who, r) = at_office(state, staff, id).await?;
    if r.version != version {
        return Err(changed(&r));
    }
    let def = state.catalogue.get(&r.service).ok_or_else(|| {
        AppError::internal(format!("service {} is not in the catalogue", r.service))
    })?;
    if let OfficeStep::Return(comments) = &step {
        check_comments(def, comments)?;
    }
    // A registration at a dwelling waits for its owner's consent.
    if matches!(step, OfficeStep::Accept) && !crate::consents::allows_acceptance(state, id).await? {
        return Err(crate::consents::pending());
    }
    let to = domain::lifecycle::step(&def.stages, r.status, step_actor(&who), &step.lifecycle())
        .map_err(|refusal| refused(refusal, r.status))?;
    crate::payments::require_paid(state, &r, def, to).await?;
    let transition = Transition {
        id,
        version,
        from: r.status,
        to,
        by: StepBy::Staff(who),
        note: step.note().map(|n| n.to_string()),
        jobs: std::iter::once(status_notice(state.now(), &r, def, to, version))
            .chain(crate::documents::for_step(&r.service, to).map(|kind| {
                crate::documents::job(
                    kind,
                    id,
                    format!("{}:{id}:{version}", kind.as_str()),
                    None,
                    state.now(),
                )
            }))
            .collect(),
        answers: None,
        consent: None,
    };
    match state.store.transition(transition, state.now()).await {
        Ok(_) => case(state, staff, id).await,
        Err(store::StoreError::Stale) => Err(match state.store.application_by_id(id).await? {
            Some(now) => changed(&now),
            None => AppError::not_found(),
        }),
        Err(e) => Err(e.into()),
    }
}

/// A step refused by the lifecycle: its code, and the status it was asked in.
pub(crate) fn refused(refusal: domain::lifecycle::Refusal, status: Status) -> AppError {
    let kind = match refusal {
        domain::lifecycle::Refusal::NotAllowed => ErrorKind::Conflict,
        _ => ErrorKind::Invalid,
    };
    AppError::new(kind, refusal.code()).arg("status", status.as_str())
}

/// 409 for a decision made on an old version: what the application is now.
pub(crate) fn changed(now: &ApplicationRecord) -> AppError {
    AppError::new(ErrorKind::Conflict, "application.changed")
        .arg("current_version", now.version)
        .arg("current_status", now.status.as_str())
}

/// The person's notice of a status change: one per event (the dedup key
/// names the application and the version the step was taken on).
pub(crate) fn status_notice(
    now: i64,
    r: &ApplicationRecord,
    def: &domain::catalogue::ServiceDef,
    to: Status,
    version: i64,
) -> store::NewJob {
    crate::notice::job_at(
        r.account_id,
        "msg-application-status-subject",
        "msg-application-status-body",
        vec![
            ("service".into(), crate::i18n::service_arg(&def.code)),
            ("number".into(), r.number.clone().unwrap_or_default()),
            ("status".into(), to.as_str().into()),
        ],
        format!("/applications/{}", r.id),
        format!("application-status:{}:{version}", r.id),
        now,
    )
}

/// Sends an application to another office: the head of the office that
/// holds it, or an administrator for one no office serves.
pub async fn reassign(
    state: &Portal,
    staff: &Staff,
    id: Uuid,
    version: i64,
    to_office: Uuid,
) -> Result<Reassigned, AppError> {
    let who = staff
        .require(state, Permission::ReassignApplications)
        .await?;
    let r = state.store.application_by_id(id).await?;
    let from = match &r {
        // A head moves their own office's; an administrator only the unrouted.
        Some(r) if r.status.is_open() && r.office_id.is_some() && r.office_id == who.office_id => {
            r.office_id
        }
        Some(r) if r.status.is_open() && r.office_id.is_none() && who.office_id.is_none() => None,
        _ => return Err(AppError::not_found()),
    };
    if !state
        .store
        .list_offices()
        .await?
        .iter()
        .any(|o| o.id == to_office)
    {
        return Err(AppError::field("office_id", "office.unknown"));
    }
    match state
        .store
        .reassign(id, version, from, to_office, &who, state.now())
        .await
    {
        Ok(_) => {}
        Err(store::StoreError::Stale) => {
            return Err(match state.store.application_by_id(id).await? {
                Some(now) => changed(&now),
                None => AppError::not_found(),
            });
        }
        Err(e) => return Err(e.into()),
    }
    let r = state
        .store
        .application_by_id(id)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok(Reassigned {
        id: r.id,
        version: r.version,
        office_id: r.office_id,
    })
}

/// A file of an application's answers, for the office that holds it; the
/// download is recorded in the applicant's access log.
pub async fn attachment(
    state: &Portal,
    staff: &Staff,
    id: Uuid,
    file_id: &str,
) -> Result<(crate::attachments::AttachmentView, Vec<u8>), AppError> {
    let (who, r) = at_office(state, staff, id).await?;
    let files = state.store.attachments(r.id, r.account_id).await?;
    let a = files
        .iter()
        .find(|a| a.id == file_id)
        .ok_or_else(AppError::not_found)?;
    record_read(state, &who, &r, "application_file").await?;
    let bytes = crate::attachments::read_file(state, &a.key_id, &a.object_key).await?;
    Ok((crate::attachments::AttachmentView::from(a), bytes))
}

/// Most applications one "ready for issue" batch may hold.
pub const MAX_BATCH: usize = 200;

/// What became of one application of a batch.
#[derive(Debug, Clone, Serialize)]
pub struct BatchResult {
    pub id: Uuid,
    pub ok: bool,
    /// Why not, when not (`application.changed`, `lifecycle.not_allowed`, `not_found`).
    pub code: Option<&'static str>,
    pub version: Option<i64>,
}

/// Marks a production batch ready for issue: each application its own step
/// (bound to the version the officer saw), so one that changed meanwhile
/// stays as it is and is reported, the rest go through.
pub async fn mark_ready(
    state: &Portal,
    staff: &Staff,
    items: &[(Uuid, i64)],
) -> Result<Vec<BatchResult>, AppError> {
    staff.require(state, Permission::WorkApplications).await?;
    if items.is_empty() {
        return Err(AppError::field("items", "office.batch_empty"));
    }
    if items.len() > MAX_BATCH {
        return Err(AppError::field("items", "office.batch_too_large"));
    }
    let mut out = Vec::with_capacity(items.len());
    for (id, version) in items {
        out.push(
            match act(state, staff, *id, *version, OfficeStep::MarkReady).await {
                Ok(c) => BatchResult {
                    id: *id,
                    ok: true,
                    code: None,
                    version: Some(c.version),
                },
                Err(e) if e.kind == ErrorKind::Internal || e.kind == ErrorKind::Unavailable => {
                    return Err(e);
                }
                Err(e) => BatchResult {
                    id: *id,
                    ok: false,
                    code: Some(e.code),
                    version: None,
                },
            },
        );
    }
    Ok(out)
}
