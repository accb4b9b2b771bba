use super::ApiJson;
use crate::error::HttpError;
use crate::session::Actor;
use crate::state::AppState;
use app::identity::{self, IdentityView};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use domain::identity::IdentityForm;
use serde_json::{Value, json};

pub async fn me(actor: Actor) -> Json<Value> {
    let a = &actor.account;
    Json(json!({
        "id": a.id,
        "surname": a.surname,
        "given_name": a.given_name,
        "patronymic": a.patronymic,
        "phone": a.phone,
        "email": a.email,
        "level": a.level,
        "role": a.role,
        "status": a.status,
    }))
}

pub async fn identity(
    State(state): State<AppState>,
    headers: HeaderMap,
    actor: Actor,
) -> Result<Json<Value>, HttpError> {
    let view = identity::view(&state, &actor).await?;
    Ok(Json(identity_json(
        &view,
        crate::pages::request_lang(&headers),
    )))
}

fn identity_json(v: &IdentityView, lang: app::i18n::Lang) -> Value {
    let mut out = json!({
        "state": v.state,
        "version": v.version,
        "masked": v.masked,
        "document_kind": v.document_kind,
        "submitted_at": v.submitted_at,
        "checked_at": v.checked_at,
    });
    if let Some(r) = v.failure_reason {
        out["failure"] = json!({
            "code": r.public_code(),
            "message": lang.t(&format!("reason-{}", r.public_code())),
        });
    }
    out
}

pub async fn submit_identity(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(form): ApiJson<IdentityForm>,
) -> Result<(StatusCode, Json<Value>), HttpError> {
    let version = identity::submit(&state, &actor, form).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "state": "pending", "version": version })),
    ))
}
