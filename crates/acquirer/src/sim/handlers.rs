//! The acquirer's routes.

use super::{Decision, SimPayment, SimState};
use crate::wire::{CreatePayment, ProviderPayment, ProviderStatus, Reply};
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use std::sync::atomic::Ordering;

pub fn router(state: SimState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/v1/payments", post(create))
        .route("/v1/payments/{order_id}", get(status))
        .route("/v1/payments/{order_id}/refund", post(refund))
        .route("/pay/{order_id}", get(page).post(pay))
        .route("/admin/decide/{order_id}", post(admin_decide))
        .route("/admin/callbacks", get(admin_callbacks))
        .route("/admin/unavailable", post(admin_unavailable))
        .layer(axum::extract::DefaultBodyLimit::max(16 * 1024))
        .with_state(state)
}

fn authorized(state: &SimState, headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| t == state.token())
}

/// An answer with a status of the contract.
fn with(status: Reply, res: impl IntoResponse) -> Response {
    let mut res = res.into_response();
    // Every variant is a valid status: the conversion cannot fail.
    if let Ok(code) = status.code().try_into() {
        *res.status_mut() = code;
    }
    res
}

fn error(status: Reply, what: &str) -> Response {
    with(status, Json(serde_json::json!({ "error": what })))
}

/// Token and availability, for every `/v1` call.
fn gate(state: &SimState, headers: &HeaderMap) -> Result<(), Box<Response>> {
    if !authorized(state, headers) {
        return Err(Box::new(error(Reply::Unauthorized, "unauthorized")));
    }
    if state.inner.unavailable.load(Ordering::SeqCst) {
        return Err(Box::new(error(Reply::Unavailable, "unavailable")));
    }
    Ok(())
}

async fn create(
    State(state): State<SimState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = gate(&state, &headers) {
        return *r;
    }
    let Ok(p) = serde_json::from_slice::<CreatePayment>(&body) else {
        return error(Reply::BadRequest, "bad_request");
    };
    if p.amount <= 0 || p.order_id.is_empty() || p.order_id.len() > 64 {
        return error(Reply::BadRequest, "bad_request");
    }
    let mut payments = super::lock(&state.inner.payments);
    if let Some(there) = payments.get(&p.order_id) {
        if there.payment.amount != p.amount {
            return error(Reply::Conflict, "order_id_reused");
        }
        return with(Reply::Ok, Json(there.payment.clone()));
    }
    let payment = ProviderPayment {
        order_id: p.order_id.clone(),
        status: ProviderStatus::Pending,
        amount: p.amount,
        paid_amount: None,
        pay_url: format!(
            "{}/pay/{}",
            state.inner.config.public_url.trim_end_matches('/'),
            p.order_id
        ),
    };
    payments.insert(
        p.order_id.clone(),
        SimPayment {
            payment: payment.clone(),
            description: p.description,
            return_url: p.return_url,
            callback_url: p.callback_url,
        },
    );
    with(Reply::Created, Json(payment))
}

async fn status(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path(order_id): Path<String>,
) -> Response {
    if let Err(r) = gate(&state, &headers) {
        return *r;
    }
    match state.get(&order_id) {
        Some(p) => Json(p.payment).into_response(),
        None => error(Reply::NotFound, "not_found"),
    }
}

async fn refund(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path(order_id): Path<String>,
) -> Response {
    if let Err(r) = gate(&state, &headers) {
        return *r;
    }
    let mut payments = super::lock(&state.inner.payments);
    let Some(p) = payments.get_mut(&order_id) else {
        return error(Reply::NotFound, "not_found");
    };
    match p.payment.status {
        ProviderStatus::Succeeded => {
            p.payment.status = ProviderStatus::Refunded;
            Json(p.payment.clone()).into_response()
        }
        // Refunding twice is answered as done: the shop may retry.
        ProviderStatus::Refunded => Json(p.payment.clone()).into_response(),
        _ => error(Reply::Conflict, "not_paid"),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn rubles(kopecks: i64) -> String {
    format!("{},{:02}", kopecks / 100, kopecks % 100)
}

/// The bank's page: what is paid, and two buttons. Served in Russian with
/// English beside it: this is the test bank's page, not the portal's.
async fn page(State(state): State<SimState>, Path(order_id): Path<String>) -> Response {
    let Some(p) = state.get(&order_id) else {
        return with(Reply::NotFound, "Платёж не найден / Payment not found");
    };
    let body = if p.payment.status == ProviderStatus::Pending {
        "<form method=\"post\"><button name=\"decision\" value=\"pay\">Оплатить / Pay</button> \
         <button name=\"decision\" value=\"decline\">Отказаться / Decline</button></form>"
            .to_owned()
    } else {
        format!(
            "<p>Платёж уже обработан / Already processed.</p><p><a href=\"{}\">Вернуться / Back</a></p>",
            escape(&p.return_url)
        )
    };
    Html(format!(
        "<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Тестовый банк — оплата</title></head><body>\
         <h1>Тестовый банк / Test acquirer</h1>\
         <p>Карта не нужна: это тестовый эквайринг. / No card needed: a test acquirer.</p>\
         <p>{}</p><p><strong>{} ₽</strong></p>{body}</body></html>",
        escape(&p.description),
        rubles(p.payment.amount)
    ))
    .into_response()
}

#[derive(Deserialize)]
struct PayForm {
    decision: String,
}

async fn pay(
    State(state): State<SimState>,
    Path(order_id): Path<String>,
    Form(f): Form<PayForm>,
) -> Response {
    let d = Decision {
        pay: f.decision == "pay",
        amount: None,
        send_callback: true,
    };
    match state.decide(&order_id, &d) {
        Some((p, _)) => Redirect::to(&p.return_url).into_response(),
        None => with(Reply::NotFound, "Платёж не найден / Payment not found"),
    }
}

async fn admin_decide(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path(order_id): Path<String>,
    Json(d): Json<Decision>,
) -> Response {
    if !authorized(&state, &headers) {
        return error(Reply::Unauthorized, "unauthorized");
    }
    match state.decide(&order_id, &d) {
        Some((p, sent)) => {
            Json(serde_json::json!({ "payment": p.payment, "callback": sent })).into_response()
        }
        None => error(Reply::NotFound, "not_found"),
    }
}

async fn admin_callbacks(State(state): State<SimState>, headers: HeaderMap) -> Response {
    if !authorized(&state, &headers) {
        return error(Reply::Unauthorized, "unauthorized");
    }
    Json(state.callbacks()).into_response()
}

#[derive(Deserialize)]
struct Unavailable {
    unavailable: bool,
}

async fn admin_unavailable(
    State(state): State<SimState>,
    headers: HeaderMap,
    Json(u): Json<Unavailable>,
) -> Response {
    if !authorized(&state, &headers) {
        return error(Reply::Unauthorized, "unauthorized");
    }
    state.set_unavailable(u.unavailable);
    with(Reply::NoContent, ())
}
