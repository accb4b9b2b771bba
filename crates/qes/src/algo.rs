//! The only module that knows signature algorithms.
//!
//! Everything else in the crate calls [`verify`] with a public key
//! (SubjectPublicKeyInfo), a [`SigAlg`] and the signed bytes. Real Russian
//! qualified signatures use GOST R 34.10-2012 with GOST R 34.11-2012
//! (Streebog) hashes; a GOST provider would add its OIDs to
//! [`SigAlg::for_certificate`] and [`SigAlg::for_challenge`] and a branch to
//! [`verify`], nothing else.

use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use x509_parser::x509::{AlgorithmIdentifier, SubjectPublicKeyInfo};

const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const CURVE_P256: &str = "1.2.840.10045.3.1.7";
const CURVE_P384: &str = "1.3.132.0.34";

const ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
const ECDSA_SHA384: &str = "1.2.840.10045.4.3.3";
const RSA_SHA256: &str = "1.2.840.113549.1.1.11";
const RSA_SHA384: &str = "1.2.840.113549.1.1.12";
const RSA_SHA512: &str = "1.2.840.113549.1.1.13";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    Ecdsa,
    RsaPkcs1,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

/// A signature scheme: key family plus hash, and whether a fixed-length
/// (`r || s`) ECDSA encoding is accepted besides DER.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SigAlg {
    family: Family,
    hash: Hash,
    allow_fixed: bool,
}

/// Why [`verify`] said no.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AlgoError {
    /// Key type, curve or signature algorithm not implemented.
    Unsupported(String),
    /// The signature is wrong (or the key bytes are unusable).
    Invalid,
}

impl SigAlg {
    /// The scheme named by a certificate's `signatureAlgorithm`.
    pub(crate) fn for_certificate(alg: &AlgorithmIdentifier<'_>) -> Result<Self, AlgoError> {
        let oid = alg.algorithm.to_id_string();
        let (family, hash) = match oid.as_str() {
            ECDSA_SHA256 => (Family::Ecdsa, Hash::Sha256),
            ECDSA_SHA384 => (Family::Ecdsa, Hash::Sha384),
            RSA_SHA256 => (Family::RsaPkcs1, Hash::Sha256),
            RSA_SHA384 => (Family::RsaPkcs1, Hash::Sha384),
            RSA_SHA512 => (Family::RsaPkcs1, Hash::Sha512),
            _ => return Err(AlgoError::Unsupported(format!("signature algorithm {oid}"))),
        };
        Ok(SigAlg {
            family,
            hash,
            allow_fixed: false,
        })
    }

    /// The scheme used to sign an identification challenge with `key`:
    /// ECDSA/SHA-256 (DER or raw `r || s`) or RSA PKCS#1 v1.5/SHA-256.
    pub(crate) fn for_challenge(key: &SubjectPublicKeyInfo<'_>) -> Result<Self, AlgoError> {
        let family = key_family(key)?;
        Ok(SigAlg {
            family,
            hash: Hash::Sha256,
            allow_fixed: true,
        })
    }
}

fn key_family(key: &SubjectPublicKeyInfo<'_>) -> Result<Family, AlgoError> {
    let oid = key.algorithm.algorithm.to_id_string();
    match oid.as_str() {
        EC_PUBLIC_KEY => Ok(Family::Ecdsa),
        RSA_ENCRYPTION => Ok(Family::RsaPkcs1),
        _ => Err(AlgoError::Unsupported(format!(
            "public key algorithm {oid}"
        ))),
    }
}

fn curve(key: &SubjectPublicKeyInfo<'_>) -> Result<&'static str, AlgoError> {
    let oid = key
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .map(|o| o.to_id_string())
        .ok_or_else(|| AlgoError::Unsupported("EC key without a named curve".into()))?;
    match oid.as_str() {
        CURVE_P256 => Ok(CURVE_P256),
        CURVE_P384 => Ok(CURVE_P384),
        _ => Err(AlgoError::Unsupported(format!("elliptic curve {oid}"))),
    }
}

/// Verifies `sig` over `msg` with the public key `key` under scheme `alg`.
///
/// This is the single point where cryptography happens during verification;
/// replace it (and the OID tables above) to support GOST R 34.10-2012.
pub(crate) fn verify(
    key: &SubjectPublicKeyInfo<'_>,
    alg: SigAlg,
    msg: &[u8],
    sig: &[u8],
) -> Result<(), AlgoError> {
    let family = key_family(key)?;
    if family != alg.family {
        return Err(AlgoError::Unsupported(
            "signature algorithm does not match the key type".into(),
        ));
    }
    if key.subject_public_key.unused_bits != 0 {
        return Err(AlgoError::Invalid);
    }
    let key_bytes: &[u8] = &key.subject_public_key.data;
    let candidates: Vec<&'static dyn VerificationAlgorithm> = match family {
        Family::Ecdsa => {
            let curve = curve(key)?;
            // Fixed-size r||s: 64 bytes for P-256, 96 for P-384.
            let fixed_len = if curve == CURVE_P256 { 64 } else { 96 };
            let use_fixed = alg.allow_fixed && sig.len() == fixed_len;
            let asn1: &'static dyn VerificationAlgorithm = match (curve, alg.hash) {
                (CURVE_P256, Hash::Sha256) => &signature::ECDSA_P256_SHA256_ASN1,
                (CURVE_P256, Hash::Sha384) => &signature::ECDSA_P256_SHA384_ASN1,
                (_, Hash::Sha256) => &signature::ECDSA_P384_SHA256_ASN1,
                (_, Hash::Sha384) => &signature::ECDSA_P384_SHA384_ASN1,
                (_, Hash::Sha512) => {
                    return Err(AlgoError::Unsupported("ECDSA with SHA-512".into()));
                }
            };
            // ring has fixed-size verifiers only for the matching hash.
            let fixed: Option<&'static dyn VerificationAlgorithm> = match (curve, alg.hash) {
                (CURVE_P256, Hash::Sha256) => Some(&signature::ECDSA_P256_SHA256_FIXED),
                (CURVE_P384, Hash::Sha384) => Some(&signature::ECDSA_P384_SHA384_FIXED),
                _ => None,
            };
            match fixed {
                Some(fixed) if use_fixed => vec![fixed, asn1],
                _ => vec![asn1],
            }
        }
        Family::RsaPkcs1 => match alg.hash {
            Hash::Sha256 => vec![&signature::RSA_PKCS1_2048_8192_SHA256],
            Hash::Sha384 => vec![&signature::RSA_PKCS1_2048_8192_SHA384],
            Hash::Sha512 => vec![&signature::RSA_PKCS1_2048_8192_SHA512],
        },
    };
    if candidates.into_iter().any(|a| {
        UnparsedPublicKey::new(a, key_bytes)
            .verify(msg, sig)
            .is_ok()
    }) {
        Ok(())
    } else {
        Err(AlgoError::Invalid)
    }
}
