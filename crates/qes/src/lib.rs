//! Identity confirmation by qualified electronic signature (КЭП).
//!
//! The portal issues a random challenge; the person signs it with the
//! private key of a personal certificate issued by a trusted certification
//! authority; [`verify_signature`] checks the signature, the certificate
//! chain up to a [`TrustStore`] root, validity dates and key usage, and
//! returns the [`Signer`] named by the certificate (SNILS, INN, surname,
//! given name) for the caller to compare with the account.
//!
//! # Algorithms
//!
//! Real Russian qualified signatures use GOST R 34.10-2012 (with
//! GOST R 34.11-2012 hashes), which no maintained pure-Rust library
//! provides. This crate verifies ECDSA P-256/P-384 (SHA-256/384) and RSA
//! PKCS#1 v1.5 (SHA-256/384/512) instead, via `ring`. All verification
//! cryptography goes through one private function (`algo::verify`, with its
//! OID tables), so a GOST provider can replace it without touching the chain
//! logic.
//!
//! # Demo CA
//!
//! [`demo_ca`], [`issue_intermediate`], [`issue_personal`] and
//! [`sign_challenge`] create ECDSA P-256 certificates and signatures for
//! tests and demonstrations.
//!
//! ```
//! let now = 1_750_000_000;
//! let ca = qes::demo_ca("Демо УЦ", now - 86_400, now + 365 * 86_400)?;
//! let person = qes::issue_personal(&ca, &qes::PersonalSpec {
//!     snils: "11223344595".into(),
//!     inn: None,
//!     surname: "Иванов".into(),
//!     given_name: "Иван Иванович".into(),
//!     not_before_unix: now - 3_600,
//!     not_after_unix: now + 86_400,
//!     digital_signature: true,
//!     is_ca: false,
//! })?;
//! let challenge = b"migportal:qes:0f1e2d3c4b5a6978";
//! let signature = qes::sign_challenge(&person.key_pem, challenge)?;
//! let trust = qes::TrustStore::from_pem(&ca.cert_pem)?;
//! let signer = qes::verify_signature(challenge, &signature, &person.cert_pem, &trust, now)?;
//! assert_eq!(signer.snils.as_deref(), Some("11223344595"));
//! # Ok::<(), qes::QesError>(())
//! ```

mod algo;
mod demo;
mod der;
mod error;
mod verify;

pub use demo::{
    DemoCa, PersonalCert, PersonalSpec, demo_ca, issue_intermediate, issue_personal, sign_challenge,
};
pub use error::QesError;
pub use verify::{Signer, TrustStore, verify_signature};
