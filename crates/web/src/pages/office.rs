//! The office's applications in the browser: queues with search and pages,
//! the case page with every allowed step as a form, the thread, files.

use super::answers::text;
use super::applications::{Block, answer_blocks, posted, problem_text, status_text};
use super::staff::staff_of;
use super::thread::{ThreadItem, items, uploads};
use super::{Chrome, Ctx, ErrorItem, Link, parse_form, see_other};
use crate::error::{AppError, HttpStatus};
use crate::state::AppState;
use app::cases::{self, Case, OfficeStep, QueueFilter};
use app::i18n::Lang;
use app::staff::Staff;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::application::Status;
use domain::lifecycle::{Comment, Queue, RefusalReason};
use std::collections::HashMap;
use uuid::Uuid;

/// Comment rows a return form offers.
const COMMENT_ROWS: usize = 3;
/// The most free times the case page offers to set a visit at.
const MAX_VISIT_TIMES: usize = 80;

pub struct Tab {
    pub href: String,
    pub text: String,
    pub current: bool,
}

pub struct QueueRow {
    /// `id:version`, for the batch form.
    pub item: String,
    pub select_label: String,
    pub href: String,
    pub number: String,
    pub service: String,
    pub applicant: String,
    pub status: String,
    pub deadline: String,
    pub overdue: bool,
    pub unread: i64,
}

#[derive(Template)]
#[template(path = "office_queue.html")]
struct QueuePage {
    chrome: Chrome,
    errors: Vec<ErrorItem>,
    notice: Option<String>,
    /// The production queue: rows can be ticked and marked ready at once.
    batch: bool,
    office: Option<String>,
    tabs: Vec<Tab>,
    queue: Option<String>,
    search: String,
    rows: Vec<QueueRow>,
    next: Option<String>,
}

fn service_name(state: &AppState, lang: Lang, code: &str) -> String {
    state
        .catalogue
        .get(code)
        .map_or_else(|| code.to_owned(), |d| text(lang, &d.name))
}

pub async fn queue(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let staff = match staff_of(&ctx) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    queue_page(&state, &ctx, &staff, &q, None).await
}

async fn queue_page(
    state: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    q: &HashMap<String, String>,
    notice: Option<String>,
) -> Response {
    let lang = ctx.lang;
    let chosen = q.get("queue").and_then(|s| Queue::parse(s));
    let search = q.get("q").cloned().unwrap_or_default();
    let mut page = QueuePage {
        chrome: ctx.chrome(lang.t("queue-title")),
        errors: Vec::new(),
        notice,
        batch: chosen == Some(Queue::InProduction),
        office: None,
        tabs: std::iter::once((None, "queue-all".to_owned()))
            .chain(
                Queue::ALL
                    .iter()
                    .map(|q| (Some(*q), format!("queue-{}", q.as_str().replace('_', "-")))),
            )
            .map(|(q, key)| Tab {
                href: q.map_or_else(
                    || "/staff/applications".to_owned(),
                    |q| format!("/staff/applications?queue={}", q.as_str()),
                ),
                text: lang.t(&key),
                current: q == chosen,
            })
            // Today's visits are a queue of their own page (the officer's day).
            .chain(std::iter::once(Tab {
                href: "/staff/visits".to_owned(),
                text: lang.t("queue-today"),
                current: false,
            }))
            .collect(),
        queue: chosen.map(|q| q.as_str().to_owned()),
        search: search.clone(),
        rows: Vec::new(),
        next: None,
    };
    let filter = QueueFilter {
        queue: chosen,
        search: Some(search.clone()).filter(|s| !s.trim().is_empty()),
        service: None,
        after: q.get("after").cloned(),
        limit: Some(50),
    };
    match cases::queue(state, staff, filter).await {
        Ok(p) => {
            if let Some(id) = p.office_id {
                page.office = app::queries::office_name(state, id).await.ok().flatten();
            }
            page.next = p.next.map(|n| {
                let queue = page.queue.as_deref().unwrap_or("");
                format!(
                    "/staff/applications?queue={queue}&q={}&after={n}",
                    urlencoding(&search)
                )
            });
            page.rows = p
                .items
                .into_iter()
                .map(|i| QueueRow {
                    item: format!("{}:{}", i.id, i.version),
                    select_label: lang.t_args(
                        "batch-select",
                        &[("number", i.number.clone().unwrap_or_default())],
                    ),
                    href: format!("/staff/applications/{}", i.id),
                    number: i.number.unwrap_or_default(),
                    service: service_name(state, lang, &i.service),
                    applicant: i.applicant,
                    status: status_text(lang, i.status),
                    deadline: i
                        .deadline
                        .as_deref()
                        .map(|d| super::answers::shown_date(lang, d))
                        .unwrap_or_default(),
                    overdue: i.overdue,
                    unread: i.unread,
                })
                .collect();
            ctx.render(StatusCode::OK, &page)
        }
        Err(e) if !e.fields.is_empty() => {
            page.errors = e
                .fields
                .iter()
                .map(|f| ErrorItem {
                    field: Some("#q".into()),
                    message: ctx.message(f.code, &e),
                })
                .collect();
            ctx.render(e.status(), &page)
        }
        Err(e) => super::error_page(lang, &e),
    }
}

/// Percent-encodes a query value.
fn urlencoding(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)])
        .map(|x| x.trim_start_matches("v=").to_owned())
        .unwrap_or_default()
}

pub struct StepForm {
    pub name: &'static str,
    pub action: String,
    pub label: String,
    pub primary: bool,
}

#[derive(Template)]
#[template(path = "office_case.html")]
struct CasePage {
    chrome: Chrome,
    errors: Vec<ErrorItem>,
    notice: Option<String>,
    id: Uuid,
    version: i64,
    summary: Vec<(String, String)>,
    steps: Vec<StepForm>,
    comment_rows: Vec<usize>,
    fields: Vec<(String, String)>,
    reasons: Vec<(String, String)>,
    offices: Vec<(String, String)>,
    files: Vec<Link>,
    blocks: Vec<Block>,
    history: Vec<(String, String, String)>,
    thread: Vec<ThreadItem>,
    write_to: Option<String>,
    /// Free times of the office's schedule (value, label), to set or move the visit.
    visit_times: Vec<(String, String)>,
    /// The application is invited: the visit may be moved.
    moving: bool,
    /// A due fee's UIN and amount in roubles: the bank payment form.
    bank: Option<(String, String)>,
    /// The documents issued for the application.
    documents: Vec<Link>,
}

/// What a history entry carried, in words.
fn note_text(
    lang: Lang,
    def: Option<&domain::catalogue::ServiceDef>,
    note: &serde_json::Value,
) -> String {
    let mut parts = Vec::new();
    if let Some(comments) = note["comments"].as_array() {
        for c in comments {
            let field = c["field"].as_str().unwrap_or_default();
            let label = def
                .and_then(|d| domain::form::field_at(&d.form, field))
                .map_or_else(|| field.to_owned(), |f| text(lang, &f.label));
            let said = |k: &str| app::i18n::written(lang, c[k].as_str().unwrap_or_default());
            parts.push(format!("{label}: {} — {}", said("wrong"), said("fix")));
        }
    }
    if let Some(r) = note["reason"].as_str() {
        parts.push(lang.t(&format!("reason-{}", r.replace('_', "-"))));
    }
    if let Some(v) = note["visit"].as_str() {
        parts.push(lang.t_args("case-note-visit", &[("visit", v.to_owned())]));
    }
    if let Some(ms) = note["visit"].as_i64() {
        parts.push(lang.t_args("case-note-visit-at", &[("when", lang.moment(ms))]));
    }
    if let Some(ms) = note["visit_cancelled"].as_i64() {
        parts.push(lang.t_args("case-note-visit-cancelled", &[("when", lang.moment(ms))]));
    }
    if let Some(o) = note["outcome"].as_str() {
        parts.push(lang.t(&format!("visit-state-{o}")));
    }
    if let Some(n) = note["note"].as_str() {
        parts.push(n.to_owned());
    }
    if note.get("reassigned").is_some() {
        parts.push(lang.t("case-note-reassigned"));
    }
    parts.join("; ")
}

pub(super) fn history_rows(
    lang: Lang,
    def: Option<&domain::catalogue::ServiceDef>,
    history: &[cases::HistoryEntry],
) -> Vec<(String, String, String)> {
    history
        .iter()
        .map(|h| {
            (
                lang.moment(h.at),
                status_text(lang, h.to),
                h.note
                    .as_ref()
                    .map(|n| note_text(lang, def, n))
                    .unwrap_or_default(),
            )
        })
        .collect()
}

async fn case_page(
    state: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    c: Case,
    status: StatusCode,
    errors: Vec<ErrorItem>,
    notice: Option<String>,
) -> Response {
    let lang = ctx.lang;
    let def = state.catalogue.get(&c.service);
    let thread = app::messages::office_thread(state, staff, c.id)
        .await
        .unwrap_or_default();
    let mut summary = vec![
        (
            lang.t("applications-col-service"),
            service_name(state, lang, &c.service),
        ),
        (
            lang.t("applications-col-status"),
            status_text(lang, c.status),
        ),
        (
            lang.t("queue-col-applicant"),
            [
                c.applicant.surname.as_str(),
                c.applicant.given_name.as_str(),
                c.applicant.patronymic.as_deref().unwrap_or(""),
            ]
            .join(" ")
            .trim()
            .to_owned(),
        ),
    ];
    if let Some(at) = c.submitted_at {
        summary.push((lang.t("case-submitted"), lang.moment(at)));
    }
    if let Some(d) = &c.deadline {
        let mut v = super::answers::shown_date(lang, d);
        if c.overdue {
            v.push_str(&format!(" — {}", lang.t("queue-overdue-tag")));
        }
        summary.push((lang.t("queue-col-deadline"), v));
    }
    if c.late {
        summary.push((lang.t("case-late"), lang.t("form-yes")));
    }
    if let Some(consent) = &c.consent {
        summary.push((
            lang.t("case-consent"),
            lang.t(&format!("consent-{}", consent.status)),
        ));
    }
    // The fee: how it stands, and the form to record a bank's payment of it.
    let charges = app::payments::office_charges(state, staff, c.id)
        .await
        .unwrap_or_default();
    let mut bank = None;
    for ch in &charges {
        summary.push((
            lang.t("fee-title"),
            format!(
                "{} — {}, {} {}",
                lang.money(ch.kopecks),
                lang.t(&format!("fee-status-{}", ch.status.as_str())),
                lang.t("fee-uin"),
                ch.uin
            ),
        ));
        if ch.status == store::ChargeStatus::Due && c.status.is_open() {
            bank = Some((ch.uin.clone(), format!("{}", ch.kopecks as f64 / 100.0)));
        }
    }
    // The times the office may set the visit at, when the next step is one.
    let visit_times = match (c.status, c.office_id) {
        (Status::Accepted | Status::Invited, Some(office))
            if c.status == Status::Invited || c.steps.contains(&"invite") =>
        {
            let today = app::today(state.now());
            app::visits::availability(
                state,
                office,
                Some(&c.service),
                today,
                today + time::Duration::days(14),
            )
            .await
            .unwrap_or_default()
            .into_iter()
            .take(MAX_VISIT_TIMES)
            .filter_map(|s| {
                let date = time::Date::parse(
                    &s.date,
                    &time::format_description::well_known::Iso8601::DATE,
                )
                .ok()?;
                Some((
                    s.start_ms.to_string(),
                    format!("{} {}", super::visits::day_text(lang, date), s.time),
                ))
            })
            .collect()
        }
        _ => Vec::new(),
    };
    let steps = c
        .steps
        .iter()
        .map(|s| StepForm {
            name: s,
            action: if *s == "invite" && !visit_times.is_empty() {
                format!("/staff/applications/{}/visit", c.id)
            } else {
                format!("/staff/applications/{}/{s}", c.id)
            },
            label: lang.t(&format!("step-{s}")),
            primary: !matches!(*s, "return" | "reject" | "visit-missed"),
        })
        .collect();
    let fields = def
        .map(|d| {
            d.form
                .sections
                .iter()
                .flat_map(|s| &s.fields)
                .map(|f| (format!("/{}", f.id), text(lang, &f.label)))
                .collect()
        })
        .unwrap_or_default();
    let reasons = RefusalReason::ALL
        .iter()
        .map(|r| {
            (
                r.as_str().to_owned(),
                lang.t(&format!("reason-{}", r.as_str().replace('_', "-"))),
            )
        })
        .collect();
    let may_reassign = domain::permission::may(
        staff.0.account.role,
        domain::permission::Permission::ReassignApplications,
    ) && c.status.is_open();
    let offices = if may_reassign {
        state
            .store
            .list_offices()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|o| Some(o.id) != c.office_id)
            .map(|o| (o.id.to_string(), o.name))
            .collect()
    } else {
        Vec::new()
    };
    let names: HashMap<String, String> = c
        .files
        .iter()
        .map(|f| (f.id.clone(), f.file_name.clone()))
        .collect();
    let empty = serde_json::Map::new();
    let blocks = def
        .map(|d| {
            answer_blocks(
                lang,
                d,
                c.answers.as_object().unwrap_or(&empty),
                &names,
                c.id,
            )
        })
        .unwrap_or_default();
    let page = CasePage {
        chrome: ctx.chrome(lang.t_args(
            "case-title",
            &[("number", c.number.clone().unwrap_or_default())],
        )),
        errors,
        notice,
        id: c.id,
        version: c.version,
        summary,
        steps,
        comment_rows: (0..COMMENT_ROWS).collect(),
        fields,
        reasons,
        offices,
        files: c
            .files
            .iter()
            .map(|f| Link {
                href: format!("/staff/applications/{}/files/{}", c.id, f.id),
                text: f.file_name.clone(),
                primary: false,
            })
            .collect(),
        blocks,
        history: history_rows(lang, def, &c.history),
        thread: items(
            lang,
            &thread,
            &format!("/staff/applications/{}/messages/files", c.id),
            true,
        ),
        write_to: domain::lifecycle::may(c.status, domain::lifecycle::Ability::Write)
            .then(|| format!("/staff/applications/{}/messages", c.id)),
        moving: c.status == Status::Invited && !visit_times.is_empty(),
        visit_times,
        bank,
        documents: app::documents::of_case(state, staff, c.id)
            .await
            .unwrap_or_default()
            .iter()
            .map(|d| Link {
                href: format!("/staff/documents/{}", d.id),
                text: super::documents::link_text(lang, d),
                primary: false,
            })
            .collect(),
    };
    ctx.render(status, &page)
}

/// Roubles as people type them (`6000`, `6 000,00`, `1500.5`) in kopecks.
fn parse_rubles(s: &str) -> Option<i64> {
    let s: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}')
        .collect();
    let s = s.trim_end_matches('₽').replace(',', ".");
    let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
    if whole.is_empty() || whole.len() > 9 || frac.len() > 2 {
        return None;
    }
    if !whole
        .bytes()
        .chain(frac.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<2}").parse().ok()?
    };
    Some(whole * 100 + frac)
}

fn parse_id(ctx: &Ctx, raw: &str) -> Result<Uuid, Box<Response>> {
    Uuid::parse_str(raw).map_err(|_| Box::new(super::error_page(ctx.lang, &AppError::not_found())))
}

pub async fn case(State(state): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> Response {
    let (staff, id) = match (staff_of(&ctx), parse_id(&ctx, &raw)) {
        (Ok(s), Ok(id)) => (s, id),
        (Err(r), _) | (_, Err(r)) => return *r,
    };
    match cases::case(&state, &staff, id).await {
        Ok(c) => case_page(&state, &ctx, &staff, c, StatusCode::OK, Vec::new(), None).await,
        Err(e) => super::error_page(ctx.lang, &e),
    }
}

/// The step a case form posted.
fn posted_step(name: &str, form: &HashMap<String, String>) -> Option<OfficeStep> {
    let value = |k: &str| form.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    Some(match name {
        "accept" => OfficeStep::Accept,
        "return" => OfficeStep::Return(
            (0..COMMENT_ROWS)
                .filter(|i| !value(&format!("field_{i}")).is_empty())
                .map(|i| Comment {
                    field: value(&format!("field_{i}")),
                    wrong: value(&format!("wrong_{i}")),
                    fix: value(&format!("fix_{i}")),
                })
                .collect(),
        ),
        "invite" => OfficeStep::Invite(value("visit")),
        "visit-done" => OfficeStep::VisitDone,
        "visit-missed" => OfficeStep::VisitMissed,
        "start-production" => OfficeStep::StartProduction,
        "mark-ready" => OfficeStep::MarkReady,
        "complete" => OfficeStep::Complete,
        "reject" => OfficeStep::Reject(RefusalReason::parse(&value("reason"))?),
        _ => return None,
    })
}

/// Shows the case again with what went wrong.
async fn again(state: &AppState, ctx: &Ctx, staff: &Staff, id: Uuid, e: &AppError) -> Response {
    if e.status().is_server_error() || e.status() == StatusCode::NOT_FOUND {
        return super::error_page(ctx.lang, e);
    }
    let errors = if e.fields.is_empty() {
        vec![ErrorItem {
            field: None,
            message: ctx.message(e.code, e),
        }]
    } else {
        e.fields
            .iter()
            .map(|f| ErrorItem {
                // Each field an office step can refuse, at its control on this page.
                field: match f.field {
                    "kopecks" | "uin" => Some("#bank-amount".to_owned()),
                    "reference" => Some("#bank-reference".to_owned()),
                    "comments" => Some("#field-0".to_owned()),
                    "reason" => Some("#reason".to_owned()),
                    "office_id" => Some("#office".to_owned()),
                    // Set while the next step is the invitation, moved once invited.
                    "start_ms" => Some("#start_ms".to_owned()),
                    _ => None,
                },
                message: ctx.message(f.code, e),
            })
            .chain(e.problems.iter().map(|p| ErrorItem {
                field: None,
                message: problem_text(ctx.lang, p),
            }))
            .collect()
    };
    match cases::case(state, staff, id).await {
        Ok(c) => {
            let mut errors = errors;
            if c.status == Status::Invited {
                for item in &mut errors {
                    if item.field.as_deref() == Some("#start_ms") {
                        item.field = Some("#move_ms".to_owned());
                    }
                }
            }
            case_page(state, ctx, staff, c, e.status(), errors, None).await
        }
        Err(e) => super::error_page(ctx.lang, &e),
    }
}

pub async fn step(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((raw, name)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let (staff, id) = match (staff_of(&ctx), parse_id(&ctx, &raw)) {
        (Ok(s), Ok(id)) => (s, id),
        (Err(r), _) | (_, Err(r)) => return *r,
    };
    let form = parse_form(&body);
    if !ctx.form_token_ok(&form) {
        return super::error_page(
            ctx.lang,
            &AppError::new(crate::error::ErrorKind::Forbidden, "csrf"),
        );
    }
    let version = super::staff::posted_version(&form);
    let result = if name == "bank-payment" {
        // The bank's statement: the UIN, the amount in roubles, its reference.
        let value = |k: &str| form.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
        match parse_rubles(&value("amount")) {
            Some(kopecks) => app::payments::record_bank_payment(
                &state,
                &staff,
                &value("uin"),
                kopecks,
                &value("reference"),
            )
            .await
            .map(|_| ()),
            None => Err(AppError::field("kopecks", "fee.amount")),
        }
    } else if name == "visit" {
        // The office sets (or moves) the person's visit at a time of its schedule.
        match form
            .get("start_ms")
            .and_then(|v| v.trim().parse::<i64>().ok())
        {
            Some(ms) => app::visits::set_time(&state, &staff, id, ms)
                .await
                .map(|_| ()),
            None => Err(AppError::field("start_ms", "visit.not_a_slot")),
        }
    } else if name == "office" {
        match form.get("office_id").and_then(|o| Uuid::parse_str(o).ok()) {
            Some(to) => cases::reassign(&state, &staff, id, version, to)
                .await
                .map(|_| ()),
            None => Err(AppError::field("office_id", "office.unknown")),
        }
    } else {
        match posted_step(&name, &form) {
            Some(step) => cases::act(&state, &staff, id, version, step)
                .await
                .map(|_| ()),
            None if name == "reject" => Err(AppError::field("reason", "lifecycle.unknown_reason")),
            None => Err(AppError::new(
                crate::error::ErrorKind::NotFound,
                "lifecycle.unknown_step",
            )),
        }
    };
    match result {
        // Reassigned away: back to the queue; otherwise the case as it is now.
        Ok(()) if name == "office" => see_other("/staff/applications"),
        Ok(()) => see_other(&format!("/staff/applications/{id}")),
        Err(e) => again(&state, &ctx, &staff, id, &e).await,
    }
}

pub async fn write(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(raw): Path<String>,
    req: axum::extract::Request,
) -> Response {
    let (staff, id) = match (staff_of(&ctx), parse_id(&ctx, &raw)) {
        (Ok(s), Ok(id)) => (s, id),
        (Err(r), _) | (_, Err(r)) => return *r,
    };
    let (form, files) = match posted(&state, req).await {
        Ok(x) => x,
        Err(e) => return super::error_page(ctx.lang, &e),
    };
    if !ctx.form_token_ok(&form) {
        return super::error_page(
            ctx.lang,
            &AppError::new(crate::error::ErrorKind::Forbidden, "csrf"),
        );
    }
    let text = form.get("text").cloned().unwrap_or_default();
    match app::messages::office_write(&state, &staff, id, &text, uploads(files)).await {
        Ok(_) => see_other(&format!("/staff/applications/{id}#messages")),
        Err(e) => again(&state, &ctx, &staff, id, &e).await,
    }
}

pub async fn file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((raw, file)): Path<(String, String)>,
) -> Response {
    let (staff, id) = match (staff_of(&ctx), parse_id(&ctx, &raw)) {
        (Ok(s), Ok(id)) => (s, id),
        (Err(r), _) | (_, Err(r)) => return *r,
    };
    match cases::attachment(&state, &staff, id, &file).await {
        Ok((meta, bytes)) => {
            crate::api::applications::file_response(&meta.media_type, &meta.file_name, bytes)
        }
        Err(e) => super::error_page(ctx.lang, &e),
    }
}

pub async fn message_file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((raw, file)): Path<(String, String)>,
) -> Response {
    let (staff, id) = match (staff_of(&ctx), parse_id(&ctx, &raw)) {
        (Ok(s), Ok(id)) => (s, id),
        (Err(r), _) | (_, Err(r)) => return *r,
    };
    match app::messages::file(&state, app::messages::Reader::Office(&staff), id, &file).await {
        Ok((meta, bytes)) => {
            crate::api::applications::file_response(&meta.media_type, &meta.file_name, bytes)
        }
        Err(e) => super::error_page(ctx.lang, &e),
    }
}

/// Marks the ticked applications of the production queue ready for issue.
pub async fn ready(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let staff = match staff_of(&ctx) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    // Repeated `item` fields: read as pairs, not as a map.
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let form: HashMap<String, String> = pairs.iter().cloned().collect();
    if !ctx.form_token_ok(&form) {
        return super::error_page(
            ctx.lang,
            &AppError::new(crate::error::ErrorKind::Forbidden, "csrf"),
        );
    }
    let items: Vec<(Uuid, i64)> = pairs
        .iter()
        .filter(|(k, _)| k == "item")
        .filter_map(|(_, v)| {
            let (id, version) = v.split_once(':')?;
            Some((Uuid::parse_str(id).ok()?, version.parse().ok()?))
        })
        .collect();
    let query = HashMap::from([("queue".to_owned(), "in_production".to_owned())]);
    match cases::mark_ready(&state, &staff, &items).await {
        Ok(results) => {
            let ok = results.iter().filter(|r| r.ok).count();
            let notice = ctx.lang.t_args(
                "batch-done",
                &[
                    ("ok", ok.to_string()),
                    ("failed", (results.len() - ok).to_string()),
                ],
            );
            queue_page(&state, &ctx, &staff, &query, Some(notice)).await
        }
        Err(e) if e.fields.is_empty() => super::error_page(ctx.lang, &e),
        Err(e) => {
            let message = e
                .fields
                .first()
                .map(|f| ctx.message(f.code, &e))
                .unwrap_or_default();
            queue_page(&state, &ctx, &staff, &query, Some(message)).await
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn roubles_as_typed() {
        use super::parse_rubles as p;
        assert_eq!(p("6000"), Some(600_000));
        assert_eq!(p("6 000,00"), Some(600_000));
        assert_eq!(p("1500.5"), Some(150_050));
        assert_eq!(p("0,05 ₽"), Some(5));
        for bad in ["", "abc", "1,234", "-5", "1.2.3", "9999999999"] {
            assert_eq!(p(bad), None, "{bad}");
        }
    }
}
