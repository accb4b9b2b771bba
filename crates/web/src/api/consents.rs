//! Owner consent over the API: the requests addressed to the signed-in
//! person, claiming one by the code an applicant passed on, the answer; and
//! the applicant's view of their own application's consent.

use crate::api::applications::parse_id;
use crate::error::{AppError, HttpError};
use crate::session::Actor;
use crate::state::AppState;
use app::consents;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

pub async fn mine(State(state): State<AppState>, actor: Actor) -> Result<Json<Value>, HttpError> {
    let items = consents::addressed_to_me(&state, &actor).await?;
    Ok(Json(json!({ "items": items })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimBody {
    code: String,
}

pub async fn claim(
    State(state): State<AppState>,
    actor: Actor,
    crate::api::json::ApiJson(b): crate::api::json::ApiJson<ClaimBody>,
) -> Result<(StatusCode, Json<Value>), HttpError> {
    let id = consents::claim(&state, &actor, &b.code).await?;
    let item = consents::addressed_to_me(&state, &actor)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(AppError::not_found)?;
    Ok((StatusCode::OK, Json(json!(item))))
}

async fn answer(
    state: AppState,
    actor: Actor,
    raw: &str,
    approve: bool,
) -> Result<Json<Value>, HttpError> {
    let id = parse_id(raw)?;
    Ok(Json(json!(
        consents::answer(&state, &actor, id, approve).await?
    )))
}

pub async fn approve(
    State(state): State<AppState>,
    actor: Actor,
    Path(raw): Path<String>,
) -> Result<Json<Value>, HttpError> {
    answer(state, actor, &raw, true).await
}

pub async fn refuse(
    State(state): State<AppState>,
    actor: Actor,
    Path(raw): Path<String>,
) -> Result<Json<Value>, HttpError> {
    answer(state, actor, &raw, false).await
}

/// The consent one's own application waits for (with the code to pass on).
pub async fn of_application(
    State(state): State<AppState>,
    actor: Actor,
    Path(raw): Path<String>,
) -> Result<Json<Value>, HttpError> {
    let id = parse_id(&raw)?;
    let c = consents::of_my_application(&state, &actor, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok(Json(json!(c)))
}
