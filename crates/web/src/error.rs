//! The one error type of the HTTP layer. Each has a stable code; the message
//! comes from the catalogue of the request's language (filled in by
//! `localize_problems`), so handlers never write text.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::identity::FieldError;
use store::StoreError;

#[derive(Debug, Clone)]
pub struct AppError {
    pub status: StatusCode,
    pub code: &'static str,
    pub fields: Vec<FieldError>,
    /// Values for the message's placeables.
    pub args: Vec<(&'static str, String)>,
    pub retry_after_secs: Option<u64>,
}

impl AppError {
    pub fn new(status: StatusCode, code: &'static str) -> Self {
        Self {
            status,
            code,
            fields: Vec::new(),
            args: Vec::new(),
            retry_after_secs: None,
        }
    }

    pub fn arg(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }

    /// One or more fields are wrong; nothing was changed.
    pub fn invalid(fields: Vec<FieldError>) -> Self {
        let mut e = Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        e.fields = fields;
        e
    }

    pub fn field(field: &'static str, code: &'static str) -> Self {
        Self::invalid(vec![FieldError { field, code }])
    }

    /// Too many tries: wait `ms` before the next one.
    pub fn throttled(code: &'static str, ms: i64) -> Self {
        let secs = u64::try_from((ms + 999) / 1000).unwrap_or(1).max(1);
        let mut e = Self::new(StatusCode::TOO_MANY_REQUESTS, code).arg("seconds", secs);
        e.retry_after_secs = Some(secs);
        e
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found")
    }

    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated")
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        // The cause stays in the log; the person sees only the code.
        tracing::error!(error = %cause, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal")
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::not_found(),
            // A refused rule with its own stable code (`domain::confirmation`).
            StoreError::Conflict(code) if code.contains('.') => {
                Self::new(StatusCode::CONFLICT, code)
            }
            StoreError::Conflict(field) => {
                let code = match field {
                    "phone" => "phone.taken",
                    "email" => "email.taken",
                    "snils" => "snils.taken",
                    _ => return Self::internal(format!("unexpected conflict on {field}")),
                };
                let mut err = Self::field(field, code);
                err.status = StatusCode::CONFLICT;
                err
            }
            other => Self::internal(other),
        }
    }
}

impl From<crate::security::password::HashError> for AppError {
    fn from(e: crate::security::password::HashError) -> Self {
        match e {
            crate::security::password::HashError::Busy => {
                let mut err = Self::new(StatusCode::SERVICE_UNAVAILABLE, "busy");
                err.retry_after_secs = Some(1);
                err
            }
            other => Self::internal(other),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        // The body is written by `localize_problems`, which knows the language.
        let mut res = self.status.into_response();
        res.extensions_mut().insert(self);
        res
    }
}
