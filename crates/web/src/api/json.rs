use crate::error::{AppError, ErrorKind, HttpError};
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

/// `Json<T>` whose every rejection is a problem document with a specific code.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = HttpError;

    async fn from_request(req: Request, state: &S) -> Result<Self, HttpError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(rejection) => Err(reject(rejection).into()),
        }
    }
}

fn reject(r: JsonRejection) -> AppError {
    match r {
        JsonRejection::JsonSyntaxError(_) => AppError::new(ErrorKind::Malformed, "json.syntax"),
        JsonRejection::JsonDataError(e) => {
            // serde names the field and what was expected; that is what the client needs.
            let detail = std::error::Error::source(&e)
                .map(ToString::to_string)
                .unwrap_or_else(|| e.body_text());
            AppError::new(ErrorKind::Invalid, "json.schema").arg("detail", detail)
        }
        JsonRejection::MissingJsonContentType(_) => {
            AppError::new(ErrorKind::Malformed, "json.content_type")
        }
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            AppError::new(ErrorKind::Malformed, "body.too_large")
        }
        other => {
            AppError::new(ErrorKind::Malformed, "json.syntax").arg("detail", other.body_text())
        }
    }
}

/// `Query<T>` whose rejection is a problem document (`400 query.invalid`,
/// naming the parameter), not axum's plain text.
pub struct ApiQuery<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = HttpError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, HttpError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Self(v)),
            Err(rejection) => {
                let detail = std::error::Error::source(&rejection)
                    .map(ToString::to_string)
                    .unwrap_or_else(|| rejection.body_text());
                Err(AppError::new(ErrorKind::Malformed, "query.invalid")
                    .arg("detail", detail)
                    .into())
            }
        }
    }
}
