//! The office's side of applications over the API: queues, the case, one
//! route per lifecycle step, reassignment. Every decision names the version
//! it was made on (`version` in the body or `If-Match`).

use super::json::ApiQuery;
use crate::error::{AppError, ErrorKind, HttpError};
use crate::session::Staff;
use crate::state::AppState;
use app::cases::{self, OfficeStep, QueueFilter};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use domain::lifecycle::{Comment, Queue, RefusalReason};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

fn parse_id(raw: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw).map_err(|_| AppError::not_found())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueParams {
    queue: Option<String>,
    q: Option<String>,
    service: Option<String>,
    after: Option<String>,
    limit: Option<u32>,
}

/// A queue of the officer's office (an administrator: the unrouted ones).
pub async fn queue(
    State(state): State<AppState>,
    s: Staff,
    ApiQuery(p): ApiQuery<QueueParams>,
) -> Result<Json<cases::QueuePage>, HttpError> {
    let queue = match p.queue.as_deref() {
        None | Some("") | Some("all") => None,
        Some(q) => {
            Some(Queue::parse(q).ok_or_else(|| AppError::field("queue", "office.unknown_queue"))?)
        }
    };
    let page = cases::queue(
        &state,
        &s,
        QueueFilter {
            queue,
            search: p.q,
            service: p.service,
            after: p.after,
            limit: p.limit,
        },
    )
    .await?;
    // Straight from the page: no `Value` tree made first.
    Ok(Json(page))
}

pub async fn case(
    State(state): State<AppState>,
    s: Staff,
    Path(raw): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<Json<Value>, HttpError> {
    let id = parse_id(&raw)?;
    let mut case = cases::case(&state, &s, id).await?;
    let lang = crate::pages::request_lang(&headers);
    for e in &mut case.history {
        if let Some(note) = &mut e.note {
            app::i18n::write_out_note(note, lang);
        }
    }
    Ok(Json(json!(case)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    field: String,
    wrong: String,
    fix: String,
}

/// What a step carries; each step reads only its own part.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct StepBody {
    version: Option<i64>,
    #[serde(default)]
    comments: Vec<CommentBody>,
    reason: Option<String>,
    visit: Option<String>,
}

/// The version a decision was made on: the body's, else `If-Match`.
fn version(headers: &HeaderMap, body: Option<i64>) -> Result<i64, AppError> {
    if let Some(v) = body {
        return Ok(v);
    }
    headers
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or_else(|| AppError::field("version", "application.version_required"))
}

fn office_step(name: &str, b: StepBody) -> Result<OfficeStep, AppError> {
    Ok(match name {
        "accept" => OfficeStep::Accept,
        "return" => OfficeStep::Return(
            b.comments
                .into_iter()
                .map(|c| Comment {
                    field: c.field,
                    wrong: c.wrong,
                    fix: c.fix,
                })
                .collect(),
        ),
        "invite" => OfficeStep::Invite(b.visit.unwrap_or_default()),
        "visit-done" => OfficeStep::VisitDone,
        "visit-missed" => OfficeStep::VisitMissed,
        "start-production" => OfficeStep::StartProduction,
        "mark-ready" => OfficeStep::MarkReady,
        "complete" => OfficeStep::Complete,
        "reject" => OfficeStep::Reject(
            b.reason
                .as_deref()
                .and_then(RefusalReason::parse)
                .ok_or_else(|| AppError::field("reason", "lifecycle.unknown_reason"))?,
        ),
        _ => return Err(AppError::new(ErrorKind::NotFound, "lifecycle.unknown_step")),
    })
}

/// `POST /office/applications/{id}/{step}`: one route per transition.
pub async fn step(
    State(state): State<AppState>,
    s: Staff,
    Path((raw, name)): Path<(String, String)>,
    headers: HeaderMap,
    crate::api::json::ApiJson(b): crate::api::json::ApiJson<StepBody>,
) -> Result<Json<Value>, HttpError> {
    let id = parse_id(&raw)?;
    let v = version(&headers, b.version)?;
    let step = office_step(&name, b)?;
    Ok(Json(json!(cases::act(&state, &s, id, v, step).await?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReassignBody {
    version: Option<i64>,
    office_id: Uuid,
}

pub async fn reassign(
    State(state): State<AppState>,
    s: Staff,
    Path(raw): Path<String>,
    headers: HeaderMap,
    crate::api::json::ApiJson(b): crate::api::json::ApiJson<ReassignBody>,
) -> Result<Json<Value>, HttpError> {
    let id = parse_id(&raw)?;
    let v = version(&headers, b.version)?;
    Ok(Json(json!(
        cases::reassign(&state, &s, id, v, b.office_id).await?
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchItem {
    id: Uuid,
    version: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchBody {
    items: Vec<BatchItem>,
}

/// Marks a production batch ready for issue; each application is reported.
pub async fn ready(
    State(state): State<AppState>,
    s: Staff,
    crate::api::json::ApiJson(b): crate::api::json::ApiJson<BatchBody>,
) -> Result<Json<Value>, HttpError> {
    let items: Vec<(Uuid, i64)> = b.items.iter().map(|i| (i.id, i.version)).collect();
    let results = cases::mark_ready(&state, &s, &items).await?;
    Ok(Json(json!({ "results": results })))
}
