//! The payment provider's contract and the built-in test acquirer.
//!
//! The portal is a shop of an acquiring bank: it creates a payment, sends
//! the person to the bank's page, and learns the outcome from a signed
//! callback — or, when none came (the portal was down), by asking.
//!
//! # Wire contract
//!
//! Calls from the portal carry `Authorization: Bearer <token>`; bodies are
//! JSON; amounts are kopecks.
//!
//! | request | answer |
//! |---|---|
//! | `POST /v1/payments` [`CreatePayment`] | `201` [`ProviderPayment`] with `pay_url`; the same `order_id` again answers the same payment (`200`), or `409` if the amount differs |
//! | `GET /v1/payments/{order_id}` | `200` [`ProviderPayment`], `404` |
//! | `POST /v1/payments/{order_id}/refund` | `200` [`ProviderPayment`] (`refunded`); `409` unless it succeeded |
//!
//! The person pays on `pay_url` (`GET /pay/{order_id}`, a form; `POST`
//! pays or declines and redirects to the shop's `return_url`). The outcome
//! goes to the shop's `callback_url` as `POST` [`Callback`] with header
//! `X-Signature: hex(HMAC-SHA256(secret, body))` over the exact bytes sent;
//! a callback not answered `2xx` is retried a few times, then given up (the
//! shop asks with `GET`).

pub mod client;
pub mod sim;
pub mod wire;

pub use client::{AcquirerClient, AcquirerError};
pub use wire::{
    Callback, CreatePayment, ProviderPayment, ProviderStatus, SIGNATURE_HEADER, sign, verify,
};
