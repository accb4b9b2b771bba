//! End-to-end tests: demo CA → personal certificate → signed challenge →
//! verification, plus every refusal path and garbage input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::Engine as _;
use qes::{
    DemoCa, PersonalCert, PersonalSpec, QesError, TrustStore, demo_ca, issue_intermediate,
    issue_personal, sign_challenge, verify_signature,
};

const NOW: i64 = 1_750_000_000; // 2025-06-15
const DAY: i64 = 86_400;
const CHALLENGE: &[u8] = b"migportal:qes:7d4c0f3a9b1e2d5c";

fn ca(name: &str) -> DemoCa {
    demo_ca(name, NOW - 365 * DAY, NOW + 5 * 365 * DAY).unwrap()
}

fn spec() -> PersonalSpec {
    PersonalSpec {
        snils: "11223344595".into(),
        inn: Some("500100732259".into()),
        surname: "Иванов".into(),
        given_name: "Иван Иванович".into(),
        not_before_unix: NOW - 30 * DAY,
        not_after_unix: NOW + 365 * DAY,
        digital_signature: true,
        is_ca: false,
    }
}

fn trust(ca: &DemoCa) -> TrustStore {
    TrustStore::from_pem(&ca.cert_pem).unwrap()
}

fn person(ca: &DemoCa) -> PersonalCert {
    issue_personal(ca, &spec()).unwrap()
}

fn verify(
    person: &PersonalCert,
    chain_pem: &str,
    trust: &TrustStore,
) -> Result<qes::Signer, QesError> {
    let sig = sign_challenge(&person.key_pem, CHALLENGE).unwrap();
    verify_signature(CHALLENGE, &sig, chain_pem, trust, NOW)
}

fn code(r: Result<qes::Signer, QesError>) -> &'static str {
    match r {
        Ok(s) => panic!("expected an error, got {s:?}"),
        Err(e) => e.code(),
    }
}

fn pem_to_der(pem: &str) -> Vec<u8> {
    pem::parse(pem).unwrap().into_contents()
}

fn der_to_pem(der: &[u8]) -> String {
    pem::encode(&pem::Pem::new("CERTIFICATE", der.to_vec()))
}

#[test]
fn valid_personal_certificate_reads_back_the_person() {
    let ca = ca("Демо УЦ migportal");
    let p = person(&ca);
    let signer = verify(&p, &p.cert_pem, &trust(&ca)).unwrap();
    assert_eq!(signer.snils.as_deref(), Some("11223344595"));
    assert_eq!(signer.inn.as_deref(), Some("500100732259"));
    assert_eq!(signer.surname.as_deref(), Some("Иванов"));
    assert_eq!(signer.given_name.as_deref(), Some("Иван Иванович"));
    assert_eq!(signer.common_name.as_deref(), Some("Иванов Иван Иванович"));
    assert_eq!(signer.not_after_unix, NOW + 365 * DAY);
    assert!(
        signer.issuer.contains("Демо УЦ migportal"),
        "{}",
        signer.issuer
    );
    assert!(signer.serial_hex.len() == 32, "{}", signer.serial_hex);
    assert!(
        signer
            .serial_hex
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
}

#[test]
fn snils_and_inn_are_numeric_strings() {
    use x509_parser::der_parser::asn1_rs::Tag;
    use x509_parser::prelude::FromDer;
    let ca = ca("Демо УЦ");
    let der = pem_to_der(&person(&ca).cert_pem);
    let (_, cert) = x509_parser::certificate::X509Certificate::from_der(&der).unwrap();
    let tags: Vec<(String, Tag)> = cert
        .subject()
        .iter_attributes()
        .map(|a| (a.attr_type().to_id_string(), a.attr_value().tag()))
        .collect();
    assert!(
        tags.contains(&("1.2.643.100.3".into(), Tag::NumericString)),
        "{tags:?}"
    );
    assert!(
        tags.contains(&("1.2.643.3.131.1.1".into(), Tag::NumericString)),
        "{tags:?}"
    );
    assert!(
        tags.contains(&("2.5.4.4".into(), Tag::Utf8String)),
        "{tags:?}"
    );
}

#[test]
fn person_without_inn() {
    let ca = ca("Демо УЦ");
    let p = issue_personal(
        &ca,
        &PersonalSpec {
            inn: None,
            ..spec()
        },
    )
    .unwrap();
    let signer = verify(&p, &p.cert_pem, &trust(&ca)).unwrap();
    assert_eq!(signer.inn, None);
    assert_eq!(signer.snils.as_deref(), Some("11223344595"));
}

#[test]
fn raw_r_s_and_lenient_base64_signatures_are_accepted() {
    use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
    let ca = ca("Демо УЦ");
    let p = person(&ca);
    let t = trust(&ca);
    let rng = ring::rand::SystemRandom::new();
    let kp = EcdsaKeyPair::from_pkcs8(
        &ECDSA_P256_SHA256_FIXED_SIGNING,
        &pem_to_der(&p.key_pem),
        &rng,
    )
    .unwrap();
    let raw = kp.sign(&rng, CHALLENGE).unwrap();
    assert_eq!(raw.as_ref().len(), 64);
    let b64 = base64::engine::general_purpose::STANDARD.encode(raw.as_ref());
    verify_signature(CHALLENGE, &b64, &p.cert_pem, &t, NOW).unwrap();

    let der_sig = base64::engine::general_purpose::STANDARD
        .decode(sign_challenge(&p.key_pem, CHALLENGE).unwrap())
        .unwrap();
    let url_no_pad = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&der_sig);
    verify_signature(CHALLENGE, &url_no_pad, &p.cert_pem, &t, NOW).unwrap();
    let std = base64::engine::general_purpose::STANDARD.encode(&der_sig);
    let wrapped = format!("{}\n{}\n", &std[..20], &std[20..]);
    verify_signature(CHALLENGE, &wrapped, &p.cert_pem, &t, NOW).unwrap();
}

#[test]
fn signature_over_another_challenge_is_refused() {
    let ca = ca("Демо УЦ");
    let p = person(&ca);
    let sig = sign_challenge(&p.key_pem, b"another challenge").unwrap();
    let r = verify_signature(CHALLENGE, &sig, &p.cert_pem, &trust(&ca), NOW);
    assert_eq!(code(r), "qes.bad_signature");
}

#[test]
fn signature_by_another_persons_key_is_refused() {
    let ca = ca("Демо УЦ");
    let p = person(&ca);
    let other = person(&ca);
    let sig = sign_challenge(&other.key_pem, CHALLENGE).unwrap();
    let r = verify_signature(CHALLENGE, &sig, &p.cert_pem, &trust(&ca), NOW);
    assert_eq!(code(r), "qes.bad_signature");
}

#[test]
fn expired_and_not_yet_valid_leaf() {
    let ca = ca("Демо УЦ");
    let t = trust(&ca);
    let expired = issue_personal(
        &ca,
        &PersonalSpec {
            not_before_unix: NOW - 100 * DAY,
            not_after_unix: NOW - DAY,
            ..spec()
        },
    )
    .unwrap();
    assert_eq!(code(verify(&expired, &expired.cert_pem, &t)), "qes.expired");

    let future = issue_personal(
        &ca,
        &PersonalSpec {
            not_before_unix: NOW + DAY,
            not_after_unix: NOW + 100 * DAY,
            ..spec()
        },
    )
    .unwrap();
    assert_eq!(
        code(verify(&future, &future.cert_pem, &t)),
        "qes.not_yet_valid"
    );

    // Boundaries are inclusive.
    let edge = issue_personal(
        &ca,
        &PersonalSpec {
            not_before_unix: NOW,
            not_after_unix: NOW + 1,
            ..spec()
        },
    )
    .unwrap();
    let sig = sign_challenge(&edge.key_pem, CHALLENGE).unwrap();
    verify_signature(CHALLENGE, &sig, &edge.cert_pem, &t, NOW).unwrap();
    verify_signature(CHALLENGE, &sig, &edge.cert_pem, &t, NOW + 1).unwrap();
    let r = verify_signature(CHALLENGE, &sig, &edge.cert_pem, &t, NOW + 2);
    assert_eq!(code(r), "qes.expired");
    let r = verify_signature(CHALLENGE, &sig, &edge.cert_pem, &t, NOW - 1);
    assert_eq!(code(r), "qes.not_yet_valid");
}

#[test]
fn expired_or_future_root_is_refused() {
    let old = demo_ca("Старый УЦ", NOW - 10 * 365 * DAY, NOW - DAY).unwrap();
    let p = person(&old);
    assert_eq!(code(verify(&p, &p.cert_pem, &trust(&old))), "qes.expired");

    let future = demo_ca("Будущий УЦ", NOW + DAY, NOW + 10 * 365 * DAY).unwrap();
    let p = person(&future);
    assert_eq!(
        code(verify(&p, &p.cert_pem, &trust(&future))),
        "qes.not_yet_valid"
    );
}

#[test]
fn certificate_from_another_ca_is_untrusted() {
    let trusted = ca("Доверенный УЦ");
    let other = ca("Посторонний УЦ");
    let p = person(&other);
    assert_eq!(
        code(verify(&p, &p.cert_pem, &trust(&trusted))),
        "qes.untrusted"
    );
    // Presenting the foreign CA in the chain does not help.
    let chain = format!("{}{}", p.cert_pem, other.cert_pem);
    assert_eq!(code(verify(&p, &chain, &trust(&trusted))), "qes.untrusted");
}

#[test]
fn impostor_ca_with_identical_name_is_untrusted() {
    let trusted = ca("Демо УЦ migportal");
    let impostor = ca("Демо УЦ migportal");
    // The names really are byte-identical.
    let name = |pem: &str| {
        use x509_parser::prelude::FromDer;
        let der = pem_to_der(pem);
        let (_, c) = x509_parser::certificate::X509Certificate::from_der(&der).unwrap();
        c.subject().as_raw().to_vec()
    };
    assert_eq!(name(&trusted.cert_pem), name(&impostor.cert_pem));

    let p = person(&impostor);
    let t = trust(&trusted);
    assert_eq!(code(verify(&p, &p.cert_pem, &t)), "qes.untrusted");
    let chain = format!("{}{}", p.cert_pem, impostor.cert_pem);
    assert_eq!(code(verify(&p, &chain, &t)), "qes.untrusted");
    // Impostor CA cert followed by the real root: the impostor is not signed by it.
    let chain = format!("{}{}{}", p.cert_pem, impostor.cert_pem, trusted.cert_pem);
    assert_eq!(code(verify(&p, &chain, &t)), "qes.untrusted");
}

#[test]
fn leaf_without_digital_signature_is_refused() {
    let ca = ca("Демо УЦ");
    let p = issue_personal(
        &ca,
        &PersonalSpec {
            digital_signature: false,
            ..spec()
        },
    )
    .unwrap();
    assert_eq!(code(verify(&p, &p.cert_pem, &trust(&ca))), "qes.key_usage");
}

#[test]
fn leaf_that_is_a_ca_is_not_personal() {
    let ca = ca("Демо УЦ");
    let p = issue_personal(
        &ca,
        &PersonalSpec {
            is_ca: true,
            ..spec()
        },
    )
    .unwrap();
    assert_eq!(
        code(verify(&p, &p.cert_pem, &trust(&ca))),
        "qes.not_personal"
    );
}

#[test]
fn trusted_root_presented_as_leaf_is_not_personal() {
    let ca = ca("Демо УЦ");
    let sig = sign_challenge(&ca.key_pem, CHALLENGE).unwrap();
    let r = verify_signature(CHALLENGE, &sig, &ca.cert_pem, &trust(&ca), NOW);
    assert_eq!(code(r), "qes.not_personal");
}

#[test]
fn every_single_byte_tampering_is_refused() {
    let ca = ca("Демо УЦ");
    let p = person(&ca);
    let t = trust(&ca);
    let sig = sign_challenge(&p.key_pem, CHALLENGE).unwrap();
    let der = pem_to_der(&p.cert_pem);
    for i in 0..der.len() {
        for flip in [0x01u8, 0x80] {
            let mut bad = der.clone();
            bad[i] ^= flip;
            let r = verify_signature(CHALLENGE, &sig, &der_to_pem(&bad), &t, NOW);
            match r {
                Err(QesError::Malformed(_) | QesError::Untrusted(_)) => {}
                other => panic!("byte {i} ^ {flip:#x}: {other:?}"),
            }
        }
    }
}

#[test]
fn chain_with_intermediate() {
    let root = ca("Корневой УЦ");
    let inter =
        issue_intermediate(&root, "Подчинённый УЦ", NOW - 100 * DAY, NOW + 1000 * DAY).unwrap();
    let p = person(&inter);
    let t = trust(&root);

    let chain = format!("{}{}", p.cert_pem, inter.cert_pem);
    let signer = verify(&p, &chain, &t).unwrap();
    assert_eq!(signer.surname.as_deref(), Some("Иванов"));
    assert!(signer.issuer.contains("Подчинённый УЦ"));

    // With the root appended as well.
    let chain_with_root = format!("{}{}{}", p.cert_pem, inter.cert_pem, root.cert_pem);
    verify(&p, &chain_with_root, &t).unwrap();

    // Missing intermediate, or wrong order.
    assert_eq!(code(verify(&p, &p.cert_pem, &t)), "qes.untrusted");
    let reversed = format!("{}{}", inter.cert_pem, p.cert_pem);
    assert!(verify(&p, &reversed, &t).is_err());

    // Trusting the intermediate directly also works.
    verify(&p, &p.cert_pem, &trust(&inter)).unwrap();
}

#[test]
fn expired_intermediate_is_refused() {
    let root = ca("Корневой УЦ");
    let inter = issue_intermediate(&root, "Подчинённый УЦ", NOW - 100 * DAY, NOW - DAY).unwrap();
    let p = person(&inter);
    let chain = format!("{}{}", p.cert_pem, inter.cert_pem);
    assert_eq!(code(verify(&p, &chain, &trust(&root))), "qes.expired");
}

/// An issuer made directly with rcgen, to build chains the demo tooling refuses to make.
fn custom_issuer(
    root: &DemoCa,
    name: &str,
    is_ca: rcgen::IsCa,
    usages: Vec<rcgen::KeyUsagePurpose>,
) -> DemoCa {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    params.not_before = time::OffsetDateTime::from_unix_timestamp(NOW - 100 * DAY).unwrap();
    params.not_after = time::OffsetDateTime::from_unix_timestamp(NOW + 100 * DAY).unwrap();
    params.is_ca = is_ca;
    params.key_usages = usages;
    let root_key = rcgen::KeyPair::from_pem(&root.key_pem).unwrap();
    let issuer = rcgen::Issuer::from_ca_cert_pem(&root.cert_pem, root_key).unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();
    DemoCa {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    }
}

#[test]
fn certificate_issued_by_a_non_ca_is_refused() {
    use rcgen::{BasicConstraints, IsCa, KeyUsagePurpose as Ku};
    let root = ca("Корневой УЦ");
    let t = trust(&root);
    let cases = [
        (
            "не УЦ",
            IsCa::ExplicitNoCa,
            vec![Ku::DigitalSignature, Ku::KeyCertSign],
        ),
        (
            "без basicConstraints",
            IsCa::NoCa,
            vec![Ku::DigitalSignature, Ku::KeyCertSign],
        ),
        (
            "без keyCertSign",
            IsCa::Ca(BasicConstraints::Unconstrained),
            vec![Ku::DigitalSignature],
        ),
        (
            "без keyUsage",
            IsCa::Ca(BasicConstraints::Unconstrained),
            vec![],
        ),
    ];
    for (name, is_ca, usages) in cases {
        let middle = custom_issuer(&root, name, is_ca, usages);
        let p = person(&middle);
        let chain = format!("{}{}", p.cert_pem, middle.cert_pem);
        assert_eq!(code(verify(&p, &chain, &t)), "qes.bad_issuer", "{name}");
    }

    // Path length: root -> A (pathlen 0) -> B -> leaf exceeds A's constraint.
    let a = custom_issuer(
        &root,
        "УЦ A",
        IsCa::Ca(BasicConstraints::Constrained(0)),
        vec![Ku::KeyCertSign],
    );
    let b = issue_intermediate(&a, "УЦ B", NOW - DAY, NOW + DAY).unwrap();
    let p = person(&b);
    let chain = format!("{}{}{}", p.cert_pem, b.cert_pem, a.cert_pem);
    assert_eq!(code(verify(&p, &chain, &t)), "qes.bad_issuer");
    // ...while a leaf directly under A is fine.
    let p = person(&a);
    verify(&p, &format!("{}{}", p.cert_pem, a.cert_pem), &t).unwrap();
}

#[test]
fn trust_store_with_several_roots() {
    let a = ca("УЦ А");
    let b = ca("УЦ Б");
    let t = TrustStore::from_pem(&format!("{}\n{}", a.cert_pem, b.cert_pem)).unwrap();
    assert_eq!(t.len(), 2);
    let pa = person(&a);
    let pb = person(&b);
    verify(&pa, &pa.cert_pem, &t).unwrap();
    verify(&pb, &pb.cert_pem, &t).unwrap();
}

#[test]
fn trust_store_refuses_bad_input() {
    let ca = ca("УЦ");
    let p = person(&ca);
    for bad in [
        "",
        "hello",
        &p.cert_pem,
        &ca.key_pem,
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    ] {
        let e = TrustStore::from_pem(bad).unwrap_err();
        assert_eq!(e.code(), "qes.trust_store", "{bad:?}: {e}");
    }
}

#[test]
fn demo_tooling_validates_its_input() {
    let ca = ca("УЦ");
    for s in [
        PersonalSpec {
            snils: "123".into(),
            ..spec()
        },
        PersonalSpec {
            snils: "1122334459x".into(),
            ..spec()
        },
        PersonalSpec {
            inn: Some("7707083893".into()),
            ..spec()
        },
        PersonalSpec {
            surname: " ".into(),
            ..spec()
        },
        PersonalSpec {
            not_after_unix: NOW - 40 * DAY,
            ..spec()
        },
    ] {
        assert_eq!(
            issue_personal(&ca, &s).unwrap_err().code(),
            "qes.generation",
            "{s:?}"
        );
    }
    assert!(demo_ca("", NOW, NOW + DAY).is_err());
    assert!(demo_ca("УЦ", NOW, NOW).is_err());
    assert!(demo_ca("УЦ", i64::MAX - 1, i64::MAX).is_err());
    // A CA whose key does not match its certificate.
    let other = self::ca("Другой");
    let mixed = DemoCa {
        cert_pem: ca.cert_pem.clone(),
        key_pem: other.key_pem,
    };
    assert_eq!(
        issue_personal(&mixed, &spec()).unwrap_err().code(),
        "qes.key"
    );
    assert_eq!(sign_challenge("nope", b"x").unwrap_err().code(), "qes.key");
    assert_eq!(
        sign_challenge(&ca.cert_pem, b"x").unwrap_err().code(),
        "qes.key"
    );
}

#[test]
fn empty_challenge_and_bad_base64_are_malformed() {
    let ca = ca("УЦ");
    let p = person(&ca);
    let t = trust(&ca);
    let sig = sign_challenge(&p.key_pem, b"").unwrap();
    assert_eq!(
        code(verify_signature(b"", &sig, &p.cert_pem, &t, NOW)),
        "qes.malformed"
    );
    assert_eq!(
        code(verify_signature(CHALLENGE, "***", &p.cert_pem, &t, NOW)),
        "qes.malformed"
    );
    assert_eq!(
        code(verify_signature(CHALLENGE, "", &p.cert_pem, &t, NOW)),
        "qes.malformed"
    );
    assert_eq!(
        code(verify_signature(CHALLENGE, "AAAA", &p.cert_pem, &t, NOW)),
        "qes.bad_signature"
    );
    assert_eq!(code(verify(&p, "", &t)), "qes.malformed");
    assert_eq!(code(verify(&p, &p.key_pem, &t)), "qes.malformed");
    let too_long: String = std::iter::repeat_n(p.cert_pem.as_str(), 9).collect();
    assert_eq!(code(verify(&p, &too_long, &t)), "qes.malformed");
}

/// xorshift64*: deterministic, no extra dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn bytes(&mut self, max: usize) -> Vec<u8> {
        let n = (self.next() as usize) % (max + 1);
        (0..n).map(|_| self.next() as u8).collect()
    }
    fn string(&mut self, max: usize) -> String {
        String::from_utf8_lossy(&self.bytes(max)).into_owned()
    }
}

#[test]
fn garbage_never_panics() {
    let ca = ca("УЦ");
    let p = person(&ca);
    let t = trust(&ca);
    let sig = sign_challenge(&p.key_pem, CHALLENGE).unwrap();
    let der = pem_to_der(&p.cert_pem);
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..3000 {
        // Random strings everywhere.
        let _ = verify_signature(
            &rng.bytes(64),
            &rng.string(200),
            &rng.string(400),
            &t,
            rng.next() as i64,
        );
        let _ = TrustStore::from_pem(&rng.string(400));
        let _ = sign_challenge(&rng.string(300), &rng.bytes(10));
        // Random DER in a PEM wrapper, and random base64 signatures.
        let junk_pem = der_to_pem(&rng.bytes(600));
        let _ = verify_signature(CHALLENGE, &b64.encode(rng.bytes(120)), &junk_pem, &t, NOW);
        let _ = TrustStore::from_pem(&junk_pem);
        // Mutations of a valid certificate: a few random bytes changed, or truncated.
        let mut bad = der.clone();
        for _ in 0..(1 + rng.next() % 4) {
            let i = (rng.next() as usize) % bad.len();
            bad[i] = rng.next() as u8;
        }
        if round % 3 == 0 {
            bad.truncate((rng.next() as usize) % der.len());
        }
        let r = verify_signature(CHALLENGE, &sig, &der_to_pem(&bad), &t, NOW);
        if bad != der {
            assert!(r.is_err(), "round {round}: mutated certificate accepted");
        }
        let _ = TrustStore::from_pem(&der_to_pem(&bad));
        let _ = issue_personal(
            &DemoCa {
                cert_pem: der_to_pem(&bad),
                key_pem: ca.key_pem.clone(),
            },
            &spec(),
        );
        // Random raw signatures of plausible lengths.
        let raw: Vec<u8> = (0..[64usize, 70, 71, 72][round % 4])
            .map(|_| rng.next() as u8)
            .collect();
        let r = verify_signature(CHALLENGE, &b64.encode(raw), &p.cert_pem, &t, NOW);
        assert_eq!(code(r), "qes.bad_signature");
    }
    // Extreme clocks.
    for now in [i64::MIN, -1, 0, i64::MAX] {
        assert!(verify_signature(CHALLENGE, &sig, &p.cert_pem, &t, now).is_err());
    }
}

#[test]
fn error_codes_are_stable() {
    let all = [
        (QesError::Malformed(String::new()), "qes.malformed"),
        (QesError::Untrusted(String::new()), "qes.untrusted"),
        (QesError::Expired(String::new()), "qes.expired"),
        (QesError::NotYetValid(String::new()), "qes.not_yet_valid"),
        (QesError::KeyUsage(String::new()), "qes.key_usage"),
        (QesError::NotPersonal(String::new()), "qes.not_personal"),
        (QesError::BadIssuer(String::new()), "qes.bad_issuer"),
        (
            QesError::CriticalExtension(String::new()),
            "qes.critical_extension",
        ),
        (
            QesError::UnsupportedAlgorithm(String::new()),
            "qes.unsupported_algorithm",
        ),
        (QesError::BadSignature, "qes.bad_signature"),
        (QesError::TrustStore(String::new()), "qes.trust_store"),
        (QesError::Key(String::new()), "qes.key"),
        (QesError::Generation(String::new()), "qes.generation"),
    ];
    for (e, c) in all {
        assert_eq!(e.code(), c);
    }
}

/// RSA-2048 root and personal certificate made with OpenSSL 3.0 (see
/// tests/fixtures/README.md); valid 2026-11-25 .. 2126-11-01.
#[test]
fn rsa_pkcs1_certificates_from_openssl() {
    const RSA_NOW: i64 = 1_800_000_000; // 2027-01-15
    let root = include_str!("fixtures/rsa-ca.pem");
    let leaf = include_str!("fixtures/rsa-leaf.pem");
    let key = include_str!("fixtures/rsa-leaf.key");
    let sig = include_str!("fixtures/rsa-signature.b64");
    let challenge = b"migportal:qes:rsa-fixture";
    let t = TrustStore::from_pem(root).unwrap();

    let signer = verify_signature(challenge, sig, leaf, &t, RSA_NOW).unwrap();
    assert_eq!(signer.snils.as_deref(), Some("12345678964"));
    assert_eq!(signer.inn.as_deref(), Some("500100732259"));
    assert_eq!(signer.surname.as_deref(), Some("Петров"));
    assert_eq!(signer.given_name.as_deref(), Some("Пётр Петрович"));
    assert_eq!(signer.common_name.as_deref(), Some("Петров Пётр Петрович"));

    // Our own RSA signing path produces an acceptable signature too.
    let ours = sign_challenge(key, b"another").unwrap();
    verify_signature(b"another", &ours, leaf, &t, RSA_NOW).unwrap();
    let r = verify_signature(b"another", sig, leaf, &t, RSA_NOW);
    assert_eq!(code(r), "qes.bad_signature");
    assert_eq!(
        code(verify_signature(challenge, sig, leaf, &t, 1_700_000_000)),
        "qes.not_yet_valid"
    );
}
