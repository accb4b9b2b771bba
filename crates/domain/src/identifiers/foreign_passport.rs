//! Passport number of a foreign national. Formats differ per country, so only
//! the common shape is checked: 5..=20 Latin letters/digits with a digit.

use super::serialize_as_display;
use crate::Invalid;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ForeignPassportNumber(String);

impl ForeignPassportNumber {
    /// Spaces are dropped and letters uppercased: "ab 123 4567" -> "AB1234567".
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let err = Invalid::new("foreign_passport.format");
        let input = input.trim();
        if input.len() > 64 {
            return Err(err);
        }
        let v: String = input.chars().filter(|&c| c != ' ').collect();
        let shape_ok = (5..=20).contains(&v.len())
            && v.bytes().all(|b| b.is_ascii_alphanumeric())
            && v.bytes().any(|b| b.is_ascii_digit());
        if !shape_ok {
            return Err(err);
        }
        Ok(Self(v.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Only the last 3 characters stay visible: "******567".
    pub fn masked(&self) -> String {
        let keep = self.0.len().saturating_sub(3);
        format!("{}{}", "*".repeat(keep), &self.0[keep..])
    }
}

impl fmt::Display for ForeignPassportNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

serialize_as_display!(ForeignPassportNumber);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_and_normalises() {
        let p = ForeignPassportNumber::parse(" ab 123 4567 ").unwrap();
        assert_eq!(p.as_str(), "AB1234567");
        assert_eq!(p.to_string(), "AB1234567");
        assert_eq!(p.masked(), "******567");
        assert!(ForeignPassportNumber::parse("12345").is_ok());
        assert!(ForeignPassportNumber::parse(&"A1".repeat(10)).is_ok());
    }

    #[test]
    fn refuses_invalid() {
        for s in [
            "",
            "1234",
            "ABCDEFG",
            "AB-123456",
            "АВ1234567",
            "AB１２３４５６",
            &"A1".repeat(11),
            &"1".repeat(100_000),
        ] {
            assert_eq!(
                ForeignPassportNumber::parse(s).unwrap_err().code,
                "foreign_passport.format",
                "{s:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn display_round_trips(s in "[A-Za-z0-9 ]{0,6}[0-9][A-Za-z0-9]{4,10}") {
            let p = ForeignPassportNumber::parse(&s).unwrap();
            prop_assert_eq!(ForeignPassportNumber::parse(&p.to_string()).unwrap(), p);
        }

        #[test]
        fn never_panics(s in any::<String>(), t in "\\PC*") {
            let _ = ForeignPassportNumber::parse(&s);
            let _ = ForeignPassportNumber::parse(&t);
        }
    }
}
