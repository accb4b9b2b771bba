//! The one error type of the use cases. Each has a kind and a stable code;
//! the message comes from the catalogue of the reader's language, so no use
//! case writes text. The web layer maps the kind to a status in one place.

use domain::identity::FieldError;
use store::StoreError;

/// What kind of failure an error is; the web layer maps it to an HTTP
/// status in one place ([`HttpStatus`]), the CLI and jobs to their own terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Input that breaks a rule; `fields` says which.
    Invalid,
    /// A request that could not be read at all (broken JSON, a body too
    /// large or of another type): the code says which.
    Malformed,
    /// Nobody is signed in (or the session ended).
    Unauthenticated,
    /// Signed in, but not allowed.
    Forbidden,
    NotFound,
    /// The state of things does not allow it now (already done, changed meanwhile).
    Conflict,
    /// Too many tries; `retry_after_secs` says when to come back, when known.
    Throttled,
    /// A part the portal needs is not there or is busy.
    Unavailable,
    Internal,
}

#[derive(Debug, Clone)]
pub struct AppError {
    pub kind: ErrorKind,
    pub code: &'static str,
    pub fields: Vec<FieldError>,
    /// Problems of an application's answers, each at a JSON Pointer.
    pub problems: Vec<domain::form::Problem>,
    /// Values for the message's placeables.
    pub args: Vec<(&'static str, String)>,
    pub retry_after_secs: Option<u64>,
}

impl AppError {
    pub fn new(kind: ErrorKind, code: &'static str) -> Self {
        Self {
            kind,
            code,
            fields: Vec::new(),
            problems: Vec::new(),
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
        let mut e = Self::new(ErrorKind::Invalid, "validation_failed");
        e.fields = fields;
        e
    }

    /// An application's answers break rules; every problem at its path.
    pub fn answers(problems: Vec<domain::form::Problem>) -> Self {
        let mut e = Self::new(ErrorKind::Invalid, "validation_failed");
        e.problems = problems;
        e
    }

    pub fn field(field: &'static str, code: &'static str) -> Self {
        Self::invalid(vec![FieldError { field, code }])
    }

    /// Too many tries: wait `ms` before the next one.
    pub fn throttled(code: &'static str, ms: i64) -> Self {
        let secs = u64::try_from((ms + 999) / 1000).unwrap_or(1).max(1);
        let mut e = Self::new(ErrorKind::Throttled, code).arg("seconds", secs);
        e.retry_after_secs = Some(secs);
        e
    }

    pub fn not_found() -> Self {
        Self::new(ErrorKind::NotFound, "not_found")
    }

    pub fn unauthenticated() -> Self {
        Self::new(ErrorKind::Unauthenticated, "unauthenticated")
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        // The cause stays in the log; the person sees only the code.
        tracing::error!(error = %cause, "internal error");
        Self::new(ErrorKind::Internal, "internal")
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::not_found(),
            // Another request under a used key: the client's mistake (IETF draft: 422).
            StoreError::Conflict("idempotency.mismatch") => {
                Self::new(ErrorKind::Invalid, "idempotency.mismatch")
            }
            // A refused rule with its own stable code (`domain::confirmation`).
            StoreError::Conflict(code) if code.contains('.') => {
                Self::new(ErrorKind::Conflict, code)
            }
            StoreError::Conflict(field) => {
                let code = match field {
                    "phone" => "phone.taken",
                    "email" => "email.taken",
                    "snils" => "snils.taken",
                    _ => return Self::internal(format!("unexpected conflict on {field}")),
                };
                let mut err = Self::field(field, code);
                err.kind = ErrorKind::Conflict;
                err
            }
            other => Self::internal(other),
        }
    }
}

impl From<crate::credentials::password::HashError> for AppError {
    fn from(e: crate::credentials::password::HashError) -> Self {
        match e {
            crate::credentials::password::HashError::Busy => {
                let mut err = Self::new(ErrorKind::Unavailable, "busy");
                err.retry_after_secs = Some(1);
                err
            }
            other => Self::internal(other),
        }
    }
}
