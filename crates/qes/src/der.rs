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
        let len = len_bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
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
/// before, between or after. The parts outside the TBS are not covered by
/// the signature, so they must be exact.
pub(crate) fn certificate_envelope_ok(der: &[u8]) -> bool {
    let Some((0x30, content, total)) = read_tlv(der) else {
        return false;
    };
    if total != der.len() {
        return false;
    }
    let mut rest = content;
    for expected in [0x30u8, 0x30, 0x03] {
        match read_tlv(rest) {
            Some((tag, _, len)) if tag == expected => match rest.get(len..) {
                Some(r) => rest = r,
                None => return false,
            },
            _ => return false,
        }
    }
    rest.is_empty()
}
