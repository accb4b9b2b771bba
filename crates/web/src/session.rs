//! Who is asking: a browser session (cookie `mp_session`) or an API client
//! (`Authorization: Bearer`). Both are rows in the `sessions` table, stored by
//! the hash of their token, so every instance sees the same sessions.

use crate::error::AppError;
use crate::security::tokens::{new_token, token_hash};
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use store::{Account, NewSession, SessionKind};

pub const COOKIE: &str = "mp_session";

/// An authenticated person.
#[derive(Debug, Clone)]
pub struct Actor {
    pub account: Account,
    pub token_hash: String,
    pub csrf: String,
}

/// The value of cookie `name`, if sent.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// Resolves the session of a request, extending its idle lifetime.
pub async fn resolve(state: &AppState, headers: &HeaderMap) -> Result<Option<Actor>, AppError> {
    let token = match bearer(headers).or_else(|| cookie(headers, COOKIE)) {
        Some(t) if !t.is_empty() && t.len() <= 128 => t,
        _ => return Ok(None),
    };
    let hash = token_hash(token);
    let now = state.now();
    let Some(session) = state.store.find_session(&hash, now).await? else {
        return Ok(None);
    };
    // However active, a session ends after its absolute lifetime.
    let end = session.created_at + state.config.session_absolute_ms;
    if now >= end {
        return Ok(None);
    }
    let Some(account) = state.store.get_account(session.account_id).await? else {
        return Ok(None);
    };
    if account.status != domain::account::AccountStatus::Active {
        return Ok(None);
    }
    // Write at most once a minute: a page view should not always be a write.
    if now - session.last_seen_at > 60_000 {
        state
            .store
            .touch_session(&hash, now, (now + state.config.session_idle_ms).min(end))
            .await?;
    }
    Ok(Some(Actor {
        account,
        token_hash: hash,
        csrf: session.csrf_token,
    }))
}

/// Starts a session and returns its token (shown once, never stored).
pub async fn start(
    state: &AppState,
    account_id: uuid::Uuid,
    kind: SessionKind,
    user_agent: &str,
) -> Result<(String, i64), AppError> {
    let token = new_token();
    let now = state.now();
    let expires_at = now
        + state
            .config
            .session_idle_ms
            .min(state.config.session_absolute_ms);
    let device: String = user_agent.chars().take(200).collect();
    let device_key = token_hash(&format!("device:{device}"));
    let notice = crate::service::notice::job(
        account_id,
        "msg-new-device-subject",
        "msg-new-device-body",
        vec![
            (
                "device".into(),
                if device.is_empty() {
                    "—".into()
                } else {
                    device.clone()
                },
            ),
            ("time".into(), crate::service::moscow_time(now)),
        ],
        format!("new-device:{account_id}:{device_key}"),
        now,
    );
    state
        .store
        .create_session(
            NewSession {
                token_hash: token_hash(&token),
                account_id,
                kind,
                csrf_token: new_token(),
                user_agent: device,
                expires_at,
            },
            &device_key,
            Some(notice),
            now,
        )
        .await?;
    Ok((token, expires_at))
}

pub fn user_agent(headers: &HeaderMap) -> &str {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// The `Set-Cookie` value for a session token (or its removal with `None`).
pub fn session_cookie(state: &AppState, token: Option<&str>) -> String {
    let secure = if state.config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    match token {
        Some(t) => format!("{COOKIE}={t}; Path=/; HttpOnly; SameSite=Lax{secure}"),
        None => format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
    }
}

impl FromRequestParts<AppState> for Actor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        resolve(state, &parts.headers)
            .await?
            .ok_or_else(AppError::unauthenticated)
    }
}

/// A session if there is one; pages work for both visitors and people signed in.
pub struct MaybeActor(pub Option<Actor>);

impl FromRequestParts<AppState> for MaybeActor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        Ok(Self(resolve(state, &parts.headers).await?))
    }
}
