//! The types that cross the wire, and the callback's signature.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The statuses of the contract, as its answers use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    Ok = 200,
    Created = 201,
    NoContent = 204,
    SeeOther = 303,
    BadRequest = 400,
    Unauthorized = 401,
    NotFound = 404,
    Conflict = 409,
    Unavailable = 503,
}

impl Reply {
    pub const fn code(self) -> u16 {
        self as u16
    }
}

/// The header that carries a callback's signature.
pub const SIGNATURE_HEADER: &str = "x-signature";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePayment {
    /// The shop's id of the payment; creating it again is answered with the same payment.
    pub order_id: String,
    pub amount: i64,
    pub description: String,
    /// Where the person is sent back after paying or declining.
    pub return_url: String,
    /// Where the signed outcome is posted.
    pub callback_url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderStatus {
    Pending,
    Succeeded,
    Failed,
    Refunded,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderPayment {
    pub order_id: String,
    pub status: ProviderStatus,
    /// What was asked.
    pub amount: i64,
    /// What the payer paid (set once it succeeded).
    #[serde(default)]
    pub paid_amount: Option<i64>,
    pub pay_url: String,
}

/// The outcome the provider posts to the shop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Callback {
    pub order_id: String,
    pub status: ProviderStatus,
    /// The amount paid, kopecks.
    pub amount: i64,
}

/// `hex(HMAC-SHA256(secret, body))`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `signature` is the body's, compared in constant time.
pub fn verify(secret: &[u8], body: &[u8], signature: &str) -> bool {
    let Ok(given) = hex::decode(signature.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_is_bound_to_the_body_and_the_secret() {
        let body = br#"{"order_id":"1","status":"succeeded","amount":600000}"#;
        let s = sign(b"secret", body);
        assert_eq!(s.len(), 64);
        assert!(verify(b"secret", body, &s));
        assert!(!verify(b"other", body, &s));
        assert!(!verify(
            b"secret",
            br#"{"order_id":"1","status":"succeeded","amount":600001}"#,
            &s
        ));
        assert!(!verify(b"secret", body, "zz"));
        assert!(!verify(b"secret", body, ""));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]

        /// Whatever arrives at the callback — any bytes, any signature
        /// header — is judged without panic; only the body signed with the
        /// secret passes, and a signed body is read as a callback or refused.
        #[test]
        fn any_callback_is_judged_without_panic(
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256),
            signature in "\\PC{0,80}",
            order_id in "\\PC{0,40}",
            amount in proptest::prelude::any::<i64>(),
        ) {
            proptest::prop_assert!(!verify(b"secret", &body, &signature)
                || sign(b"secret", &body).eq_ignore_ascii_case(signature.trim()));
            let signed = sign(b"secret", &body);
            proptest::prop_assert!(verify(b"secret", &body, &signed));
            let _ = serde_json::from_slice::<Callback>(&body);
            let shaped = serde_json::json!({"order_id": order_id, "status": "succeeded", "amount": amount});
            let text = serde_json::to_vec(&shaped).unwrap_or_default();
            let cb: Callback = serde_json::from_slice(&text).map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
            proptest::prop_assert_eq!(cb.amount, amount);
        }
    }
}
