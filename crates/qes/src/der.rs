//! A few lines of DER framing that the X.509 parser is lenient about.

/// Reads one DER TLV with a single-byte tag and a minimally encoded length;
/// returns the tag, the content and the TLV's total length.
pub(crate) fn read_tlv(input: &[u8]) -> Option<(u8, &[u8], usize)> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, header, rest) = if first < 0x80 {
        (usize::from(first), 2, rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let len_bytes = rest.get(..n)?;
        if len_bytes.first() == Some(&0) {
            return None;
        }
        let len = len_bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        if len < 0x80 {
            return None;
        }
        (len, 2 + n, rest.get(n..)?)
    };
    let content = rest.get(..len)?;
    Some((tag, content, header + len))
}

/// Checks the envelope `Certificate ::= SEQUENCE { tbsCertificate SEQUENCE,
/// signatureAlgorithm SEQUENCE, signatureValue BIT STRING }` with nothing
/// before, between or after, and that `signatureAlgorithm` is byte-for-byte
/// the `signature` field inside the TBS (RFC 5280 §4.1.1.2). The parts
/// outside the TBS are not covered by the signature, so they must be exact.
pub(crate) fn certificate_envelope_ok(der: &[u8]) -> bool {
    envelope(der).is_some()
}

fn envelope(der: &[u8]) -> Option<()> {
    let (0x30, content, total) = read_tlv(der)? else {
        return None;
    };
    if total != der.len() {
        return None;
    }
    let (0x30, tbs, tbs_len) = read_tlv(content)? else {
        return None;
    };
    let rest = content.get(tbs_len..)?;
    let (0x30, _, alg_len) = read_tlv(rest)? else {
        return None;
    };
    let outer_alg = rest.get(..alg_len)?;
    let rest = rest.get(alg_len..)?;
    let (0x03, _, sig_len) = read_tlv(rest)? else {
        return None;
    };
    if sig_len != rest.len() {
        return None;
    }
    // TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber INTEGER, signature AlgorithmIdentifier, ... }
    let mut inner = tbs;
    if inner.first() == Some(&0xa0) {
        let (_, _, len) = read_tlv(inner)?;
        inner = inner.get(len..)?;
    }
    let (0x02, _, serial_len) = read_tlv(inner)? else {
        return None;
    };
    inner = inner.get(serial_len..)?;
    let (0x30, _, inner_alg_len) = read_tlv(inner)? else {
        return None;
    };
    (inner.get(..inner_alg_len)? == outer_alg).then_some(())
}
