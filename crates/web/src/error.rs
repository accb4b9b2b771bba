//! Where an `app` error becomes HTTP: its kind maps to a status here, once;
//! the body is written by `localize_problems` (API) or the page's error
//! summary, in the request's language.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub use app::error::{AppError, ErrorKind};

/// The one place an error's kind becomes an HTTP status.
pub trait HttpStatus {
    fn status(&self) -> StatusCode;
}

impl HttpStatus for AppError {
    fn status(&self) -> StatusCode {
        match self.kind {
            ErrorKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
            // What made a request unreadable is HTTP's business: told by the code.
            ErrorKind::Malformed => match self.code {
                "body.too_large" => StatusCode::PAYLOAD_TOO_LARGE,
                "json.content_type" => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "method_not_allowed" => StatusCode::METHOD_NOT_ALLOWED,
                "application.version_required" => StatusCode::PRECONDITION_REQUIRED,
                _ => StatusCode::BAD_REQUEST,
            },
            ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            // A conflict about a field (a phone of another account) is
            // still a conflict, not a validation failure.
            ErrorKind::Conflict => StatusCode::CONFLICT,
            ErrorKind::Throttled => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// An `app` error on its way out of a handler.
#[derive(Debug)]
pub struct HttpError(pub AppError);

impl From<AppError> for HttpError {
    fn from(e: AppError) -> Self {
        Self(e)
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        // The body is written by `localize_problems`, which knows the language.
        let mut res = self.0.status().into_response();
        res.extensions_mut().insert(self.0);
        res
    }
}
