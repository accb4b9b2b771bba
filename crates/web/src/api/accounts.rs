use super::ApiJson;
use crate::error::{AppError, HttpError};
use crate::session::{Actor, user_agent};
use crate::state::AppState;
use app::accounts::{self, RegisterInput, Registered};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use store::SessionKind;
use uuid::Uuid;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterBody {
    surname: String,
    given_name: String,
    #[serde(default)]
    patronymic: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    email: Option<String>,
    password: String,
}

pub async fn register(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RegisterBody>,
) -> Result<(StatusCode, Json<Registered>), HttpError> {
    let lang = crate::pages::request_lang(&headers);
    let input = RegisterInput {
        surname: body.surname,
        given_name: body.given_name,
        patronymic: body.patronymic,
        phone: body.phone,
        email: body.email,
        password: body.password,
        password_repeat: None,
    };
    let done = accounts::register(&state, input, lang).await?;
    Ok((StatusCode::CREATED, Json(done)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    code: String,
}

pub async fn confirm(
    State(state): State<AppState>,
    Path(challenge_id): Path<String>,
    ApiJson(body): ApiJson<CodeBody>,
) -> Result<Json<Value>, HttpError> {
    let id = parse_id(&challenge_id)?;
    accounts::confirm(&state, id, &body.code).await?;
    Ok(Json(json!({ "status": "active" })))
}

pub async fn resend(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(challenge_id): Path<String>,
) -> Result<(StatusCode, Json<Value>), HttpError> {
    let id = parse_id(&challenge_id)?;
    accounts::resend(&state, id, crate::pages::request_lang(&headers)).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "status": "sent" }))))
}

/// Ids in paths are checked like any other input: garbage is a 404, not a 500.
fn parse_id(raw: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw).map_err(|_| AppError::not_found())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    login: String,
    password: String,
}

pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<(StatusCode, Json<Value>), HttpError> {
    login_at(&state, accounts::Entrance::Public, &headers, body).await
}

pub async fn staff_login(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<(StatusCode, Json<Value>), HttpError> {
    login_at(&state, accounts::Entrance::Staff, &headers, body).await
}

async fn login_at(
    state: &AppState,
    entrance: accounts::Entrance,
    headers: &HeaderMap,
    body: LoginBody,
) -> Result<(StatusCode, Json<Value>), HttpError> {
    let outcome = accounts::login(
        state,
        entrance,
        &body.login,
        &body.password,
        SessionKind::Bearer,
        user_agent(headers),
    )
    .await?;
    Ok(match outcome {
        accounts::LoginOutcome::Session(done) => {
            (StatusCode::CREATED, Json(session_json(&done, None)))
        }
        accounts::LoginOutcome::SecondFactor {
            challenge_id,
            method,
            destination,
            enrolment,
        } => (
            StatusCode::ACCEPTED,
            Json(json!({
                "second_factor": method.as_str(),
                "challenge_id": challenge_id,
                "destination": destination,
                "enrolment": enrolment,
            })),
        ),
    })
}

fn session_json(done: &accounts::LoggedIn, recovery_codes: Option<Vec<String>>) -> Value {
    let mut v = json!({
        "token": done.token,
        "token_type": "Bearer",
        "expires_at": done.expires_at,
        "account_id": done.account_id,
    });
    if let Some(codes) = recovery_codes {
        v["recovery_codes"] = json!(codes);
    }
    v
}

pub async fn second_factor(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(challenge_id): Path<String>,
    ApiJson(body): ApiJson<CodeBody>,
) -> Result<(StatusCode, Json<Value>), HttpError> {
    let id = parse_id(&challenge_id)?;
    let (done, codes) = accounts::second_factor(
        &state,
        id,
        &body.code,
        SessionKind::Bearer,
        user_agent(&headers),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(session_json(&done, codes))))
}

pub async fn logout(State(state): State<AppState>, actor: Actor) -> Result<StatusCode, HttpError> {
    accounts::logout(&state, &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}
