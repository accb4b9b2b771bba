//! Who is asking: a browser session (cookie `mp_session`) or an API client
//! (`Authorization: Bearer`). Both are rows in the `sessions` table, stored by
//! the hash of their token, so every instance sees the same sessions.

use crate::error::{AppError, HttpError};
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

pub const COOKIE: &str = "mp_session";

/// The signed-in person of a request (refused with 401 when nobody is).
#[derive(Debug, Clone)]
pub struct Actor(pub app::session::Actor);

impl std::ops::Deref for Actor {
    type Target = app::session::Actor;
    fn deref(&self) -> &app::session::Actor {
        &self.0
    }
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

/// The account a request that may change something acts for: filled in
/// by the extractors that resolve its session (which mark the start of the
/// person's write), read when the request ends however it ends (read-your-
/// writes with a standby, `app::replica`).
#[derive(Clone, Default)]
pub struct Writer(std::sync::Arc<std::sync::OnceLock<uuid::Uuid>>);

/// Ends the person's write when dropped: after the answer, or when the
/// request is cut short (the time limit, the client gone) and dropped.
struct WriteEnds {
    state: AppState,
    writer: Writer,
    answered: bool,
}

impl Drop for WriteEnds {
    fn drop(&mut self) {
        if let Some(account) = self.writer.0.get() {
            self.state.ended_writing(*account, !self.answered);
        }
    }
}

/// Marks every request that may change something, when the portal reads
/// from a standby: its person reads from the primary while it runs and
/// until the standby holds what it changed.
pub async fn mark_writers(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let reads_only = matches!(
        *req.method(),
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    );
    if reads_only || state.replica.get().is_none() {
        return next.run(req).await;
    }
    let writer = Writer::default();
    req.extensions_mut().insert(writer.clone());
    let mut ends = WriteEnds {
        state: state.clone(),
        writer,
        answered: false,
    };
    let res = next.run(req).await;
    ends.answered = true;
    drop(ends);
    res
}

/// Resolves the session of a request and, for one that may change
/// something, marks the start of its person's write (`Writer`).
pub async fn resolve_parts(
    state: &AppState,
    parts: &Parts,
) -> Result<Option<app::session::Actor>, AppError> {
    let actor = resolve(state, &parts.headers).await?;
    if let (Some(a), Some(w)) = (&actor, parts.extensions.get::<Writer>())
        && w.0.set(a.account.id).is_ok()
    {
        state.began_writing(a.account.id);
    }
    Ok(actor)
}

/// Resolves the session of a request (cookie or bearer token).
pub async fn resolve(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<app::session::Actor>, AppError> {
    let Some(token) = bearer(headers).or_else(|| cookie(headers, COOKIE)) else {
        return Ok(None);
    };
    app::session::resolve(state, token).await
}

pub use app::session::start;

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
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, HttpError> {
        Ok(Self(
            resolve_parts(state, parts)
                .await?
                .ok_or_else(AppError::unauthenticated)?,
        ))
    }
}

/// A session if there is one; pages work for both visitors and people signed in.
pub struct MaybeActor(pub Option<app::session::Actor>);

impl FromRequestParts<AppState> for MaybeActor {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, HttpError> {
        Ok(Self(resolve_parts(state, parts).await?))
    }
}

/// A signed-in member of staff (any staff role); 401 or 403 otherwise.
pub struct Staff(pub app::staff::Staff);

impl std::ops::Deref for Staff {
    type Target = app::staff::Staff;
    fn deref(&self) -> &app::staff::Staff {
        &self.0
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, HttpError> {
        let actor = resolve_parts(state, parts)
            .await?
            .ok_or_else(AppError::unauthenticated)?;
        Ok(Self(app::staff::Staff::of(actor)?))
    }
}
