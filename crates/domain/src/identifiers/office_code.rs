//! Код подразделения: the department that issued a passport, "NNN-NNN".

use super::serialize_as_display;
use crate::Invalid;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OfficeCode(String);

impl OfficeCode {
    /// Accepts "770-001" and "770001".
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let b = input.trim().as_bytes();
        let digits: Vec<u8> = match b {
            [a @ .., b'-', c, d, e] if a.len() == 3 => [a, &[*c, *d, *e]].concat(),
            _ if b.len() == 6 => b.to_vec(),
            _ => return Err(Invalid::new("office_code.format")),
        };
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(Invalid::new("office_code.format"));
        }
        String::from_utf8(digits)
            .map(Self)
            .map_err(|_| Invalid::new("office_code.format"))
    }

    /// The six digits without the hyphen.
    pub fn as_digits(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OfficeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", &self.0[..3], &self.0[3..])
    }
}

serialize_as_display!(OfficeCode);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_both_forms() {
        for s in ["770-001", "770001", " 770-001 "] {
            let c = OfficeCode::parse(s).unwrap();
            assert_eq!(c.to_string(), "770-001");
            assert_eq!(c.as_digits(), "770001");
        }
    }

    #[test]
    fn refuses_invalid() {
        for s in [
            "",
            "770-01",
            "7700011",
            "770 001",
            "77-0001",
            "770--01",
            "77a-001",
            "７７０-００１",
            "ж70-001",
        ] {
            assert_eq!(
                OfficeCode::parse(s).unwrap_err().code,
                "office_code.format",
                "{s:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn display_round_trips(n in 0u32..1_000_000) {
            let c = OfficeCode::parse(&format!("{n:06}")).unwrap();
            prop_assert_eq!(OfficeCode::parse(&c.to_string()).unwrap(), c);
        }

        #[test]
        fn never_panics(s in any::<String>(), t in "\\PC*") {
            let _ = OfficeCode::parse(&s);
            let _ = OfficeCode::parse(&t);
        }
    }
}
