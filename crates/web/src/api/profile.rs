use super::ApiJson;
use crate::error::{AppError, HttpError};
use crate::session::Actor;
use crate::session::Staff;
use crate::state::AppState;
use app::profile::{self, AddressInput, PrefInput};
use app::staff::{self, CentreRegistration};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

pub async fn get(State(state): State<AppState>, actor: Actor) -> Result<Json<Value>, HttpError> {
    Ok(Json(json!(profile::profile(&state, &actor).await?)))
}

pub async fn put_address(
    State(state): State<AppState>,
    actor: Actor,
    Path(kind): Path<String>,
    ApiJson(b): ApiJson<AddressInput>,
) -> Result<StatusCode, HttpError> {
    profile::save_address(&state, &actor, &kind, &b).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrefsBody {
    notifications: Vec<PrefInput>,
}

pub async fn put_notifications(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(b): ApiJson<PrefsBody>,
) -> Result<StatusCode, HttpError> {
    profile::save_notifications(&state, &actor, &b.notifications).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    contact: String,
    /// The current password: a session alone may not change a login contact.
    #[serde(default)]
    password: String,
    /// The authenticator or recovery code, when a TOTP factor is on.
    #[serde(default)]
    second_factor: Option<String>,
}

pub async fn add_contact(
    State(state): State<AppState>,
    headers: HeaderMap,
    actor: Actor,
    ApiJson(b): ApiJson<ContactBody>,
) -> Result<(StatusCode, Json<Value>), HttpError> {
    let change = profile::ContactChange {
        value: b.contact,
        password: b.password,
        second_factor: b.second_factor,
    };
    let id = profile::start_add_contact(
        &state,
        &actor,
        &change,
        crate::pages::request_lang(&headers),
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "challenge_id": id }))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    code: String,
}

pub async fn confirm_contact(
    State(state): State<AppState>,
    actor: Actor,
    Path(raw): Path<String>,
    ApiJson(b): ApiJson<CodeBody>,
) -> Result<StatusCode, HttpError> {
    let id = uuid::Uuid::parse_str(&raw).map_err(|_| AppError::not_found())?;
    profile::confirm_add_contact(&state, &actor, id, &b.code).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn office_person(
    State(state): State<AppState>,
    s: Staff,
    Path(raw): Path<String>,
) -> Result<Json<Value>, HttpError> {
    let id = uuid::Uuid::parse_str(&raw).map_err(|_| AppError::not_found())?;
    Ok(Json(json!(staff::office_person(&state, &s, id).await?)))
}

pub async fn register_person(
    State(state): State<AppState>,
    s: Staff,
    ApiJson(b): ApiJson<CentreRegistration>,
) -> Result<(StatusCode, Json<Value>), HttpError> {
    Ok((
        StatusCode::CREATED,
        Json(json!(staff::register_person(&state, &s, &b).await?)),
    ))
}
