//! The thread of an application over the API, for the applicant
//! (`/applications/{id}/messages`) and the office
//! (`/office/applications/{id}/messages`). A message is JSON `{"text": …}`
//! or a multipart form with a `text` part and up to three `file` parts.

use crate::api::applications::{body, file_response, parse_id, read_multipart};
use crate::error::{AppError, ErrorKind, HttpError};
use crate::session::{Actor, Staff};
use crate::state::AppState;
use app::messages::{self, Reader, Upload};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageBody {
    text: String,
}

/// The text and files of a posted message, JSON or multipart.
async fn read(state: &AppState, req: Request) -> Result<(String, Vec<Upload>), AppError> {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if multipart {
        let mp = axum::extract::Multipart::from_request(req, state)
            .await
            .map_err(|_| AppError::new(ErrorKind::Malformed, "multipart.invalid"))?;
        let parts = read_multipart(mp).await?;
        if let Some((unknown, _)) = parts.texts.iter().find(|(n, _)| n != "text") {
            let mut e = AppError::new(ErrorKind::Invalid, "validation_failed");
            e.problems = vec![domain::form::Problem::at(
                "field.unknown",
                format!("/{unknown}"),
            )];
            return Err(e);
        }
        let text = parts.text("text").unwrap_or_default().to_owned();
        let files = parts
            .files
            .into_iter()
            .map(|(_, name, bytes)| Upload { name, bytes })
            .collect();
        return Ok((text, files));
    }
    let headers = req.headers().clone();
    let bytes = Bytes::from_request(req, state).await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::new(ErrorKind::Malformed, "body.too_large")
        } else {
            AppError::new(ErrorKind::Malformed, "json.syntax")
        }
    })?;
    let b: MessageBody = body(&headers, &bytes)?;
    Ok((b.text, Vec::new()))
}

pub async fn mine(
    State(state): State<AppState>,
    actor: Actor,
    Path(raw): Path<String>,
) -> Result<Json<Value>, HttpError> {
    let items = messages::applicant_thread(&state, &actor, parse_id(&raw)?).await?;
    Ok(Json(json!({ "items": items })))
}

pub async fn write_mine(
    State(state): State<AppState>,
    actor: Actor,
    Path(raw): Path<String>,
    req: Request,
) -> Result<Response, HttpError> {
    let id = parse_id(&raw)?;
    let (text, files) = read(&state, req).await?;
    let m = messages::applicant_write(&state, &actor, id, &text, files).await?;
    Ok((StatusCode::CREATED, Json(json!(m))).into_response())
}

pub async fn my_file(
    State(state): State<AppState>,
    actor: Actor,
    Path((raw, file)): Path<(String, String)>,
) -> Result<Response, HttpError> {
    let (meta, bytes) =
        messages::file(&state, Reader::Applicant(&actor), parse_id(&raw)?, &file).await?;
    Ok(file_response(&meta.media_type, &meta.file_name, bytes))
}

pub async fn office(
    State(state): State<AppState>,
    s: Staff,
    Path(raw): Path<String>,
) -> Result<Json<Value>, HttpError> {
    let items = messages::office_thread(&state, &s, parse_id(&raw)?).await?;
    Ok(Json(json!({ "items": items })))
}

pub async fn write_office(
    State(state): State<AppState>,
    s: Staff,
    Path(raw): Path<String>,
    req: Request,
) -> Result<Response, HttpError> {
    let id = parse_id(&raw)?;
    let (text, files) = read(&state, req).await?;
    let m = messages::office_write(&state, &s, id, &text, files).await?;
    Ok((StatusCode::CREATED, Json(json!(m))).into_response())
}

pub async fn office_file(
    State(state): State<AppState>,
    s: Staff,
    Path((raw, file)): Path<(String, String)>,
) -> Result<Response, HttpError> {
    let (meta, bytes) = messages::file(&state, Reader::Office(&s), parse_id(&raw)?, &file).await?;
    Ok(file_response(&meta.media_type, &meta.file_name, bytes))
}
