//! Government registry checks for the "standard" account level.
//!
//! Three registries confirm a person's identity data over HTTP/JSON:
//! the pension fund (SNILS), the interior ministry (citizen and foreign
//! passports) and the tax service (INN). This crate holds
//! [the wire types](wire), [the HTTP client](client) used by the job
//! worker and [the registry simulator](sim) used for demos and tests.
//!
//! # Wire contract
//!
//! Every request carries `Authorization: Bearer <token>`; a missing or wrong
//! token gets `401 {"error":"unauthorized"}`. Bodies are JSON, at most
//! 16 KiB (larger: `413 {"error":"payload_too_large"}`). Identifiers travel
//! as strings in canonical digit form (already validated by the caller);
//! dates are ISO `YYYY-MM-DD`; an absent patronymic is `null`.
//!
//! | endpoint | body | `result` |
//! |---|---|---|
//! | `POST /v1/snils/check` | `snils, surname, given_name, patronymic, birth_date` | `match`, `mismatch`, `not_found` |
//! | `POST /v1/passports/check` | `series, number, issued_on, office_code ("770-001"), surname, given_name, patronymic, birth_date` | `valid`, `mismatch`, `invalid`, `not_found` |
//! | `POST /v1/foreign-documents/check` | `passport_number, citizenship (ISO alpha-3), migration_card (nullable), surname, given_name, birth_date` | `valid`, `mismatch`, `invalid`, `not_found` |
//! | `POST /v1/inn/check` | `inn, surname, given_name, patronymic, birth_date` | `match`, `mismatch`, `not_found` |
//!
//! Answers are `200 {"result": "..."}`. For documents, `invalid` means the
//! document exists but is declared invalid (lost, stolen, replaced,
//! expired) and wins over `mismatch`, which means the document exists but
//! the person or document data differ.
//!
//! A malformed request gets `400 {"error":"bad_request","detail":"..."}`;
//! a registry that is down answers `503 {"error":"unavailable"}`. Unknown
//! request fields are rejected (400).
//!
//! Names compare case-insensitively, with `Ё` ≡ `Е`, after trimming.

pub mod client;
pub mod sim;
pub mod wire;

pub use client::{RegistryClient, RegistryError};
pub use wire::{
    DocumentOutcome, ForeignDocumentCheck, InnCheck, InnOutcome, PassportCheck, SnilsCheck,
    SnilsOutcome,
};

#[cfg(test)]
mod tests;
