//! The crate's error type.

/// Why a signature, a certificate chain or a demo operation was refused.
///
/// Every variant has a stable machine-readable [`code`](QesError::code) that
/// callers may put into API responses and logs; the `Display` text is for
/// people and may change. Messages never contain key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QesError {
    /// The input could not be parsed: PEM, DER, base64, an empty or overlong
    /// chain, a subject attribute in an impossible format, an empty challenge.
    #[error("malformed input: {0}")]
    Malformed(String),
    /// The chain does not lead to a root of the trust store: a link's issuer
    /// name does not match, or a certificate's signature does not verify with
    /// its issuer's key (which is how an impostor CA with a copied name fails).
    #[error("certificate chain is not trusted: {0}")]
    Untrusted(String),
    /// A certificate of the chain (or the root it ends at) expired before `now`.
    #[error("certificate expired: {0}")]
    Expired(String),
    /// A certificate of the chain (or the root it ends at) is valid only after `now`.
    #[error("certificate not yet valid: {0}")]
    NotYetValid(String),
    /// The personal certificate lacks keyUsage digitalSignature/nonRepudiation.
    #[error("certificate key usage does not allow signing: {0}")]
    KeyUsage(String),
    /// The first certificate of the chain is a CA certificate, not a personal one.
    #[error("certificate is not a personal certificate: {0}")]
    NotPersonal(String),
    /// A certificate that issued another one is not allowed to: it is not a CA
    /// (basicConstraints), lacks keyCertSign, or its path length is exceeded.
    #[error("issuer is not allowed to issue certificates: {0}")]
    BadIssuer(String),
    /// A certificate of the chain carries a critical extension this crate
    /// does not understand (RFC 5280 §4.2 requires refusing it).
    #[error("unsupported critical extension: {0}")]
    CriticalExtension(String),
    /// A key or signature algorithm this crate does not implement.
    #[error("unsupported algorithm: {0}")]
    UnsupportedAlgorithm(String),
    /// The signature over the challenge does not verify with the personal
    /// certificate's public key.
    #[error("signature does not verify")]
    BadSignature,
    /// The trust store PEM is unusable (no certificates, not a CA, ...).
    #[error("trust store: {0}")]
    TrustStore(String),
    /// A private key PEM could not be loaded for signing.
    #[error("private key: {0}")]
    Key(String),
    /// The demo CA tooling could not create a certificate.
    #[error("certificate generation: {0}")]
    Generation(String),
}

impl QesError {
    /// Stable code for the error, e.g. `"qes.untrusted"`.
    pub fn code(&self) -> &'static str {
        match self {
            QesError::Malformed(_) => "qes.malformed",
            QesError::Untrusted(_) => "qes.untrusted",
            QesError::Expired(_) => "qes.expired",
            QesError::NotYetValid(_) => "qes.not_yet_valid",
            QesError::KeyUsage(_) => "qes.key_usage",
            QesError::NotPersonal(_) => "qes.not_personal",
            QesError::BadIssuer(_) => "qes.bad_issuer",
            QesError::CriticalExtension(_) => "qes.critical_extension",
            QesError::UnsupportedAlgorithm(_) => "qes.unsupported_algorithm",
            QesError::BadSignature => "qes.bad_signature",
            QesError::TrustStore(_) => "qes.trust_store",
            QesError::Key(_) => "qes.key",
            QesError::Generation(_) => "qes.generation",
        }
    }
}
