//! Demo certification authority: CA, intermediate and personal certificates
//! (ECDSA P-256), and challenge signing. For tests and demonstrations only —
//! keys are returned as unencrypted PKCS#8 PEM.

use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, DnValue,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
    PublicKeyData, SerialNumber, SigningKey,
};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use time::OffsetDateTime;

use crate::QesError;
use crate::der::read_tlv;
use crate::verify::{MAX_CHAIN_PEM_LEN, parse_der, parse_pem_certs};

/// A demo certification authority: its certificate and private key (PEM).
#[derive(Debug, Clone)]
pub struct DemoCa {
    /// The CA certificate, PEM. Put it into a [`TrustStore`](crate::TrustStore)
    /// (roots) or after a personal certificate in `chain_pem` (intermediates).
    pub cert_pem: String,
    /// The CA's private key, PKCS#8 PEM (unencrypted).
    pub key_pem: String,
}

/// A personal certificate and its private key (PEM).
#[derive(Debug, Clone)]
pub struct PersonalCert {
    /// The personal certificate, PEM.
    pub cert_pem: String,
    /// Its private key, PKCS#8 PEM (unencrypted); use with [`sign_challenge`].
    pub key_pem: String,
}

/// What to put into a personal certificate made by [`issue_personal`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalSpec {
    /// SNILS, 11 digits (written as NumericString, OID 1.2.643.100.3).
    pub snils: String,
    /// Personal INN, 12 digits (NumericString, OID 1.2.643.3.131.1.1).
    pub inn: Option<String>,
    /// Surname, e.g. "Иванов".
    pub surname: String,
    /// Given name and patronymic, e.g. "Иван Иванович".
    pub given_name: String,
    /// Start of validity, Unix seconds.
    pub not_before_unix: i64,
    /// End of validity, Unix seconds.
    pub not_after_unix: i64,
    /// `true` for a usable certificate (digitalSignature + nonRepudiation);
    /// `false` gives only keyAgreement, for negative tests.
    pub digital_signature: bool,
    /// `true` makes a CA certificate, for negative tests (misuse).
    pub is_ca: bool,
}

/// Creates a self-signed root CA (ECDSA P-256) named `CN=<common_name>, C=RU`.
pub fn demo_ca(
    common_name: &str,
    not_before_unix: i64,
    not_after_unix: i64,
) -> Result<DemoCa, QesError> {
    let params = ca_params(common_name, not_before_unix, not_after_unix)?;
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(gen_err)?;
    let cert = params.self_signed(&key).map_err(gen_err)?;
    Ok(DemoCa {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// Creates an intermediate CA (ECDSA P-256) named `CN=<common_name>, C=RU`,
/// issued by `ca`. Its result can issue personal certificates; present its
/// certificate after the personal one in `chain_pem`.
pub fn issue_intermediate(
    ca: &DemoCa,
    common_name: &str,
    not_before_unix: i64,
    not_after_unix: i64,
) -> Result<DemoCa, QesError> {
    let params = ca_params(common_name, not_before_unix, not_after_unix)?;
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(gen_err)?;
    let issuer = load_issuer(ca)?;
    let cert = params.signed_by(&key, &issuer).map_err(gen_err)?;
    Ok(DemoCa {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// Issues a personal certificate (ECDSA P-256) to the person in `spec`,
/// signed by `ca`. The subject holds CN ("surname given_name"), surname,
/// givenName, C=RU, SNILS and optionally INN, with SNILS and INN encoded as
/// NumericString as in real Russian qualified certificates.
pub fn issue_personal(ca: &DemoCa, spec: &PersonalSpec) -> Result<PersonalCert, QesError> {
    if !(spec.snils.len() == 11 && spec.snils.bytes().all(|b| b.is_ascii_digit())) {
        return Err(QesError::Generation("SNILS must be 11 digits".into()));
    }
    if let Some(inn) = &spec.inn
        && !(inn.len() == 12 && inn.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(QesError::Generation(
            "personal INN must be 12 digits".into(),
        ));
    }
    if spec.surname.trim().is_empty() || spec.given_name.trim().is_empty() {
        return Err(QesError::Generation(
            "surname and given name are required".into(),
        ));
    }

    let mut params = base_params(spec.not_before_unix, spec.not_after_unix)?;
    let mut dn = DistinguishedName::new();
    dn.push(
        DnType::CommonName,
        DnValue::Utf8String(format!("{} {}", spec.surname, spec.given_name)),
    );
    dn.push(
        DnType::CustomDnType(vec![2, 5, 4, 4]),
        DnValue::Utf8String(spec.surname.clone()),
    );
    dn.push(
        DnType::CustomDnType(vec![2, 5, 4, 42]),
        DnValue::Utf8String(spec.given_name.clone()),
    );
    dn.push(DnType::CountryName, printable("RU")?);
    // Written as PrintableString (rcgen has no NumericString) and retagged below.
    dn.push(
        DnType::CustomDnType(vec![1, 2, 643, 100, 3]),
        printable(&spec.snils)?,
    );
    if let Some(inn) = &spec.inn {
        dn.push(
            DnType::CustomDnType(vec![1, 2, 643, 3, 131, 1, 1]),
            printable(inn)?,
        );
    }
    params.distinguished_name = dn;
    params.use_authority_key_identifier_extension = true;
    params.key_usages = if spec.digital_signature {
        vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::ContentCommitment,
        ]
    } else {
        vec![KeyUsagePurpose::KeyAgreement]
    };
    if spec.is_ca {
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages.push(KeyUsagePurpose::KeyCertSign);
    } else {
        params.is_ca = IsCa::ExplicitNoCa;
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ClientAuth,
            ExtendedKeyUsagePurpose::EmailProtection,
        ];
    }

    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(gen_err)?;
    let issuer = load_issuer(ca)?;
    let cert = params.signed_by(&key, &issuer).map_err(gen_err)?;
    let der = retag_numeric_strings(cert.der(), issuer.key())?;
    Ok(PersonalCert {
        cert_pem: pem::encode(&pem::Pem::new("CERTIFICATE", der)),
        key_pem: key.serialize_pem(),
    })
}

/// Signs `challenge` with the private key in `key_pem` (PKCS#8 PEM, as made
/// by the demo functions): ECDSA P-256/SHA-256 (DER signature) or, for an
/// RSA key, RSA PKCS#1 v1.5/SHA-256. Returns standard base64.
///
/// This is what the person's signing tool (CryptoPro, a token plug-in) does
/// in production; the portal only ever calls [`verify_signature`](crate::verify_signature).
pub fn sign_challenge(key_pem: &str, challenge: &[u8]) -> Result<String, QesError> {
    let block = pem::parse(key_pem).map_err(|e| QesError::Key(format!("PEM: {e}")))?;
    if block.tag() != "PRIVATE KEY" {
        return Err(QesError::Key(format!(
            "expected a PKCS#8 \"PRIVATE KEY\" block, got {:?}",
            block.tag()
        )));
    }
    let rng = SystemRandom::new();
    let der = block.contents();
    let signature =
        if let Ok(kp) = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, der, &rng) {
            kp.sign(&rng, challenge)
                .map_err(|_| QesError::Key("ECDSA signing failed".into()))?
                .as_ref()
                .to_vec()
        } else if let Ok(kp) = RsaKeyPair::from_pkcs8(der) {
            let mut sig = vec![0u8; kp.public().modulus_len()];
            kp.sign(&RSA_PKCS1_SHA256, &rng, challenge, &mut sig)
                .map_err(|_| QesError::Key("RSA signing failed".into()))?;
            sig
        } else {
            return Err(QesError::Key(
                "not an ECDSA P-256 or RSA PKCS#8 private key".into(),
            ));
        };
    Ok(base64::engine::general_purpose::STANDARD.encode(signature))
}

fn gen_err(e: rcgen::Error) -> QesError {
    QesError::Generation(e.to_string())
}

fn printable(s: &str) -> Result<DnValue, QesError> {
    Ok(DnValue::PrintableString(
        s.try_into().map_err(|e: rcgen::Error| gen_err(e))?,
    ))
}

fn unix_to_time(unix: i64) -> Result<OffsetDateTime, QesError> {
    OffsetDateTime::from_unix_timestamp(unix)
        .map_err(|e| QesError::Generation(format!("timestamp {unix}: {e}")))
}

fn random_serial() -> Result<SerialNumber, QesError> {
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| QesError::Generation("no randomness".into()))?;
    // Positive and without a leading zero byte.
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    Ok(SerialNumber::from_slice(&bytes))
}

fn base_params(not_before_unix: i64, not_after_unix: i64) -> Result<CertificateParams, QesError> {
    if not_after_unix <= not_before_unix {
        return Err(QesError::Generation(
            "not_after must be later than not_before".into(),
        ));
    }
    let mut params = CertificateParams::default();
    params.not_before = unix_to_time(not_before_unix)?;
    params.not_after = unix_to_time(not_after_unix)?;
    params.serial_number = Some(random_serial()?);
    Ok(params)
}

fn ca_params(
    common_name: &str,
    not_before_unix: i64,
    not_after_unix: i64,
) -> Result<CertificateParams, QesError> {
    if common_name.trim().is_empty() {
        return Err(QesError::Generation("CA common name is required".into()));
    }
    let mut params = base_params(not_before_unix, not_after_unix)?;
    let mut dn = DistinguishedName::new();
    dn.push(
        DnType::CommonName,
        DnValue::Utf8String(common_name.to_owned()),
    );
    dn.push(DnType::CountryName, printable("RU")?);
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.use_authority_key_identifier_extension = true;
    Ok(params)
}

/// Loads a [`DemoCa`] as an rcgen issuer, checking that its key belongs to
/// its certificate and that rcgen can take its name.
fn load_issuer(ca: &DemoCa) -> Result<Issuer<'static, KeyPair>, QesError> {
    let key = KeyPair::from_pem(&ca.key_pem).map_err(|e| QesError::Key(e.to_string()))?;
    let ders = parse_pem_certs(&ca.cert_pem, 1, MAX_CHAIN_PEM_LEN)
        .map_err(|e| QesError::Generation(format!("CA certificate: {e}")))?;
    let der = ders
        .first()
        .ok_or_else(|| QesError::Generation("CA certificate missing".into()))?;
    {
        let cert =
            parse_der(der).map_err(|e| QesError::Generation(format!("CA certificate: {e}")))?;
        if cert.public_key().raw != key.subject_public_key_info().as_slice() {
            return Err(QesError::Key(
                "the CA key does not belong to the CA certificate".into(),
            ));
        }
        // rcgen takes exactly one attribute per RDN (and panics on none).
        if cert.subject().iter_rdn().any(|rdn| rdn.iter().count() != 1) {
            return Err(QesError::Generation(
                "CA subject must have one attribute per RDN".into(),
            ));
        }
    }
    Issuer::from_ca_cert_der(&der.as_slice().into(), key).map_err(gen_err)
}

// Byte patterns "OID SNILS / OID INN, then PrintableString tag".
const SNILS_PRINTABLE: &[u8] = &[0x06, 0x05, 0x2a, 0x85, 0x03, 0x64, 0x03, 0x13];
const INN_PRINTABLE: &[u8] = &[
    0x06, 0x08, 0x2a, 0x85, 0x03, 0x03, 0x81, 0x03, 0x01, 0x01, 0x13,
];
const TAG_NUMERIC_STRING: u8 = 0x12;

/// Re-encodes the SNILS and INN values of a freshly generated certificate
/// as NumericString (same length, tag byte only) and re-signs it.
fn retag_numeric_strings(der: &[u8], ca_key: &KeyPair) -> Result<Vec<u8>, QesError> {
    let bad = || QesError::Generation("unexpected certificate encoding".into());
    // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }
    let (tag, content, _) = read_tlv(der).ok_or_else(bad)?;
    if tag != 0x30 {
        return Err(bad());
    }
    let (_, _, tbs_len) = read_tlv(content).ok_or_else(bad)?;
    let tbs = content.get(..tbs_len).ok_or_else(bad)?;
    let after_tbs = content.get(tbs_len..).ok_or_else(bad)?;
    let (_, _, alg_len) = read_tlv(after_tbs).ok_or_else(bad)?;
    let sig_alg = after_tbs.get(..alg_len).ok_or_else(bad)?;

    let mut tbs = tbs.to_vec();
    for pattern in [SNILS_PRINTABLE, INN_PRINTABLE] {
        if let Some(pos) = tbs.windows(pattern.len()).position(|w| w == pattern) {
            tbs[pos + pattern.len() - 1] = TAG_NUMERIC_STRING;
        }
    }
    let signature = ca_key.sign(&tbs).map_err(gen_err)?;
    let mut bit_string = Vec::with_capacity(signature.len() + 1);
    bit_string.push(0u8);
    bit_string.extend_from_slice(&signature);

    let mut body = tbs;
    body.extend_from_slice(sig_alg);
    body.extend(write_tlv(0x03, &bit_string));
    Ok(write_tlv(0x30, &body))
}

fn write_tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}
