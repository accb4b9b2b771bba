//! The one validation error of the domain: a stable machine code.
//!
//! Codes look like `snils.checksum`; the web layer maps each code to a message in
//! the Fluent catalogues (`err-snils-checksum`) and the API returns it verbatim,
//! so codes must never change once published.

/// A value from outside failed validation. `code` is stable and machine-readable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid value: {code}")]
pub struct Invalid {
    pub code: &'static str,
}

impl Invalid {
    pub const fn new(code: &'static str) -> Self {
        Self { code }
    }
}
