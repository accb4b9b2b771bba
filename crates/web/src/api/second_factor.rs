//! An applicant's optional TOTP second factor.

use super::ApiJson;
use crate::error::AppError;
use crate::service::second_factor::{self, Checked};
use crate::session::Actor;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

pub async fn start(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<(StatusCode, Json<Value>), AppError> {
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
) -> Result<Json<Value>, AppError> {
    if second_factor::enabled(&state, actor.account.id).await? {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "second_factor.already_enabled",
        ));
    }
    match second_factor::check(&state, actor.account.id, &b.code, None).await? {
        Checked::Ok { recovery_codes } => Ok(Json(
            json!({ "enabled": true, "recovery_codes": recovery_codes }),
        )),
        Checked::Wrong => Err(AppError::field("code", "otp.wrong").arg("attempts", "—")),
    }
}

/// Turns on one-time codes by SMS / e-mail as the second factor.
pub async fn enable_code(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<(StatusCode, Json<Value>), AppError> {
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
) -> Result<StatusCode, AppError> {
    if actor.account.role.is_staff() {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            "second_factor.mandatory",
        ));
    }
    let by_password = !b.password.is_empty() && {
        let lookup = match (&actor.account.email, &actor.account.phone) {
            (Some(e), _) => Some(store::LoginLookup::Email(e.clone())),
            (None, Some(p)) => Some(store::LoginLookup::Phone(p.clone())),
            _ => None,
        };
        let stored = match lookup {
            Some(l) => state.store.find_auth(&l).await?.map(|a| a.password_hash),
            None => None,
        };
        crate::security::password::verify(b.password.clone(), stored, state.config.password_cost)
            .await
    };
    let checked = if by_password {
        Checked::Ok {
            recovery_codes: None,
        }
    } else {
        second_factor::check(&state, actor.account.id, &b.code, None).await?
    };
    match checked {
        Checked::Ok { .. } => {
            let now = state.now();
            let id = actor.account.id;
            let notice = crate::service::notice::job(
                id,
                "msg-second-factor-subject",
                "msg-second-factor-off",
                Vec::new(),
                format!("2fa-off:{id}:{now}"),
                now,
            );
            state.store.disable_totp(id, Some(id), notice, now).await?;
            Ok(StatusCode::NO_CONTENT)
        }
        Checked::Wrong => Err(AppError::field("code", "otp.wrong").arg("attempts", "—")),
    }
}
