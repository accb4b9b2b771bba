//! Operations endpoints: liveness, readiness (database reachable) and
//! Prometheus metrics. Counters are per instance and kept in memory.

use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

/// Upper bounds (seconds) of the latency histogram.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<MetricsInner>,
}

#[derive(Default)]
struct MetricsInner {
    /// (method, route, status) → count
    requests: BTreeMap<(String, String, u16), u64>,
    /// route → (bucket counts, sum of seconds, count)
    latency: BTreeMap<String, ([u64; BUCKETS.len()], f64, u64)>,
}

impl Metrics {
    fn observe(&self, method: &str, route: &str, status: u16, secs: f64) {
        let Ok(mut m) = self.inner.lock() else { return };
        *m.requests
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default() += 1;
        let entry = m.latency.entry(route.to_owned()).or_default();
        for (i, le) in BUCKETS.iter().enumerate() {
            if secs <= *le {
                entry.0[i] += 1;
            }
        }
        entry.1 += secs;
        entry.2 += 1;
    }

    pub fn render(&self, jobs: Option<store::JobStats>) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let Ok(m) = self.inner.lock() else { return out };
        out.push_str("# HELP migportal_http_requests_total HTTP requests by route and status.\n");
        out.push_str("# TYPE migportal_http_requests_total counter\n");
        for ((method, route, status), n) in &m.requests {
            let _ = writeln!(
                out,
                "migportal_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        out.push_str("# HELP migportal_http_request_duration_seconds Time to answer a request.\n");
        out.push_str("# TYPE migportal_http_request_duration_seconds histogram\n");
        for (route, (buckets, sum, count)) in &m.latency {
            for (i, le) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "migportal_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{le}\"}} {}",
                    buckets[i]
                );
            }
            let _ = writeln!(
                out,
                "migportal_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {count}"
            );
            let _ = writeln!(
                out,
                "migportal_http_request_duration_seconds_sum{{route=\"{route}\"}} {sum}"
            );
            let _ = writeln!(
                out,
                "migportal_http_request_duration_seconds_count{{route=\"{route}\"}} {count}"
            );
        }
        if let Some(j) = jobs {
            out.push_str("# HELP migportal_jobs Outbox jobs by state (whole database).\n");
            out.push_str("# TYPE migportal_jobs gauge\n");
            let _ = writeln!(out, "migportal_jobs{{state=\"pending\"}} {}", j.pending);
            let _ = writeln!(out, "migportal_jobs{{state=\"done\"}} {}", j.done);
            let _ = writeln!(out, "migportal_jobs{{state=\"dead\"}} {}", j.dead);
        }
        out
    }
}

/// Records every request under its route pattern (never the raw path, which
/// would carry ids and blow up the label set).
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    // Label values come from a closed set: an invented method is "other".
    let method = match *req.method() {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    };
    let start = Instant::now();
    let res = next.run(req).await;
    state.metrics().observe(
        method,
        &route,
        res.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    res
}

pub async fn healthz() -> &'static str {
    "ok"
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    match app::queries::ready(&state).await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(code = e.code, "database not reachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
    }
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    let jobs = app::queries::job_stats(&state).await.ok();
    let mut text = state.metrics().render(jobs);
    if let Some(r) = state.replica.get() {
        use std::fmt::Write;
        use std::sync::atomic::Ordering;
        let _ = write!(
            text,
            "# HELP migportal_standby_reads_total People's reads by where they went.\n\
             # TYPE migportal_standby_reads_total counter\n\
             migportal_standby_reads_total{{to=\"standby\"}} {}\n\
             migportal_standby_reads_total{{to=\"primary\"}} {}\n\
             # HELP migportal_standby_lag_seconds How far behind the standby is known to be.\n\
             # TYPE migportal_standby_lag_seconds gauge\n\
             migportal_standby_lag_seconds {}\n",
            r.rule.served.load(Ordering::Relaxed),
            r.rule.declined.load(Ordering::Relaxed),
            // Not yet caught up once: as far behind as can be said.
            (r.rule.lag_ms(state.now()).min(i64::from(i32::MAX)) as f64) / 1000.0,
        );
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}
