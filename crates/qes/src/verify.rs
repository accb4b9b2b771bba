//! Trust store, chain validation and challenge signature verification.

use base64::Engine as _;
use x509_parser::certificate::X509Certificate;
use x509_parser::der_parser::asn1_rs::{Any, Class, Tag};
use x509_parser::prelude::FromDer;
use x509_parser::x509::X509Name;

use crate::QesError;
use crate::algo::{self, AlgoError, SigAlg};

/// Longest `chain_pem` accepted, in bytes.
pub(crate) const MAX_CHAIN_PEM_LEN: usize = 512 * 1024;
/// Longest trust store PEM accepted, in bytes (the Russian list of
/// accredited CAs is a few hundred certificates).
const MAX_TRUST_PEM_LEN: usize = 32 * 1024 * 1024;
/// Most certificates accepted in a chain (leaf + intermediates [+ root]).
const MAX_CHAIN: usize = 8;
/// Longest base64 signature accepted, in characters.
const MAX_SIGNATURE_B64_LEN: usize = 8 * 1024;
/// Longest challenge accepted, in bytes.
const MAX_CHALLENGE_LEN: usize = 64 * 1024;

const OID_SNILS: &str = "1.2.643.100.3";
const OID_INN: &str = "1.2.643.3.131.1.1";
const OID_SURNAME: &str = "2.5.4.4";
const OID_GIVEN_NAME: &str = "2.5.4.42";
const OID_COMMON_NAME: &str = "2.5.4.3";

/// The certification authorities whose certificates the portal accepts.
///
/// Holds one or more root (or other anchor) CA certificates. A chain is
/// trusted when it ends at a certificate whose signature verifies with the
/// public key of one of these — names alone never establish trust.
#[derive(Debug, Clone)]
pub struct TrustStore {
    roots: Vec<Vec<u8>>,
}

impl TrustStore {
    /// Loads trusted CA certificates from PEM text (one or more
    /// `-----BEGIN CERTIFICATE-----` blocks; text between blocks is ignored).
    ///
    /// Every certificate must parse and be a CA (basicConstraints cA=true,
    /// and keyCertSign if it has a keyUsage extension). Validity dates are
    /// checked at verification time, not here.
    pub fn from_pem(pem: &str) -> Result<Self, QesError> {
        let ders =
            parse_pem_certs(pem, usize::MAX, MAX_TRUST_PEM_LEN).map_err(QesError::TrustStore)?;
        for (i, der) in ders.iter().enumerate() {
            let cert = parse_der(der)
                .map_err(|e| QesError::TrustStore(format!("certificate {}: {e}", i + 1)))?;
            let ca = cert
                .basic_constraints()
                .map_err(|e| QesError::TrustStore(format!("certificate {}: {e}", i + 1)))?
                .is_some_and(|bc| bc.value.ca);
            if !ca {
                return Err(QesError::TrustStore(format!(
                    "certificate {} ({}) is not a CA",
                    i + 1,
                    cert.subject()
                )));
            }
            let ku = cert
                .key_usage()
                .map_err(|e| QesError::TrustStore(format!("certificate {}: {e}", i + 1)))?;
            if ku.is_some_and(|ku| !ku.value.key_cert_sign()) {
                return Err(QesError::TrustStore(format!(
                    "certificate {} ({}) lacks keyCertSign",
                    i + 1,
                    cert.subject()
                )));
            }
        }
        Ok(TrustStore { roots: ders })
    }

    /// Number of trusted certificates.
    pub fn len(&self) -> usize {
        self.roots.len()
    }

    /// Whether the store holds no certificates (never true for a store made
    /// by [`TrustStore::from_pem`]).
    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }
}

/// Who a verified personal certificate names, read from its subject.
///
/// Attribute values are returned as written in the certificate (decoded
/// from UTF8String, PrintableString, NumericString, IA5String, BMPString or
/// UniversalString); compare them with the account using your own
/// normalisation (case, `ё`/`е`, whitespace).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    /// SNILS (OID 1.2.643.100.3), exactly 11 digits without separators.
    pub snils: Option<String>,
    /// Personal INN (OID 1.2.643.3.131.1.1), exactly 12 digits.
    pub inn: Option<String>,
    /// Surname (2.5.4.4), e.g. "Иванов".
    pub surname: Option<String>,
    /// Given name (2.5.4.42); in Russian QES this holds "Имя Отчество".
    pub given_name: Option<String>,
    /// Common name (2.5.4.3).
    pub common_name: Option<String>,
    /// Serial number of the personal certificate, lowercase hex, no leading zeros.
    pub serial_hex: String,
    /// Issuer distinguished name of the personal certificate, RFC 4514-like text.
    pub issuer: String,
    /// End of the personal certificate's validity, Unix seconds.
    pub not_after_unix: i64,
}

/// Verifies that `signature_b64` is a signature over `challenge` made with
/// the key of the personal certificate at the head of `chain_pem`, and that
/// this certificate is trustworthy at `now_unix`.
///
/// * `chain_pem`: the personal (leaf) certificate first, optionally followed
///   by intermediate CA certificates in issuing order (and optionally the
///   root itself).
/// * `signature_b64`: base64 (standard or URL-safe, padding optional) of an
///   ECDSA signature — DER `Ecdsa-Sig-Value` or raw `r || s` — or of an RSA
///   PKCS#1 v1.5 signature, always with SHA-256 over `challenge`.
///
/// Checks, in order: parsing (`qes.malformed`); every link's issuer/subject
/// names match and its signature verifies with the issuer's key, ending at a
/// certificate signed by a trust store root (`qes.untrusted`); every
/// certificate including that root valid at `now_unix` (`qes.expired`,
/// `qes.not_yet_valid`); no unknown critical extensions
/// (`qes.critical_extension`); every issuing certificate is a CA with
/// keyCertSign within its path length (`qes.bad_issuer`); the leaf is not a
/// CA (`qes.not_personal`) and has keyUsage digitalSignature or
/// nonRepudiation (`qes.key_usage`); the challenge signature verifies
/// (`qes.bad_signature`); finally SNILS/INN have the right format
/// (`qes.malformed`).
///
/// Revocation (CRL/OCSP) is not checked.
pub fn verify_signature(
    challenge: &[u8],
    signature_b64: &str,
    chain_pem: &str,
    trust: &TrustStore,
    now_unix: i64,
) -> Result<Signer, QesError> {
    if challenge.is_empty() || challenge.len() > MAX_CHALLENGE_LEN {
        return Err(QesError::Malformed(
            "challenge must be 1..=65536 bytes".into(),
        ));
    }
    let ders =
        parse_pem_certs(chain_pem, MAX_CHAIN, MAX_CHAIN_PEM_LEN).map_err(QesError::Malformed)?;
    let mut certs = Vec::with_capacity(ders.len());
    for (i, der) in ders.iter().enumerate() {
        certs.push(
            parse_der(der)
                .map_err(|e| QesError::Malformed(format!("certificate {}: {e}", i + 1)))?,
        );
    }
    let mut roots = Vec::with_capacity(trust.roots.len());
    for der in &trust.roots {
        roots.push(parse_der(der).map_err(QesError::TrustStore)?);
    }
    let signature = decode_base64(signature_b64)?;

    let (path, anchor) = build_path(&certs, &roots)?;

    for cert in path.iter().copied().chain(std::iter::once(anchor)) {
        check_validity(cert, now_unix)?;
    }
    for cert in &path {
        check_extensions(cert)?;
    }
    for (i, issuer) in path.iter().enumerate().skip(1) {
        check_issuer(issuer, i - 1, true)?;
    }
    check_issuer(anchor, path.len() - 1, false)?;

    let leaf = path[0];
    check_leaf(leaf)?;

    let key = leaf.public_key();
    let alg = SigAlg::for_challenge(key).map_err(algo_to_signature_error)?;
    algo::verify(key, alg, challenge, &signature).map_err(algo_to_signature_error)?;

    let subject = leaf.subject();
    let snils = single_attribute(subject, OID_SNILS, "SNILS")?;
    if let Some(s) = &snils
        && !all_digits(s, 11)
    {
        return Err(QesError::Malformed("SNILS is not 11 digits".into()));
    }
    let inn = single_attribute(subject, OID_INN, "INN")?;
    if let Some(s) = &inn
        && !all_digits(s, 12)
    {
        return Err(QesError::Malformed("personal INN is not 12 digits".into()));
    }
    Ok(Signer {
        snils,
        inn,
        surname: single_attribute(subject, OID_SURNAME, "surname")?,
        given_name: single_attribute(subject, OID_GIVEN_NAME, "givenName")?,
        common_name: single_attribute(subject, OID_COMMON_NAME, "commonName")?,
        serial_hex: serial_hex(&leaf.tbs_certificate.serial.to_bytes_be()),
        issuer: leaf.issuer().to_string(),
        not_after_unix: leaf.validity().not_after.timestamp(),
    })
}

/// Splits PEM text (at most `max_len` bytes) into DER certificates; at most
/// `max` of them.
pub(crate) fn parse_pem_certs(
    pem: &str,
    max: usize,
    max_len: usize,
) -> Result<Vec<Vec<u8>>, String> {
    if pem.len() > max_len {
        return Err("PEM text is too long".into());
    }
    let blocks = pem::parse_many(pem).map_err(|e| format!("PEM: {e}"))?;
    if blocks.is_empty() {
        return Err("no PEM certificate found".into());
    }
    if blocks.len() > max {
        return Err(format!("more than {max} certificates"));
    }
    blocks
        .into_iter()
        .map(|b| {
            if b.tag() == "CERTIFICATE" {
                Ok(b.into_contents())
            } else {
                Err(format!("unexpected PEM block {:?}", b.tag()))
            }
        })
        .collect()
}

/// Parses one DER certificate, refusing trailing bytes.
pub(crate) fn parse_der(der: &[u8]) -> Result<X509Certificate<'_>, String> {
    // x509-parser does not check the outer tags; insist on exact DER there.
    if !crate::der::certificate_envelope_ok(der) {
        return Err("not a DER certificate envelope".into());
    }
    match X509Certificate::from_der(der) {
        Ok(([], cert)) => Ok(cert),
        Ok(_) => Err("trailing bytes after the certificate".into()),
        Err(e) => Err(format!("DER: {e}")),
    }
}

fn decode_base64(s: &str) -> Result<Vec<u8>, QesError> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    if s.len() > MAX_SIGNATURE_B64_LEN {
        return Err(QesError::Malformed("signature is too long".into()));
    }
    let compact: String = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if compact.is_empty() {
        return Err(QesError::Malformed("signature is empty".into()));
    }
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(&compact).ok())
        .ok_or_else(|| QesError::Malformed("signature is not base64".into()))
}

/// Whether `child` names `parent` as issuer and `parent`'s key verifies
/// `child`'s signature.
fn issued_by(child: &X509Certificate<'_>, parent: &X509Certificate<'_>) -> Result<bool, QesError> {
    if child.issuer().as_raw() != parent.subject().as_raw() {
        return Ok(false);
    }
    if child.signature_algorithm != child.tbs_certificate.signature {
        return Ok(false);
    }
    let alg = match SigAlg::for_certificate(&child.signature_algorithm) {
        Ok(alg) => alg,
        Err(AlgoError::Unsupported(what)) => return Err(QesError::UnsupportedAlgorithm(what)),
        Err(AlgoError::Invalid) => return Ok(false),
    };
    if child.signature_value.unused_bits != 0 {
        return Ok(false);
    }
    match algo::verify(
        parent.public_key(),
        alg,
        child.tbs_certificate.as_ref(),
        &child.signature_value.data,
    ) {
        Ok(()) => Ok(true),
        Err(AlgoError::Invalid) => Ok(false),
        Err(AlgoError::Unsupported(what)) => Err(QesError::UnsupportedAlgorithm(what)),
    }
}

/// Walks from the leaf through the supplied certificates until one is
/// signed by a trusted root. Returns the path (leaf first, without the
/// anchor) and the anchor.
fn build_path<'c, 'a>(
    certs: &'c [X509Certificate<'a>],
    roots: &'c [X509Certificate<'a>],
) -> Result<(Vec<&'c X509Certificate<'a>>, &'c X509Certificate<'a>), QesError> {
    let mut path: Vec<&X509Certificate<'_>> = Vec::new();
    for (i, cert) in certs.iter().enumerate() {
        if i > 0
            && let Some(root) = roots.iter().find(|r| r.as_raw() == cert.as_raw())
        {
            // The chain carries the trusted root itself; it was reached by a
            // verified link, so it is the anchor.
            return Ok((path, root));
        }
        path.push(cert);
        for root in roots {
            if issued_by(cert, root)? {
                return Ok((path, root));
            }
        }
        match certs.get(i + 1) {
            Some(next) if issued_by(cert, next)? => {}
            Some(_) => {
                return Err(QesError::Untrusted(format!(
                    "certificate {} ({}) was not issued by certificate {} and by no trusted root",
                    i + 1,
                    cert.subject(),
                    i + 2
                )));
            }
            None => {
                return Err(QesError::Untrusted(format!(
                    "no trusted root issued {} (issuer {})",
                    cert.subject(),
                    cert.issuer()
                )));
            }
        }
    }
    Err(QesError::Untrusted("empty chain".into()))
}

fn check_validity(cert: &X509Certificate<'_>, now: i64) -> Result<(), QesError> {
    let v = cert.validity();
    if now < v.not_before.timestamp() {
        return Err(QesError::NotYetValid(format!(
            "{} is valid from {}",
            cert.subject(),
            v.not_before
        )));
    }
    if now > v.not_after.timestamp() {
        return Err(QesError::Expired(format!(
            "{} expired at {}",
            cert.subject(),
            v.not_after
        )));
    }
    Ok(())
}

fn check_extensions(cert: &X509Certificate<'_>) -> Result<(), QesError> {
    for ext in cert.extensions() {
        let parsed = ext.parsed_extension();
        if parsed.error().is_some() {
            return Err(QesError::Malformed(format!(
                "{}: extension {} does not parse",
                cert.subject(),
                ext.oid
            )));
        }
        if ext.critical && parsed.unsupported() {
            return Err(QesError::CriticalExtension(format!(
                "{}: {}",
                cert.subject(),
                ext.oid
            )));
        }
    }
    Ok(())
}

/// `cas_below`: how many intermediate CAs lie between this issuer and the
/// leaf. `require_key_usage`: an intermediate must carry keyUsage; an old
/// root without it is tolerated.
fn check_issuer(
    cert: &X509Certificate<'_>,
    cas_below: usize,
    require_key_usage: bool,
) -> Result<(), QesError> {
    let subject = cert.subject();
    let bc = cert
        .basic_constraints()
        .map_err(|e| QesError::Malformed(format!("{subject}: basicConstraints: {e}")))?;
    let Some(bc) = bc.filter(|bc| bc.value.ca) else {
        return Err(QesError::BadIssuer(format!("{subject} is not a CA")));
    };
    if let Some(max) = bc.value.path_len_constraint
        && cas_below > max as usize
    {
        return Err(QesError::BadIssuer(format!(
            "{subject}: path length constraint {max} exceeded"
        )));
    }
    let ku = cert
        .key_usage()
        .map_err(|e| QesError::Malformed(format!("{subject}: keyUsage: {e}")))?;
    match ku {
        Some(ku) if ku.value.key_cert_sign() => Ok(()),
        None if !require_key_usage => Ok(()),
        _ => Err(QesError::BadIssuer(format!("{subject} lacks keyCertSign"))),
    }
}

fn check_leaf(leaf: &X509Certificate<'_>) -> Result<(), QesError> {
    let subject = leaf.subject();
    let bc = leaf
        .basic_constraints()
        .map_err(|e| QesError::Malformed(format!("{subject}: basicConstraints: {e}")))?;
    if bc.is_some_and(|bc| bc.value.ca) {
        return Err(QesError::NotPersonal(format!(
            "{subject} is a CA certificate"
        )));
    }
    let ku = leaf
        .key_usage()
        .map_err(|e| QesError::Malformed(format!("{subject}: keyUsage: {e}")))?;
    let Some(ku) = ku else {
        return Err(QesError::KeyUsage(format!(
            "{subject} has no keyUsage extension"
        )));
    };
    if ku.value.key_cert_sign() {
        return Err(QesError::NotPersonal(format!(
            "{subject} may sign certificates"
        )));
    }
    if !(ku.value.digital_signature() || ku.value.non_repudiation()) {
        return Err(QesError::KeyUsage(format!(
            "{subject} lacks digitalSignature and nonRepudiation"
        )));
    }
    Ok(())
}

fn algo_to_signature_error(e: AlgoError) -> QesError {
    match e {
        AlgoError::Unsupported(what) => QesError::UnsupportedAlgorithm(what),
        AlgoError::Invalid => QesError::BadSignature,
    }
}

/// The value of attribute `oid`, if present exactly once.
fn single_attribute(
    name: &X509Name<'_>,
    oid: &str,
    label: &str,
) -> Result<Option<String>, QesError> {
    let mut found = None;
    for attr in name.iter_attributes() {
        if attr.attr_type().to_id_string() != oid {
            continue;
        }
        if found.is_some() {
            return Err(QesError::Malformed(format!(
                "{label} appears more than once"
            )));
        }
        let value = decode_string(attr.attr_value())
            .ok_or_else(|| QesError::Malformed(format!("{label} is not a readable string")))?;
        found = Some(value);
    }
    Ok(found)
}

/// Decodes an X.520 directory string of any of the usual ASN.1 string types.
pub(crate) fn decode_string(any: &Any<'_>) -> Option<String> {
    if any.class() != Class::Universal || any.header.is_constructed() {
        return None;
    }
    let data: &[u8] = any.data;
    match any.tag() {
        Tag::Utf8String
        | Tag::PrintableString
        | Tag::NumericString
        | Tag::Ia5String
        | Tag::VisibleString => std::str::from_utf8(data).ok().map(str::to_owned),
        Tag::BmpString => {
            if !data.len().is_multiple_of(2) {
                return None;
            }
            let units: Vec<u16> = data
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        Tag::UniversalString => {
            if !data.len().is_multiple_of(4) {
                return None;
            }
            data.chunks_exact(4)
                .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
                .collect()
        }
        // T.61 in practice carries Latin-1.
        Tag::T61String => Some(data.iter().map(|&b| char::from(b)).collect()),
        _ => None,
    }
}

fn all_digits(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit())
}

fn serial_hex(bytes: &[u8]) -> String {
    let trimmed: &[u8] = match bytes.iter().position(|&b| b != 0) {
        Some(i) => &bytes[i..],
        None => &[0],
    };
    trimmed.iter().map(|b| format!("{b:02x}")).collect()
}
