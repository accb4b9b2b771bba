//! One inbox over the API: what needs the person and every notice they got,
//! in the request's language, with read marks.

use super::json::ApiQuery;
use crate::error::{AppError, HttpError};
use crate::session::Actor;
use crate::state::AppState;
use app::inbox::{self, Filter};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboxParams {
    unread: Option<bool>,
    kind: Option<String>,
    before: Option<String>,
    limit: Option<u32>,
}

pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    ApiQuery(p): ApiQuery<InboxParams>,
) -> Result<Json<Value>, HttpError> {
    let before = match p.before.as_deref() {
        None | Some("") => None,
        Some(c) => {
            Some(Uuid::parse_str(c).map_err(|_| AppError::field("before", "inbox.bad_cursor"))?)
        }
    };
    let view = inbox::inbox(
        &state,
        &actor,
        crate::pages::request_lang(&headers),
        Filter {
            unread_only: p.unread.unwrap_or(false),
            kind: p.kind.filter(|k| !k.is_empty()),
            before,
            limit: p.limit,
        },
    )
    .await?;
    Ok(Json(json!(view)))
}

/// Marks one notice read.
pub async fn read_one(
    State(state): State<AppState>,
    actor: Actor,
    Path(raw): Path<String>,
) -> Result<StatusCode, HttpError> {
    let id = Uuid::parse_str(&raw).map_err(|_| AppError::not_found())?;
    // Unknown, someone else's or already read: nothing changes, the same answer.
    inbox::mark_read(&state, &actor, Some(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Marks every notice read.
pub async fn read_all(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<StatusCode, HttpError> {
    inbox::mark_read(&state, &actor, None).await?;
    Ok(StatusCode::NO_CONTENT)
}
