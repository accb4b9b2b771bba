//! Internal passport of a Russian citizen: series (2 digits region + 2 digits
//! year of the blank) and a 6-digit number.

use super::{digits_with, serialize_as_display};
use crate::Invalid;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PassportRf {
    /// Always 10 ASCII digits: series then number.
    digits: String,
}

impl PassportRf {
    /// Accepts "4510 123456", "45 10 123456" and "4510123456".
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let d = digits_with(input, &[' '], "passport.format")?;
        if d.len() != 10 {
            return Err(Invalid::new("passport.format"));
        }
        Self::check(d)
    }

    /// From separate form fields; spaces inside the series ("45 10") are fine.
    pub fn from_parts(series: &str, number: &str) -> Result<Self, Invalid> {
        let s = digits_with(series, &[' '], "passport.format")?;
        let n = digits_with(number, &[' '], "passport.format")?;
        if s.len() != 4 || n.len() != 6 {
            return Err(Invalid::new("passport.format"));
        }
        Self::check(s + &n)
    }

    fn check(digits: String) -> Result<Self, Invalid> {
        // Region "00" does not exist; number 000000 is never issued.
        if digits.starts_with("00") {
            return Err(Invalid::new("passport.series"));
        }
        if &digits[4..] == "000000" {
            return Err(Invalid::new("passport.number"));
        }
        Ok(Self { digits })
    }

    /// The 4 series digits, "4510".
    pub fn series(&self) -> &str {
        &self.digits[..4]
    }

    /// The 6 number digits, "123456".
    pub fn number(&self) -> &str {
        &self.digits[4..]
    }

    /// For logs and screens: "** ** ***456".
    pub fn masked(&self) -> String {
        format!("** ** ***{}", &self.digits[7..])
    }
}

impl fmt::Display for PassportRf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.digits;
        write!(f, "{} {} {}", &d[..2], &d[2..4], &d[4..])
    }
}

serialize_as_display!(PassportRf);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn code(s: &str) -> &'static str {
        PassportRf::parse(s).unwrap_err().code
    }

    #[test]
    fn accepts_valid() {
        for s in [
            "4510 123456",
            "45 10 123456",
            "4510123456",
            " 4510 123456\n",
        ] {
            let p = PassportRf::parse(s).unwrap();
            assert_eq!(p.series(), "4510");
            assert_eq!(p.number(), "123456");
            assert_eq!(p.to_string(), "45 10 123456");
            assert_eq!(p.masked(), "** ** ***456");
        }
        assert_eq!(
            PassportRf::from_parts("45 10", " 123456").unwrap().series(),
            "4510"
        );
    }

    #[test]
    fn refuses_invalid() {
        assert_eq!(code("0000 123456"), "passport.series");
        assert_eq!(code("0012 123456"), "passport.series");
        assert_eq!(code("4510 000000"), "passport.number");
        for s in [
            "",
            "4510 12345",
            "4510-123456",
            "45101234567",
            "４５１０ １２３４５６",
            "AB10 123456",
        ] {
            assert_eq!(code(s), "passport.format", "{s:?}");
        }
        assert_eq!(
            PassportRf::from_parts("451", "0123456").unwrap_err().code,
            "passport.format"
        );
        assert_eq!(
            PassportRf::from_parts("00 00", "123456").unwrap_err().code,
            "passport.series"
        );
    }

    proptest! {
        #[test]
        fn display_round_trips(series in 100u32..10_000, number in 1u32..1_000_000) {
            let p = PassportRf::parse(&format!("{series:04}{number:06}")).unwrap();
            prop_assert_eq!(PassportRf::parse(&p.to_string()).unwrap(), p);
        }

        #[test]
        fn never_panics(s in any::<String>(), t in "\\PC*") {
            let _ = PassportRf::parse(&s);
            let _ = PassportRf::parse(&t);
            let _ = PassportRf::from_parts(&s, &t);
        }
    }
}
