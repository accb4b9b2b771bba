//! HTTP handlers of the simulator: `/v1` checks, `/admin`, `/healthz`.
//! Logs carry only the endpoint and the outcome, never request data.

use std::fmt::Debug;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::population::{Population, SimPerson};
use super::{Faults, MAX_DELAY_MS, SimState};
use crate::wire::{CheckResponse, ErrorResponse};

const MAX_BODY_BYTES: usize = 16 * 1024;

type Body = Result<Bytes, BytesRejection>;

pub fn router(state: SimState) -> Router {
    let protected = Router::new()
        .route("/v1/snils/check", post(snils))
        .route("/v1/passports/check", post(passport))
        .route("/v1/foreign-documents/check", post(foreign))
        .route("/v1/inn/check", post(inn))
        .route("/admin/faults", get(get_faults).post(set_faults))
        .route("/admin/people", post(add_person))
        .route("/admin/stats", get(stats))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_token));
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(protected)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// The statuses of the registry contract (`wire.rs`) that are not 200.
#[derive(Debug, Clone, Copy)]
enum Reply {
    Created = 201,
    BadRequest = 400,
    Unauthorized = 401,
    PayloadTooLarge = 413,
    Unavailable = 503,
}

/// A JSON answer with a status of the contract.
fn reply(status: Reply, body: &impl Serialize) -> Response {
    let mut res = Json(body).into_response();
    // Every variant is a valid status: the conversion cannot fail.
    if let Ok(code) = (status as u16).try_into() {
        *res.status_mut() = code;
    }
    res
}

fn error(status: Reply, code: &str, detail: Option<String>) -> Response {
    reply(status, &ErrorResponse::new(code, detail))
}

async fn require_token(State(state): State<SimState>, req: Request, next: Next) -> Response {
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match presented {
        Some(t) if constant_time_eq(t.as_bytes(), state.token().as_bytes()) => next.run(req).await,
        _ => error(Reply::Unauthorized, "unauthorized", None),
    }
}

/// Avoids leaking the token's length of common prefix through timing.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A rejected body; kept small instead of a whole `Response`.
struct BadBody(Reply, &'static str, Option<String>);

impl IntoResponse for BadBody {
    fn into_response(self) -> Response {
        error(self.0, self.1, self.2)
    }
}

fn parse<T: DeserializeOwned>(body: Body) -> Result<T, BadBody> {
    let bytes = body.map_err(|e| {
        if e.status().as_u16() == Reply::PayloadTooLarge as u16 {
            BadBody(Reply::PayloadTooLarge, "payload_too_large", None)
        } else {
            BadBody(Reply::BadRequest, "bad_request", Some(e.body_text()))
        }
    })?;
    serde_json::from_slice(&bytes)
        .map_err(|e| BadBody(Reply::BadRequest, "bad_request", Some(e.to_string())))
}

/// Shared path of every check: count, apply faults, parse, look up.
async fn check<Req, Out>(
    state: SimState,
    endpoint: &'static str,
    body: Body,
    lookup: fn(&Population, &Req) -> Out,
) -> Response
where
    Req: DeserializeOwned,
    Out: Serialize + Debug,
{
    state.count_request();
    let faults = state.faults();
    if faults.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.delay_ms)).await;
    }
    if faults.unavailable {
        tracing::info!(endpoint, "answering 503 (fault injected)");
        return error(Reply::Unavailable, "unavailable", None);
    }
    let req: Req = match parse(body) {
        Ok(r) => r,
        Err(bad) => {
            tracing::info!(endpoint, "bad request");
            return bad.into_response();
        }
    };
    let result = lookup(&state.population(), &req);
    tracing::info!(endpoint, outcome = ?result, "check answered");
    Json(CheckResponse { result }).into_response()
}

async fn snils(State(s): State<SimState>, body: Body) -> Response {
    check(s, "snils", body, Population::check_snils).await
}

async fn passport(State(s): State<SimState>, body: Body) -> Response {
    check(s, "passports", body, Population::check_passport).await
}

async fn foreign(State(s): State<SimState>, body: Body) -> Response {
    check(s, "foreign-documents", body, Population::check_foreign).await
}

async fn inn(State(s): State<SimState>, body: Body) -> Response {
    check(s, "inn", body, Population::check_inn).await
}

async fn get_faults(State(s): State<SimState>) -> Json<Faults> {
    Json(s.faults())
}

async fn set_faults(State(s): State<SimState>, body: Body) -> Response {
    let faults: Faults = match parse(body) {
        Ok(f) => f,
        Err(bad) => return bad.into_response(),
    };
    if faults.delay_ms > MAX_DELAY_MS {
        let detail = format!("delay_ms must be at most {MAX_DELAY_MS}");
        return error(Reply::BadRequest, "bad_request", Some(detail));
    }
    s.set_faults(faults);
    tracing::info!(?faults, "faults changed");
    Json(faults).into_response()
}

#[derive(Serialize)]
struct PeopleCount {
    people: usize,
}

async fn add_person(State(s): State<SimState>, body: Body) -> Response {
    let person: SimPerson = match parse(body) {
        Ok(p) => p,
        Err(bad) => return bad.into_response(),
    };
    match s.add_person(person) {
        Ok(people) => {
            tracing::info!(people, "person added");
            reply(Reply::Created, &PeopleCount { people })
        }
        Err(detail) => error(Reply::BadRequest, "bad_request", Some(detail)),
    }
}

#[derive(Serialize)]
struct Stats {
    requests: u64,
}

async fn stats(State(s): State<SimState>) -> Json<Stats> {
    Json(Stats {
        requests: s.requests(),
    })
}
