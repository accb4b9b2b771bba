use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

/// The policy: nothing from elsewhere, no frames, no inline script; the
/// page script may call the portal only (the draft's save while typing). Forms
/// post to the portal only, and to the payment provider's origin when one is
/// configured: the pay button's answer redirects there, and a browser holds
/// a form's redirect to `form-action` too.
pub fn policy(payments: Option<String>) -> HeaderValue {
    let with = |forms: &str| {
        HeaderValue::from_str(&format!(
            "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action {forms}; frame-ancestors 'none'; base-uri 'none'"
        ))
    };
    // `origin` admits only characters a header may hold, so the first never
    // fails in practice; the portal alone is the safe answer if it did.
    let portal = "'self'";
    payments
        .and_then(|o| with(&format!("{portal} {o}")).ok())
        .or_else(|| with(portal).ok())
        .unwrap_or_else(|| HeaderValue::from_static("default-src 'none'"))
}

/// `scheme://host[:port]` of a URL, if it is http(s) and plain.
pub fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let host = rest.split(['/', '?', '#']).next()?;
    let plain = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    plain.then(|| format!("{scheme}://{host}"))
}

/// Strict defaults for every response: no inline script, frames or third
/// parties; HSTS when the public URL is https.
pub async fn security_headers(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    req: Request,
    next: Next,
) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, k: &'static str, v: &'static str| {
        h.entry(k).or_insert(HeaderValue::from_static(v));
    };
    h.entry("content-security-policy")
        .or_insert_with(|| state.csp().clone());
    set(h, "x-content-type-options", "nosniff");
    set(h, "x-frame-options", "DENY");
    set(h, "referrer-policy", "same-origin");
    set(
        h,
        "permissions-policy",
        "camera=(), microphone=(), geolocation=()",
    );
    set(h, "cross-origin-opener-policy", "same-origin");
    // Only where the portal is reached over https: a browser told this over
    // plain http ignores it, and a test set-up on http must stay reachable.
    if state.config.secure_cookies() {
        set(
            h,
            "strict-transport-security",
            "max-age=31536000; includeSubDomains",
        );
    }
    res
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_payment_origin_joins_form_action_only_when_plain() {
        assert_eq!(
            origin("https://pay.example.ru:8443/api/v1?x=1").as_deref(),
            Some("https://pay.example.ru:8443")
        );
        assert_eq!(origin("javascript:alert(1)"), None);
        assert_eq!(origin("https://a b/"), None);
        assert_eq!(origin("https://x;script-src */"), None);
        let p = policy(origin("http://127.0.0.1:9000/"));
        assert!(
            p.to_str()
                .unwrap()
                .contains("form-action 'self' http://127.0.0.1:9000;")
        );
    }
}
