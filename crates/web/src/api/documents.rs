//! The person's documents over the API, and an office's view of an
//! application's documents (each staff download in the person's log).

use crate::api::applications::{file_response, parse_id};
use crate::error::HttpError;
use crate::session::{Actor, Staff};
use crate::state::AppState;
use app::documents;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::{Value, json};

pub async fn mine(State(state): State<AppState>, actor: Actor) -> Result<Json<Value>, HttpError> {
    Ok(Json(
        json!({ "items": documents::mine(&state, &actor).await? }),
    ))
}

pub async fn download(
    State(state): State<AppState>,
    actor: Actor,
    Path(raw): Path<String>,
) -> Result<Response, HttpError> {
    let (name, pdf) = documents::download(&state, &actor, parse_id(&raw)?).await?;
    Ok(file_response("application/pdf", &name, pdf))
}

pub async fn of_case(
    State(state): State<AppState>,
    s: Staff,
    Path(raw): Path<String>,
) -> Result<Json<Value>, HttpError> {
    Ok(Json(
        json!({ "items": documents::of_case(&state, &s, parse_id(&raw)?).await? }),
    ))
}

pub async fn office_download(
    State(state): State<AppState>,
    s: Staff,
    Path(raw): Path<String>,
) -> Result<Response, HttpError> {
    let (name, pdf) = documents::office_download(&state, &s, parse_id(&raw)?).await?;
    Ok(file_response("application/pdf", &name, pdf))
}
