//! What every handler can reach: the `app` portal (store, vault, settings,
//! clock, policies) and the parts only the HTTP edge has.

use crate::ops::Metrics;
use crate::security::entrance::EntranceLimiter;
use app::{Portal, Settings};
use std::sync::Arc;
use store::Store;
use store::vault::Vault;

pub use app::system_clock;

/// Cheap to clone; dereferences to the [`Portal`] the use cases take.
#[derive(Clone)]
pub struct AppState {
    portal: Portal,
    edge: Arc<Edge>,
}

struct Edge {
    metrics: Metrics,
    entrance: EntranceLimiter,
    limits: HttpLimits,
    csp: axum::http::HeaderValue,
}

/// Limits of the HTTP edge, built by the binary from its configuration.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Entrance requests (sign-in, registration, codes, resets) one address
    /// may make per minute, and at once.
    pub entrance_per_minute: u32,
    pub entrance_burst: u32,
    /// A request not done within this (its body's arrival included) is
    /// answered 408.
    pub request_timeout: std::time::Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            max_body_bytes: 64 * 1024,
            entrance_per_minute: 30,
            entrance_burst: 20,
            request_timeout: std::time::Duration::from_secs(30),
        }
    }
}

impl AppState {
    pub fn new(
        store: Arc<dyn Store>,
        vault: Vault,
        settings: Settings,
        limits: HttpLimits,
        clock: fn() -> i64,
        trust: Option<qes::TrustStore>,
        catalogue: app::catalogue::Catalogue,
    ) -> Self {
        let entrance = EntranceLimiter::new(limits.entrance_per_minute, limits.entrance_burst);
        let csp = crate::security::headers::policy(
            settings
                .payments
                .as_ref()
                .and_then(|p| crate::security::headers::origin(&p.url)),
        );
        Self {
            portal: Portal::new(store, vault, settings, clock, trust, catalogue),
            edge: Arc::new(Edge {
                metrics: Metrics::default(),
                entrance,
                limits,
                csp,
            }),
        }
    }

    /// The Content-Security-Policy of every response.
    pub fn csp(&self) -> &axum::http::HeaderValue {
        &self.edge.csp
    }

    pub fn limits(&self) -> &HttpLimits {
        &self.edge.limits
    }

    pub fn metrics(&self) -> &Metrics {
        &self.edge.metrics
    }

    pub fn entrance(&self) -> &EntranceLimiter {
        &self.edge.entrance
    }
}

impl std::ops::Deref for AppState {
    type Target = Portal;
    fn deref(&self) -> &Portal {
        &self.portal
    }
}
