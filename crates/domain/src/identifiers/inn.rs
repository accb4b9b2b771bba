//! ИНН of an individual: 10 digits + 2 check digits.

use super::{digit, digits_with, serialize_as_display};
use crate::Invalid;
use std::fmt;

const W11: [u32; 10] = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
const W12: [u32; 11] = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8];

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Inn(String);

impl Inn {
    /// Accepts 12 digits; spaces between them are tolerated (copied from forms).
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let d = digits_with(input, &[' '], "inn.format")?;
        if d.len() != 12 {
            return Err(Invalid::new("inn.format"));
        }
        let b = d.as_bytes();
        if check(&b[..10], &W11) != digit(b[10]) || check(&b[..11], &W12) != digit(b[11]) {
            return Err(Invalid::new("inn.checksum"));
        }
        Ok(Self(d))
    }

    /// Builds a valid INN from its first 10 digits (test data, simulators).
    pub fn with_checksum(first10: &str) -> Option<Self> {
        if first10.len() != 10 || !first10.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut b = first10.as_bytes().to_vec();
        b.push(b'0' + check(&b, &W11) as u8);
        b.push(b'0' + check(&b, &W12) as u8);
        String::from_utf8(b).ok().map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For logs and screens: "********2259".
    pub fn masked(&self) -> String {
        format!("********{}", &self.0[8..])
    }
}

/// Official rule: weighted sum mod 11, then mod 10 (so 10 folds to 0).
fn check(digits: &[u8], weights: &[u32]) -> u32 {
    let s: u32 = digits.iter().zip(weights).map(|(&b, w)| digit(b) * w).sum();
    s % 11 % 10
}

impl fmt::Display for Inn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

serialize_as_display!(Inn);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn code(s: &str) -> &'static str {
        Inn::parse(s).unwrap_err().code
    }

    #[test]
    fn accepts_valid() {
        let i = Inn::parse(" 500100732259 ").unwrap();
        assert_eq!(i.as_str(), "500100732259");
        assert_eq!(i.to_string(), "500100732259");
        assert_eq!(i.masked(), "********2259");
        assert_eq!(Inn::parse("5001 0073 2259").unwrap(), i);
        assert_eq!(Inn::with_checksum("5001007322").unwrap(), i);
    }

    #[test]
    fn refuses_invalid() {
        assert_eq!(code("500100732258"), "inn.checksum");
        assert_eq!(code("500100732269"), "inn.checksum");
        for s in [
            "",
            "5001007322",
            "7707083893",
            "5001007322590",
            "50010073225a",
            "500-100-732259",
            "５００１００７３２２５９",
            "٥٠٠١٠٠٧٣٢٢٥٩",
        ] {
            assert_eq!(code(s), "inn.format", "{s:?}");
        }
        assert_eq!(code(&"5".repeat(1_000_000)), "inn.format");
        assert!(Inn::with_checksum("500100732").is_none());
        assert!(Inn::with_checksum("50010073x2").is_none());
    }

    /// Why no single-digit change can slip through (asserted below): weights are
    /// non-zero mod 11 (prime), so changing d_i (i <= 10) by delta always changes
    /// both residues mod 11. The final "mod 10" hides a change only when a
    /// residue swaps 0 <-> 10, i.e. moves by +-1 mod 11. Both would have to do so
    /// at once, needing W12[i] = +-W11[i] (mod 11) — never true. d11 and d12 are
    /// outside the first sum, so changing them always breaks check 11 or 12.
    #[test]
    fn no_position_can_fold_both_checks() {
        for i in 0..10 {
            let (a, b) = (W11[i] % 11, W12[i] % 11);
            assert!(
                a != 0 && b != 0 && a != b && (a + b) % 11 != 0,
                "position {i}"
            );
        }
    }

    proptest! {
        #[test]
        fn valid_numbers_parse_and_round_trip(n in 0u64..10_000_000_000) {
            let i = Inn::with_checksum(&format!("{n:010}")).unwrap();
            prop_assert_eq!(Inn::parse(&i.to_string()).unwrap(), i.clone());
            let spaced = format!("{} {}", &i.as_str()[..6], &i.as_str()[6..]);
            prop_assert_eq!(Inn::parse(&spaced).unwrap(), i);
        }

        /// See `no_position_can_fold_both_checks`: every change is caught.
        #[test]
        fn every_single_digit_change_is_caught(n in 0u64..10_000_000_000) {
            let valid = Inn::with_checksum(&format!("{n:010}")).unwrap();
            let orig = valid.as_str().as_bytes().to_vec();
            for pos in 0..12 {
                for d in b'0'..=b'9' {
                    if d == orig[pos] { continue; }
                    let mut m = orig.clone();
                    m[pos] = d;
                    let text = String::from_utf8(m).unwrap();
                    prop_assert_eq!(Inn::parse(&text).unwrap_err().code, "inn.checksum", "{}", text);
                }
            }
        }

        #[test]
        fn never_panics(s in any::<String>(), t in "\\PC*") {
            let _ = Inn::parse(&s);
            let _ = Inn::parse(&t);
            let _ = Inn::with_checksum(&s);
        }
    }
}
