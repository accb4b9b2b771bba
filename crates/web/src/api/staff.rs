//! Back-office API: administration, audit, service-centre confirmation.

use super::ApiJson;
use crate::error::{AppError, ErrorKind, HttpError};
use crate::session::Actor;
use crate::session::Staff;
use crate::state::AppState;
use app::staff::{self, ConfirmInput, NewStaffInput, OfficeInput, StaffChange};
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

fn id(raw: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw).map_err(|_| AppError::not_found())
}

pub async fn offices(State(state): State<AppState>, s: Staff) -> Result<Json<Value>, HttpError> {
    Ok(Json(
        json!({ "offices": office_json(&staff::offices(&state, &s).await?) }),
    ))
}

fn office_json(list: &[store::Office]) -> Value {
    json!(list
        .iter()
        .map(|o| json!({"id": o.id, "code": o.code, "name": o.name, "address": o.address, "time_zone": o.time_zone, "territory": o.territory}))
        .collect::<Vec<_>>())
}

pub async fn create_office(
    State(state): State<AppState>,
    s: Staff,
    ApiJson(b): ApiJson<OfficeInput>,
) -> Result<(StatusCode, Json<Value>), HttpError> {
    let o = staff::save_office(&state, &s, None, &b).await?;
    Ok((StatusCode::CREATED, Json(office_json(&[o])[0].clone())))
}

pub async fn update_office(
    State(state): State<AppState>,
    s: Staff,
    Path(raw): Path<String>,
    ApiJson(b): ApiJson<OfficeInput>,
) -> Result<Json<Value>, HttpError> {
    let o = staff::save_office(&state, &s, Some(id(&raw)?), &b).await?;
    Ok(Json(office_json(&[o])[0].clone()))
}

pub async fn list_staff(State(state): State<AppState>, s: Staff) -> Result<Json<Value>, HttpError> {
    Ok(Json(
        json!({ "staff": staff::list_staff(&state, &s).await? }),
    ))
}

pub async fn create_staff(
    State(state): State<AppState>,
    s: Staff,
    ApiJson(b): ApiJson<NewStaffInput>,
) -> Result<(StatusCode, Json<Value>), HttpError> {
    let done = staff::create_staff(&state, &s, &b).await?;
    Ok((StatusCode::CREATED, Json(json!(done))))
}

pub async fn update_staff(
    State(state): State<AppState>,
    s: Staff,
    Path(raw): Path<String>,
    ApiJson(b): ApiJson<StaffChange>,
) -> Result<StatusCode, HttpError> {
    staff::update_staff(&state, &s, id(&raw)?, &b).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn audit(
    State(state): State<AppState>,
    s: Staff,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, HttpError> {
    let query: staff::AuditQuery = serde_urlencoded::from_str(q.as_deref().unwrap_or(""))
        .map_err(|e| AppError::new(ErrorKind::Malformed, "query.invalid").arg("detail", e))?;
    let events = staff::audit(&state, &s, &query).await?;
    let next = events.last().map(|e| e.id);
    let items: Vec<Value> = events
        .iter()
        .map(|e| {
            json!({"lane": e.lane, "seq": e.seq, "id": e.id, "at": e.at, "actor_id": e.actor_id, "actor_role": e.actor_role,
                   "office_id": e.office_id, "action": e.action, "subject_id": e.subject_id, "details": e.details, "hash": e.hash})
        })
        .collect();
    Ok(Json(json!({ "events": items, "next_before": next })))
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct FindQuery {
    snils: Option<String>,
    phone: Option<String>,
}

/// A POST, not a GET: every look-up writes the person's access log, so it
/// must never be triggered by a link or a cross-site request.
pub async fn find_person(
    State(state): State<AppState>,
    s: Staff,
    ApiJson(q): ApiJson<FindQuery>,
) -> Result<Json<Value>, HttpError> {
    let card = staff::find_person(&state, &s, q.snils.as_deref(), q.phone.as_deref()).await?;
    Ok(Json(json!(card)))
}

pub async fn confirm_person(
    State(state): State<AppState>,
    s: Staff,
    Path(raw): Path<String>,
    ApiJson(b): ApiJson<ConfirmInput>,
) -> Result<Json<Value>, HttpError> {
    staff::confirm_person(&state, &s, id(&raw)?, &b).await?;
    Ok(Json(json!({ "level": "confirmed" })))
}

pub async fn my_access_log(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<Json<Value>, HttpError> {
    Ok(Json(
        json!({ "accesses": staff::my_access_log(&state, &actor).await? }),
    ))
}
