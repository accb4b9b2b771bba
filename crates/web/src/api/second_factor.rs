//! An applicant's optional TOTP second factor.

use super::ApiJson;
use crate::error::HttpError;
use crate::session::Actor;
use crate::state::AppState;
use app::second_factor;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

pub async fn start(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<(StatusCode, Json<Value>), HttpError> {
    let e = second_factor::enrol_start(&state, &actor.account).await?;
    Ok((StatusCode::CREATED, Json(json!(e))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    code: String,
}

/// Finishes the enrolment with a first code; answers the recovery codes once.
pub async fn finish(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(b): ApiJson<CodeBody>,
) -> Result<Json<Value>, HttpError> {
    let codes = second_factor::finish_enrolment(&state, &actor, &b.code).await?;
    Ok(Json(json!({ "enabled": true, "recovery_codes": codes })))
}

/// Turns on one-time codes by SMS / e-mail as the second factor.
pub async fn enable_code(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<(StatusCode, Json<Value>), HttpError> {
    let codes = second_factor::enable_code(&state, &actor.account).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "enabled": true, "method": "code", "recovery_codes": codes })),
    ))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct DisableBody {
    /// A current TOTP code or a recovery code…
    code: String,
    /// …or the account's password.
    password: String,
}

/// Turning the factor off needs the password, a current code or a recovery code.
pub async fn disable(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(b): ApiJson<DisableBody>,
) -> Result<StatusCode, HttpError> {
    if b.password.is_empty() {
        second_factor::disable_with_code(&state, &actor, &b.code).await?;
    } else {
        second_factor::disable_with_password(&state, &actor, &b.password).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}
