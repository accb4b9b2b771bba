//! The portal's side of the contract.

use crate::wire::{CreatePayment, ProviderPayment, Reply};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum AcquirerError {
    /// Not reached, timed out, or answered 5xx: try again later.
    #[error("payment provider unavailable: {0}")]
    Unavailable(String),
    /// Answered, but refused (4xx) or with a body that is not the contract.
    #[error("payment provider refused: {0}")]
    Refused(String),
}

#[derive(Clone)]
pub struct AcquirerClient {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl AcquirerClient {
    pub fn new(base: &str, token: &str, timeout: Duration) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
        })
    }

    pub async fn create(&self, p: &CreatePayment) -> Result<ProviderPayment, AcquirerError> {
        let r = self
            .http
            .post(format!("{}/v1/payments", self.base))
            .bearer_auth(&self.token)
            .json(p)
            .send()
            .await;
        answer(r)
            .await?
            .ok_or_else(|| AcquirerError::Refused("not found".into()))
    }

    /// The payment as the provider knows it; `None` when it knows none.
    pub async fn status(&self, order_id: &str) -> Result<Option<ProviderPayment>, AcquirerError> {
        let r = self
            .http
            .get(format!("{}/v1/payments/{order_id}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await;
        answer(r).await
    }

    pub async fn refund(&self, order_id: &str) -> Result<ProviderPayment, AcquirerError> {
        let r = self
            .http
            .post(format!("{}/v1/payments/{order_id}/refund", self.base))
            .bearer_auth(&self.token)
            .send()
            .await;
        answer(r)
            .await?
            .ok_or_else(|| AcquirerError::Refused("not found".into()))
    }
}

async fn answer(
    r: Result<reqwest::Response, reqwest::Error>,
) -> Result<Option<ProviderPayment>, AcquirerError> {
    let r = r.map_err(|e| AcquirerError::Unavailable(e.to_string()))?;
    let status = r.status().as_u16();
    if status == Reply::NotFound.code() {
        return Ok(None);
    }
    if status >= 500 {
        return Err(AcquirerError::Unavailable(status.to_string()));
    }
    if !(200..300).contains(&status) {
        return Err(AcquirerError::Refused(status.to_string()));
    }
    r.json::<ProviderPayment>()
        .await
        .map(Some)
        .map_err(|e| AcquirerError::Refused(e.to_string()))
}
