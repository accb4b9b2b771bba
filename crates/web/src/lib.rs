//! The HTTP interface of migportal: pages for people, the JSON API for
//! programs, and the operations endpoints. See ARCHITECTURE.md for the flow.

pub mod api;
pub mod error;
pub mod ops;
pub mod pages;
pub mod security;
pub mod session;
pub mod state;

pub use app::{PasswordCost, Settings};
pub use state::HttpLimits;
pub use state::{AppState, system_clock};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use tower_http::timeout::TimeoutLayer;

/// What the portal's HTTP interface is made of.
pub struct PortalParts {
    pub store: std::sync::Arc<dyn store::Store>,
    pub vault: store::vault::Vault,
    pub settings: Settings,
    pub limits: HttpLimits,
    pub clock: fn() -> i64,
    pub trust: Option<qes::TrustStore>,
    pub catalogue: app::catalogue::Catalogue,
    /// Typesets a document when it is first opened.
    pub typesetter: std::sync::Arc<dyn app::documents::Typesetter>,
    /// A read-only standby for people's lists and status reads, if any.
    pub replica: Option<std::sync::Arc<app::replica::Replica>>,
}

/// The portal's HTTP interface over its store: the one entry the binary uses.
pub fn portal_router(p: PortalParts) -> Router {
    let state = AppState::new(
        p.store,
        p.vault,
        p.settings,
        p.limits,
        p.clock,
        p.trust,
        p.catalogue,
    );
    // A state just made holds no typesetter or standby yet: this sets them.
    let _ = state.typesetter.set(p.typesetter);
    if let Some(replica) = p.replica {
        let _ = state.replica.set(replica);
    }
    router(state)
}

/// The whole application router.
pub fn router(state: AppState) -> Router {
    let limit = state.limits().max_body_bytes;
    let request_timeout = state.limits().request_timeout;
    let api = api::router().layer(axum::middleware::from_fn(api::problem::localize_problems));
    Router::new()
        .merge(pages::router())
        .nest("/api/v1", api)
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::mark_writers,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::entrance::limit,
        ))
        .layer(axum::middleware::from_fn(security::csrf::same_origin_only))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::headers::security_headers,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ops::track,
        ))
        .layer(DefaultBodyLimit::max(limit))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            request_timeout,
        ))
        .with_state(state)
}

#[cfg(test)]
mod catalogue_keys_tests;
