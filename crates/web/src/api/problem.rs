//! Turns an `AppError` left in a response into an RFC 9457 problem document in
//! the request's language.

use crate::error::{AppError, ErrorKind, HttpError, HttpStatus};
use app::i18n::{Lang, error_key};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub async fn localize_problems(req: Request, next: Next) -> Response {
    let lang = crate::pages::request_lang(req.headers());
    let mut res = next.run(req).await;
    let Some(err) = res.extensions_mut().remove::<AppError>() else {
        // Errors axum produced itself (e.g. a body over the size limit).
        if res.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return problem(lang, &AppError::new(ErrorKind::Malformed, "body.too_large"));
        }
        return res;
    };
    problem(lang, &err)
}

pub fn problem(lang: Lang, err: &AppError) -> Response {
    let title = lang.t_args(&error_key(err.code), &err.args);
    let errors: Vec<_> = err
        .fields
        .iter()
        .map(|f| {
            json!({
                "field": f.field,
                "code": f.code,
                "message": lang.t_args(&error_key(f.code), &err.args),
            })
        })
        .chain(err.problems.iter().map(|p| {
            let mut message = lang.t(&error_key(p.code));
            if let Some(note) = &p.note {
                message.push(' ');
                message.push_str(note.get(lang.code()));
            }
            json!({ "field": p.path, "code": p.code, "message": message })
        }))
        .collect();
    let mut body = json!({
        "type": format!("/problems/{}", err.code),
        "title": title,
        "status": err.status().as_u16(),
        "code": err.code,
    });
    if !errors.is_empty() {
        body["errors"] = json!(errors);
    }
    if let Some(s) = err.retry_after_secs {
        body["retry_after"] = json!(s);
    }
    // Extension members a client acts on (RFC 9457 §3.2).
    for (name, value) in &err.args {
        if *name == "current_version"
            && let Ok(v) = value.parse::<i64>()
        {
            body["current_version"] = json!(v);
        }
        // What a changed application is now, so a client can show it.
        if *name == "current_status" {
            body["current_status"] = json!(value);
        }
        if *name == "alternatives" {
            let times: Vec<i64> = value.split(',').filter_map(|t| t.parse().ok()).collect();
            body["alternatives"] = json!(times);
        }
    }
    let mut res = (err.status(), body.to_string()).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    if let Some(s) = err.retry_after_secs
        && let Ok(v) = HeaderValue::from_str(&s.to_string())
    {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

pub async fn not_found() -> HttpError {
    AppError::not_found().into()
}

pub async fn method_not_allowed() -> HttpError {
    AppError::new(ErrorKind::Malformed, "method_not_allowed").into()
}
