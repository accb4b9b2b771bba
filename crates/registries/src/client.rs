//! HTTP client for the registry API, used by the portal's job worker.

use std::time::Duration;

use reqwest::Url;
use serde::{Serialize, de::DeserializeOwned};

use crate::wire::{
    CheckResponse, DocumentOutcome, ErrorResponse, ForeignDocumentCheck, InnCheck, InnOutcome,
    PassportCheck, SnilsCheck, SnilsOutcome,
};

/// Largest answer we accept; real answers are a few dozen bytes.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// Connection refused, timeout, 5xx or 429: retry later.
    #[error("registry unavailable: {0}")]
    Unavailable(String),
    /// 4xx other than 429: a configuration or protocol problem on our side.
    #[error("registry rejected the request: {0}")]
    Rejected(String),
    /// The answer could not be understood.
    #[error("registry protocol error: {0}")]
    Protocol(String),
}

impl RegistryError {
    /// True when the same request may succeed later.
    pub fn is_temporary(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

/// Client of one registry service. Cheap to clone (shares the connection pool).
///
/// Error messages hold only the endpoint, status and error code, never the
/// request data or the server's free-text detail (which may echo it).
#[derive(Clone)]
pub struct RegistryClient {
    http: reqwest::Client,
    base: Url,
    token: String,
}

impl std::fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryClient")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

impl RegistryClient {
    /// `timeout` bounds both connecting and the whole request.
    pub fn new(base_url: &str, token: &str, timeout: Duration) -> Result<Self, RegistryError> {
        // A trailing slash makes `join("v1/...")` keep any path prefix.
        let mut base = base_url.trim().to_owned();
        if !base.ends_with('/') {
            base.push('/');
        }
        let base = Url::parse(&base)
            .map_err(|e| RegistryError::Rejected(format!("invalid registry base url: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(RegistryError::Rejected(
                "registry base url must be http or https".into(),
            ));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(timeout)
            .timeout(timeout)
            // A redirect would be a misconfiguration; surface it as such.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| RegistryError::Rejected(format!("http client: {e}")))?;
        Ok(Self {
            http,
            base,
            token: token.to_owned(),
        })
    }

    pub async fn check_snils(&self, req: &SnilsCheck) -> Result<SnilsOutcome, RegistryError> {
        self.call("v1/snils/check", req).await
    }

    pub async fn check_passport(
        &self,
        req: &PassportCheck,
    ) -> Result<DocumentOutcome, RegistryError> {
        self.call("v1/passports/check", req).await
    }

    pub async fn check_foreign_document(
        &self,
        req: &ForeignDocumentCheck,
    ) -> Result<DocumentOutcome, RegistryError> {
        self.call("v1/foreign-documents/check", req).await
    }

    pub async fn check_inn(&self, req: &InnCheck) -> Result<InnOutcome, RegistryError> {
        self.call("v1/inn/check", req).await
    }

    async fn call<Req, Out>(&self, endpoint: &str, req: &Req) -> Result<Out, RegistryError>
    where
        Req: Serialize,
        Out: DeserializeOwned + std::fmt::Debug,
    {
        let result = self.call_inner(endpoint, req).await;
        match &result {
            Ok(outcome) => tracing::debug!(endpoint, ?outcome, "registry check answered"),
            Err(error) => tracing::warn!(endpoint, %error, "registry check failed"),
        }
        result
    }

    async fn call_inner<Req, Out>(&self, endpoint: &str, req: &Req) -> Result<Out, RegistryError>
    where
        Req: Serialize,
        Out: DeserializeOwned,
    {
        let url = self
            .base
            .join(endpoint)
            .map_err(|e| RegistryError::Rejected(format!("{endpoint}: bad url: {e}")))?;
        let mut resp = self
            .http
            .post(url)
            .bearer_auth(&self.token)
            .json(req)
            .send()
            .await
            .map_err(|e| transport_error(endpoint, &e))?;
        let status = resp.status();
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| transport_error(endpoint, &e))?
        {
            if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(RegistryError::Protocol(format!(
                    "{endpoint}: answer larger than {MAX_RESPONSE_BYTES} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }

        if status.is_success() {
            return serde_json::from_slice::<CheckResponse<Out>>(&body)
                .map(|r| r.result)
                .map_err(|e| RegistryError::Protocol(format!("{endpoint}: HTTP {status}: {e}")));
        }
        // Only the short error code: `detail` may echo request data.
        let code = serde_json::from_slice::<ErrorResponse>(&body)
            .map(|e| e.error.chars().take(64).collect::<String>())
            .unwrap_or_else(|_| "-".into());
        let msg = format!("{endpoint}: HTTP {status} ({code})");
        // 429 Too Many Requests, like a 5xx, says: try again later.
        if status.is_server_error() || status.as_u16() == 429 {
            Err(RegistryError::Unavailable(msg))
        } else if status.is_client_error() || status.is_redirection() {
            Err(RegistryError::Rejected(msg))
        } else {
            Err(RegistryError::Protocol(msg))
        }
    }
}

/// Any failure to talk to the server is worth retrying later.
fn transport_error(endpoint: &str, e: &reqwest::Error) -> RegistryError {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect failed"
    } else {
        "transport error"
    };
    // The cause only: the endpoint already says where.
    let detail = std::error::Error::source(e)
        .map(|s| s.to_string())
        .unwrap_or_default();
    RegistryError::Unavailable(format!("{endpoint}: {kind}: {detail}"))
}
