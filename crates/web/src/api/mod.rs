//! The JSON API under `/api/v1` (documented in `openapi.json`). Errors are
//! RFC 9457 problem documents with stable codes.

mod accounts;
mod json;
mod me;
pub mod problem;
mod security;

#[cfg(test)]
mod openapi_tests;

use crate::state::AppState;
use axum::Router;
use axum::routing::{delete, get, post, put};

pub use json::ApiJson;

pub const OPENAPI: &str = include_str!("../../openapi.json");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/accounts", post(accounts::register))
        .route(
            "/accounts/confirmations/{challenge_id}",
            post(accounts::confirm),
        )
        .route(
            "/accounts/confirmations/{challenge_id}/resend",
            post(accounts::resend),
        )
        .route("/sessions", post(accounts::login))
        .route("/sessions/current", delete(accounts::logout))
        .route("/me", get(me::me))
        .route("/me/identity", get(me::identity).put(me::submit_identity))
        .route(
            "/me/sessions",
            get(security::sessions).delete(security::end_all),
        )
        .route("/me/password", put(security::change_password))
        .route("/password-resets", post(security::start_reset))
        .route(
            "/password-resets/{challenge_id}",
            post(security::complete_reset),
        )
        .fallback(problem::not_found)
        .method_not_allowed_fallback(problem::method_not_allowed)
}

async fn openapi() -> impl axum::response::IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI,
    )
}
