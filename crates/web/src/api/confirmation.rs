use super::ApiJson;
use crate::error::{AppError, HttpError};
use crate::session::Actor;
use crate::state::AppState;
use app::confirmation::{self, SignatureInput};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::letter::PostalAddress;
use serde::Deserialize;
use serde_json::{Value, json};

pub async fn signature_challenge(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<(StatusCode, Json<Value>), HttpError> {
    let c = confirmation::signature_challenge(&state, &actor).await?;
    Ok((StatusCode::CREATED, Json(json!(c))))
}

pub async fn signature(
    State(state): State<AppState>,
    actor: Actor,
    Path(raw): Path<String>,
    ApiJson(b): ApiJson<SignatureInput>,
) -> Result<Json<Value>, HttpError> {
    let id = uuid::Uuid::parse_str(&raw).map_err(|_| AppError::not_found())?;
    confirmation::confirm_by_signature(&state, &actor, id, &b).await?;
    Ok(Json(json!({ "level": "confirmed" })))
}

pub async fn letter_status(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<Json<Value>, HttpError> {
    Ok(Json(
        json!({ "letter": confirmation::letter_status(&state, &actor).await? }),
    ))
}

pub async fn request_letter(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(b): ApiJson<PostalAddress>,
) -> Result<(StatusCode, Json<Value>), HttpError> {
    let v = confirmation::request_letter(&state, &actor, &b).await?;
    Ok((StatusCode::CREATED, Json(json!(v))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    code: String,
}

pub async fn letter_code(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(b): ApiJson<CodeBody>,
) -> Result<Json<Value>, HttpError> {
    confirmation::enter_letter_code(&state, &actor, &b.code).await?;
    Ok(Json(json!({ "level": "confirmed" })))
}
