//! Request and response bodies of the registry API (see the crate docs).
//!
//! Requests carry personal data, so their `Debug` is redacted: a stray
//! `{:?}` in a log line must not leak it.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! redacted_debug {
    ($($t:ident),*) => {$(
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($t), " { .. }"))
            }
        }
    )*};
}

redacted_debug!(SnilsCheck, PassportCheck, ForeignDocumentCheck, InnCheck);

/// `POST /v1/snils/check`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnilsCheck {
    pub snils: String,
    pub surname: String,
    pub given_name: String,
    pub patronymic: Option<String>,
    pub birth_date: String,
}

/// `POST /v1/passports/check` (citizen's internal passport).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PassportCheck {
    pub series: String,
    pub number: String,
    pub issued_on: String,
    pub office_code: String,
    pub surname: String,
    pub given_name: String,
    pub patronymic: Option<String>,
    pub birth_date: String,
}

/// `POST /v1/foreign-documents/check` (foreign passport + migration card).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForeignDocumentCheck {
    pub passport_number: String,
    /// ISO 3166 alpha-3, e.g. "UZB".
    pub citizenship: String,
    pub migration_card: Option<String>,
    pub surname: String,
    pub given_name: String,
    pub birth_date: String,
}

/// `POST /v1/inn/check`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InnCheck {
    pub inn: String,
    pub surname: String,
    pub given_name: String,
    pub patronymic: Option<String>,
    pub birth_date: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SnilsOutcome {
    Match,
    Mismatch,
    NotFound,
}

/// Outcome of a passport or foreign-document check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentOutcome {
    Valid,
    Mismatch,
    /// Exists but declared invalid (lost, stolen, replaced, expired).
    Invalid,
    NotFound,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InnOutcome {
    Match,
    Mismatch,
    NotFound,
}

/// Successful answer of every `/v1` endpoint: `{"result": ...}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResponse<T> {
    pub result: T,
}

/// Error answer: `{"error": "...", "detail": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorResponse {
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl ErrorResponse {
    pub fn new(error: &str, detail: Option<String>) -> Self {
        Self {
            error: error.to_owned(),
            detail,
        }
    }
}
