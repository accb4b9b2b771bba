//! What every handler can reach: the `app` portal (store, vault, settings,
//! clock, policies) and the parts only the HTTP edge has.

use crate::ops::Metrics;
use crate::security::entrance::EntranceLimiter;
use app::{Portal, WebConfig};
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
}

impl AppState {
    pub fn new(
        store: Arc<dyn Store>,
        vault: Vault,
        config: WebConfig,
        clock: fn() -> i64,
        trust: Option<qes::TrustStore>,
    ) -> Self {
        let entrance = EntranceLimiter::new(config.entrance_per_minute, config.entrance_burst);
        Self {
            portal: Portal::new(store, vault, config, clock, trust),
            edge: Arc::new(Edge {
                metrics: Metrics::default(),
                entrance,
            }),
        }
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
