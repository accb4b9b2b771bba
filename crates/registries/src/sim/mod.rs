//! The reference registry service ("registry simulator") behind
//! `migportal registry-sim`: all three registries in one HTTP server, over
//! a seeded [`Population`], with fault injection for tests and demos.
//!
//! # Embedding
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use registries::sim::{Population, SimConfig, serve_with_shutdown};
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8090").await?;
//! let config = SimConfig { token: "secret".into(), population: Population::demo() };
//! serve_with_shutdown(listener, config, async { let _ = tokio::signal::ctrl_c().await; }).await
//! # }
//! ```
//!
//! Use [`app`] instead to get the router plus a [`SimState`] handle that
//! changes faults, adds people and reads counters in-process.
//!
//! # Admin API (same bearer token as `/v1`)
//!
//! | request | effect |
//! |---|---|
//! | `GET /healthz` (no token) | `200 ok` |
//! | `GET /admin/faults` | current [`Faults`] |
//! | `POST /admin/faults` `{"delay_ms": 0, "unavailable": false}` | replaces the faults, answers them; `delay_ms` ≤ 60000 |
//! | `POST /admin/people` one [`SimPerson`] | adds the person, `201 {"people": n}` |
//! | `GET /admin/stats` | `{"requests": n}`: authorized `/v1` requests received, including those answered 503 or 400 |
//!
//! With `unavailable`, every `/v1` call answers `503 {"error":"unavailable"}`;
//! `delay_ms` sleeps before answering any `/v1` call (a slow registry).

mod demo;
mod handlers;
pub mod population;

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard};

use serde::{Deserialize, Serialize};

pub use handlers::router;
pub use population::{DocStatus, Population, PopulationError, SimForeign, SimPassport, SimPerson};

/// Upper bound for `delay_ms`, so a typo cannot hang clients for hours.
pub const MAX_DELAY_MS: u64 = 60_000;

pub struct SimConfig {
    /// Bearer token required on `/v1` and `/admin`.
    pub token: String,
    pub population: Population,
}

/// Injected faults; the default is a healthy registry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Faults {
    #[serde(default)]
    pub delay_ms: u64,
    #[serde(default)]
    pub unavailable: bool,
}

/// Shared simulator state; clones are handles to the same state.
#[derive(Clone)]
pub struct SimState {
    inner: Arc<Inner>,
}

struct Inner {
    token: String,
    // std locks: never held across an await.
    population: RwLock<Population>,
    faults: RwLock<Faults>,
    requests: AtomicU64,
}

impl SimState {
    pub fn new(config: SimConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                token: config.token,
                population: RwLock::new(config.population),
                faults: RwLock::new(Faults::default()),
                requests: AtomicU64::new(0),
            }),
        }
    }

    pub fn faults(&self) -> Faults {
        *self
            .inner
            .faults
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// `delay_ms` is clamped to [`MAX_DELAY_MS`].
    pub fn set_faults(&self, faults: Faults) {
        let faults = Faults {
            delay_ms: faults.delay_ms.min(MAX_DELAY_MS),
            ..faults
        };
        *self
            .inner
            .faults
            .write()
            .unwrap_or_else(PoisonError::into_inner) = faults;
    }

    /// Adds a person after validating the record; returns the new head count.
    pub fn add_person(&self, person: SimPerson) -> Result<usize, String> {
        person.validate()?;
        let mut pop = self
            .inner
            .population
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        pop.add(person);
        Ok(pop.len())
    }

    /// Authorized `/v1` requests received so far.
    pub fn requests(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    fn population(&self) -> RwLockReadGuard<'_, Population> {
        self.inner
            .population
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn token(&self) -> &str {
        &self.inner.token
    }

    fn count_request(&self) {
        self.inner.requests.fetch_add(1, Ordering::Relaxed);
    }
}

/// The router plus a handle to its state, for callers that serve it themselves.
pub fn app(config: SimConfig) -> (axum::Router, SimState) {
    let state = SimState::new(config);
    (router(state.clone()), state)
}

/// Serves until an I/O error; see [`serve_with_shutdown`] to stop gracefully.
pub async fn serve(listener: tokio::net::TcpListener, config: SimConfig) -> std::io::Result<()> {
    serve_with_shutdown(listener, config, std::future::pending()).await
}

/// Serves until `shutdown` completes, then lets in-flight requests finish.
pub async fn serve_with_shutdown(
    listener: tokio::net::TcpListener,
    config: SimConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let people = config.population.len();
    let (router, _) = app(config);
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, people, "registry simulator listening");
    }
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}
