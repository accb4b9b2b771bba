//! CSRF protection in two layers:
//! 1. every state-changing request from a browser must come from our own origin
//!    (`Sec-Fetch-Site` / `Origin`, the scheme modern browsers support);
//! 2. every form carries a token that must equal the `mp_csrf` cookie
//!    (double submit), for older browsers that send neither header.
//!
//! Bearer-token API clients are not browsers and skip both.

use crate::error::{AppError, ErrorKind};
use axum::extract::Request;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::Response;

pub const COOKIE: &str = "mp_csrf";

pub async fn same_origin_only(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let h = req.headers();
    let bearer = h
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer "));
    if !bearer && !origin_ok(h) {
        let err = AppError::new(ErrorKind::Forbidden, "csrf");
        let lang = crate::pages::request_lang(h);
        return if req.uri().path().starts_with("/api/") {
            crate::api::problem::problem(lang, &err)
        } else {
            crate::pages::error_page(lang, &err)
        };
    }
    next.run(req).await
}

fn origin_ok(h: &axum::http::HeaderMap) -> bool {
    if let Some(site) = h.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    match (h.get(header::ORIGIN), h.get(header::HOST)) {
        (Some(origin), Some(host)) => {
            let origin = origin.to_str().unwrap_or("");
            let host = host.to_str().unwrap_or("");
            origin
                .split_once("://")
                .is_some_and(|(_, rest)| rest.trim_end_matches('/') == host)
        }
        // No Origin: not a cross-site browser request (old browsers are
        // covered by the form token).
        (None, _) => true,
        (Some(_), None) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, HeaderValue};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn judges_origins() {
        assert!(origin_ok(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(!origin_ok(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(origin_ok(&headers(&[
            ("origin", "http://a.ru:8080"),
            ("host", "a.ru:8080")
        ])));
        assert!(!origin_ok(&headers(&[
            ("origin", "http://evil.ru"),
            ("host", "a.ru")
        ])));
        assert!(origin_ok(&headers(&[("host", "a.ru")])));
    }
}
