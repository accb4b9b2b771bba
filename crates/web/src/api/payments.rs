//! Fees and payments over the API: an application's charges, paying one
//! through the provider, the provider's signed callback, a bank payment an
//! officer records, and the fee schedule's editions.

use crate::api::applications::parse_id;
use crate::error::{AppError, HttpError};
use crate::session::{Actor, Staff};
use crate::state::AppState;
use app::{fees, payments};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

pub async fn of_application(
    State(state): State<AppState>,
    actor: Actor,
    Path(raw): Path<String>,
) -> Result<Json<Value>, HttpError> {
    let id = parse_id(&raw)?;
    Ok(Json(
        json!({ "items": payments::charges(&state, &actor, id).await? }),
    ))
}

pub async fn office_of_application(
    State(state): State<AppState>,
    s: Staff,
    Path(raw): Path<String>,
) -> Result<Json<Value>, HttpError> {
    let id = parse_id(&raw)?;
    Ok(Json(
        json!({ "items": payments::office_charges(&state, &s, id).await? }),
    ))
}

/// Starts a payment: where to send the person.
pub async fn start(
    State(state): State<AppState>,
    actor: Actor,
    Path(uin): Path<String>,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), HttpError> {
    let idem = crate::api::applications::idempotency(
        &headers,
        "POST",
        &format!("/charges/{uin}/payments"),
        &bytes,
    )?;
    let started = payments::start(&state, &actor, &uin, idem).await?;
    Ok((StatusCode::CREATED, Json(json!(started))))
}

/// The provider's callback: the body's exact bytes are what is signed.
pub async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> Result<Json<Value>, HttpError> {
    let signature = headers
        .get(payments::SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok());
    let outcome = payments::callback(&state, &bytes, signature).await?;
    Ok(Json(json!({ "outcome": outcome.as_str() })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankBody {
    uin: String,
    kopecks: i64,
    reference: String,
}

pub async fn record_bank(
    State(state): State<AppState>,
    s: Staff,
    crate::api::json::ApiJson(b): crate::api::json::ApiJson<BankBody>,
) -> Result<(StatusCode, Json<Value>), HttpError> {
    let outcome =
        payments::record_bank_payment(&state, &s, &b.uin, b.kopecks, &b.reference).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "outcome": outcome.as_str() })),
    ))
}

fn parse_date(raw: &str) -> Result<time::Date, AppError> {
    time::Date::parse(raw, &time::format_description::well_known::Iso8601::DATE)
        .map_err(|_| AppError::field("from", "date.format"))
}

pub async fn editions(State(state): State<AppState>, _s: Staff) -> Result<Json<Value>, HttpError> {
    let items: Vec<Value> = fees::editions(&state)
        .await?
        .into_iter()
        .map(|(e, row)| {
            json!({
                "from": e.from.to_string(),
                "portal_discount_percent": e.portal_discount_percent,
                "rates": e.rates,
                "created_at": row.created_at,
            })
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditionBody {
    portal_discount_percent: u8,
    rates: Vec<domain::fees::Rate>,
}

pub async fn put_edition(
    State(state): State<AppState>,
    s: Staff,
    Path(raw): Path<String>,
    crate::api::json::ApiJson(b): crate::api::json::ApiJson<EditionBody>,
) -> Result<StatusCode, HttpError> {
    let from = parse_date(&raw)?;
    fees::put_edition(
        &state,
        &s,
        domain::fees::Edition {
            from,
            portal_discount_percent: b.portal_discount_percent,
            rates: b.rates,
        },
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn withdraw_edition(
    State(state): State<AppState>,
    s: Staff,
    Path(raw): Path<String>,
) -> Result<StatusCode, HttpError> {
    let from = parse_date(&raw)?;
    fees::withdraw_edition(&state, &s, from).await?;
    Ok(StatusCode::NO_CONTENT)
}
