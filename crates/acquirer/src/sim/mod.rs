//! The test acquirer behind `migportal acquirer-sim` (and started inside a
//! demo portal): a real HTTP service with the contract of [`crate`], a
//! payment page a person can use, and signed callbacks.
//!
//! # Admin API (same bearer token as `/v1`), for tests and demos
//!
//! | request | effect |
//! |---|---|
//! | `GET /healthz` (no token) | `200 ok` |
//! | `POST /admin/decide/{order_id}` [`Decision`] | pays or declines as the person would, optionally with another amount or without sending the callback (a portal that was down) |
//! | `GET /admin/callbacks` | every callback sent: `[{order_id, body, signature, delivered}]` (a test replays one) |
//! | `POST /admin/unavailable` `{"unavailable": true}` | every `/v1` call answers 503 |

mod handlers;

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};

use crate::wire::{Callback, ProviderPayment, ProviderStatus, SIGNATURE_HEADER, sign};

pub use handlers::router;

pub struct SimConfig {
    /// Bearer token of `/v1` and `/admin`.
    pub token: String,
    /// Signs the callbacks.
    pub secret: String,
    /// Where people reach it (for `pay_url`), e.g. `http://127.0.0.1:8091`.
    pub public_url: String,
}

/// A decision made through the admin API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    pub pay: bool,
    /// Another amount than asked (a faulty bank).
    #[serde(default)]
    pub amount: Option<i64>,
    /// False: the callback is recorded but never sent.
    #[serde(default = "yes")]
    pub send_callback: bool,
}

fn yes() -> bool {
    true
}

/// A callback as sent (or kept unsent).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SentCallback {
    pub order_id: String,
    pub body: String,
    pub signature: String,
    pub delivered: bool,
}

#[derive(Debug, Clone)]
struct SimPayment {
    payment: ProviderPayment,
    description: String,
    return_url: String,
    callback_url: String,
}

#[derive(Clone)]
pub struct SimState {
    inner: Arc<Inner>,
}

struct Inner {
    config: SimConfig,
    // std locks: never held across an await.
    payments: Mutex<HashMap<String, SimPayment>>,
    callbacks: Mutex<Vec<SentCallback>>,
    unavailable: AtomicBool,
    http: reqwest::Client,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SimState {
    pub fn new(config: SimConfig) -> Self {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(5))
            .build()
            .unwrap_or_default();
        Self {
            inner: Arc::new(Inner {
                config,
                payments: Mutex::new(HashMap::new()),
                callbacks: Mutex::new(Vec::new()),
                unavailable: AtomicBool::new(false),
                http,
            }),
        }
    }

    fn token(&self) -> &str {
        &self.inner.config.token
    }

    fn get(&self, order_id: &str) -> Option<SimPayment> {
        lock(&self.inner.payments).get(order_id).cloned()
    }

    /// Pays or declines a pending payment as the person would; the callback
    /// made (sent unless the decision says not), if any.
    pub fn decide_now(&self, order_id: &str, d: &Decision) -> Option<SentCallback> {
        self.decide(order_id, d).and_then(|(_, sent)| sent)
    }

    /// The payment as the acquirer knows it.
    pub fn payment(&self, order_id: &str) -> Option<ProviderPayment> {
        self.get(order_id).map(|p| p.payment)
    }

    fn decide(&self, order_id: &str, d: &Decision) -> Option<(SimPayment, Option<SentCallback>)> {
        let mut payments = lock(&self.inner.payments);
        let p = payments.get_mut(order_id)?;
        if p.payment.status != ProviderStatus::Pending {
            return Some((p.clone(), None));
        }
        p.payment.status = if d.pay {
            ProviderStatus::Succeeded
        } else {
            ProviderStatus::Failed
        };
        let amount = d.amount.unwrap_or(p.payment.amount);
        if d.pay {
            p.payment.paid_amount = Some(amount);
        }
        let body = serde_json::to_string(&Callback {
            order_id: order_id.to_owned(),
            status: p.payment.status,
            amount: if d.pay { amount } else { 0 },
        })
        .unwrap_or_default();
        let signature = sign(self.inner.config.secret.as_bytes(), body.as_bytes());
        let sent = SentCallback {
            order_id: order_id.to_owned(),
            body,
            signature,
            delivered: false,
        };
        let p = p.clone();
        drop(payments);
        let index = {
            let mut all = lock(&self.inner.callbacks);
            all.push(sent.clone());
            all.len() - 1
        };
        if d.send_callback {
            self.deliver(p.callback_url.clone(), sent.clone(), index);
        }
        Some((p, Some(sent)))
    }

    /// Posts the callback in the background, retried a few times.
    fn deliver(&self, url: String, c: SentCallback, index: usize) {
        let state = self.clone();
        tokio::spawn(async move {
            for attempt in 0..5u32 {
                let r = state
                    .inner
                    .http
                    .post(&url)
                    .header("content-type", "application/json")
                    .header(SIGNATURE_HEADER, &c.signature)
                    .body(c.body.clone())
                    .send()
                    .await;
                if r.is_ok_and(|r| r.status().is_success()) {
                    if let Some(sent) = lock(&state.inner.callbacks).get_mut(index) {
                        sent.delivered = true;
                    }
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(200 << attempt)).await;
            }
            tracing::warn!(order_id = %c.order_id, "callback not delivered; the shop must ask");
        });
    }

    pub fn callbacks(&self) -> Vec<SentCallback> {
        lock(&self.inner.callbacks).clone()
    }

    pub fn set_unavailable(&self, on: bool) {
        self.inner.unavailable.store(on, Ordering::SeqCst);
    }
}

/// The router and a handle on its state (tests decide payments through it).
pub fn app(config: SimConfig) -> (axum::Router, SimState) {
    let state = SimState::new(config);
    (router(state.clone()), state)
}

/// Serves the acquirer on `listener` until `shutdown` resolves.
pub async fn serve_with_shutdown(
    listener: tokio::net::TcpListener,
    config: SimConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let state = SimState::new(config);
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
