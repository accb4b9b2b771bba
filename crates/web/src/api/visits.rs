//! Visits over the API: an office's free times, booking (or moving) a
//! visit for one's application, and the schedule an office receives by.

use super::json::ApiQuery;
use crate::api::applications::parse_id;
use crate::error::{AppError, HttpError};
use crate::session::{Actor, Staff};
use crate::state::AppState;
use app::visits;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityParams {
    service: Option<String>,
    from: String,
    to: String,
}

fn date(field: &'static str, s: &str) -> Result<time::Date, AppError> {
    time::Date::parse(s, &time::format_description::well_known::Iso8601::DATE)
        .map_err(|_| AppError::field(field, "date.format"))
}

/// `{"slots": [...]}`, serialised straight from the slots: a month is
/// hundreds of them, and a `Value` tree of them first cost more than
/// computing them.
#[derive(serde::Serialize)]
pub struct Slots {
    slots: Vec<visits::FreeSlot>,
}

pub async fn availability(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    ApiQuery(p): ApiQuery<AvailabilityParams>,
) -> Result<Json<Slots>, HttpError> {
    let office = parse_id(&raw)?;
    if let Some(s) = &p.service
        && state.catalogue.get(s).is_none()
    {
        return Err(AppError::field("service", "service.unknown").into());
    }
    let slots = visits::availability(
        &state,
        office,
        p.service.as_deref(),
        date("from", &p.from)?,
        date("to", &p.to)?,
    )
    .await?;
    Ok(Json(Slots { slots }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookBody {
    start_ms: i64,
}

/// Books or moves; an `Idempotency-Key` makes a retry answer as the first.
pub async fn book(
    State(state): State<AppState>,
    actor: Actor,
    Path(raw): Path<String>,
    headers: axum::http::HeaderMap,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, HttpError> {
    let id = parse_id(&raw)?;
    let b: BookBody = crate::api::applications::body(&headers, &bytes)?;
    let idem = crate::api::applications::idempotency(
        &headers,
        "PUT",
        &format!("/applications/{id}/appointment"),
        &bytes,
    )?;
    Ok(Json(json!(
        visits::book(&state, &actor, id, b.start_ms, idem).await?
    )))
}

pub async fn save_schedule(
    State(state): State<AppState>,
    s: Staff,
    Path(raw): Path<String>,
    crate::api::json::ApiJson(b): crate::api::json::ApiJson<visits::ScheduleInput>,
) -> Result<Json<Value>, HttpError> {
    let office = parse_id(&raw)?;
    let displaced = visits::save_schedule(&state, &s, office, &b).await?;
    Ok(Json(json!({ "displaced": displaced })))
}

pub async fn cancel(
    State(state): State<AppState>,
    actor: Actor,
    Path(raw): Path<String>,
) -> Result<Json<Value>, HttpError> {
    let id = parse_id(&raw)?;
    Ok(Json(json!(visits::cancel(&state, &actor, id).await?)))
}

/// An officer sets (or moves) the visit of an application of their office.
pub async fn set_time(
    State(state): State<AppState>,
    s: Staff,
    Path(raw): Path<String>,
    crate::api::json::ApiJson(b): crate::api::json::ApiJson<BookBody>,
) -> Result<Json<Value>, HttpError> {
    let id = parse_id(&raw)?;
    Ok(Json(json!(
        visits::set_time(&state, &s, id, b.start_ms).await?
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayParams {
    date: Option<String>,
    window: Option<u16>,
}

/// The officer's day: the visits of a date at their office.
pub async fn day(
    State(state): State<AppState>,
    s: Staff,
    ApiQuery(p): ApiQuery<DayParams>,
) -> Result<Json<Value>, HttpError> {
    let date = p.date.as_deref().map(|d| date("date", d)).transpose()?;
    Ok(Json(json!(visits::day(&state, &s, date, p.window).await?)))
}

pub async fn arrive(
    State(state): State<AppState>,
    s: Staff,
    Path(raw): Path<String>,
) -> Result<StatusCode, HttpError> {
    let id = parse_id(&raw)?;
    visits::arrive(&state, &s, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeBody {
    version: i64,
    outcome: String,
    reason: Option<String>,
    note: Option<String>,
}

/// Parses how a visit ended, as the API and the pages name it.
pub fn outcome(name: &str, reason: Option<&str>) -> Result<visits::Outcome, AppError> {
    Ok(match name {
        "missed" => visits::Outcome::Missed,
        "served" => visits::Outcome::Done,
        "rejected" => visits::Outcome::Rejected(
            reason
                .and_then(domain::lifecycle::RefusalReason::parse)
                .ok_or_else(|| AppError::field("reason", "lifecycle.unknown_reason"))?,
        ),
        _ => return Err(AppError::field("outcome", "visit.unknown_outcome")),
    })
}

pub async fn close(
    State(state): State<AppState>,
    s: Staff,
    Path(raw): Path<String>,
    crate::api::json::ApiJson(b): crate::api::json::ApiJson<OutcomeBody>,
) -> Result<Json<Value>, HttpError> {
    let id = parse_id(&raw)?;
    let how = outcome(&b.outcome, b.reason.as_deref())?;
    Ok(Json(json!(
        visits::close(&state, &s, id, b.version, how, b.note.as_deref()).await?
    )))
}
