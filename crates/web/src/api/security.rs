use super::ApiJson;
use crate::error::{AppError, HttpError};
use crate::session::Actor;
use crate::state::AppState;
use app::security;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

pub async fn sessions(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<Json<Value>, HttpError> {
    let list = security::sessions(&state, &actor).await?;
    Ok(Json(json!({ "sessions": list })))
}

pub async fn end_all(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<Json<Value>, HttpError> {
    let n = security::end_all(&state, &actor).await?;
    Ok(Json(json!({ "ended": n })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    current_password: String,
    new_password: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(b): ApiJson<PasswordBody>,
) -> Result<StatusCode, HttpError> {
    security::change_password(&state, &actor, &b.current_password, &b.new_password, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetBody {
    login: String,
}

pub async fn start_reset(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<ResetBody>,
) -> Result<(StatusCode, Json<security::ResetStarted>), HttpError> {
    let done =
        security::start_reset(&state, &b.login, crate::pages::request_lang(&headers)).await?;
    Ok((StatusCode::ACCEPTED, Json(done)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetCompleteBody {
    code: String,
    new_password: String,
}

pub async fn complete_reset(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ResetCompleteBody>,
) -> Result<StatusCode, HttpError> {
    let id = uuid::Uuid::parse_str(&id).map_err(|_| AppError::not_found())?;
    security::complete_reset(&state, id, &b.code, &b.new_password, None).await?;
    Ok(StatusCode::NO_CONTENT)
}
