//! УИН, the unique accrual identifier of a charge in the state payment
//! system (ГИС ГМП): 20 digits — the administrator's code (3), a zero, a
//! unique number (15) and a check digit computed as for ОКПО codes.

use super::{digit, digits_with, serialize_as_display};
use crate::Invalid;
use std::fmt;

/// The interior ministry's administrator code: its UINs begin with 188.
pub const MVD_ADMINISTRATOR: &str = "188";

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Uin(String);

impl Uin {
    /// Accepts 20 digits; spaces between them are tolerated (copied from a receipt).
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let d = digits_with(input, &[' '], "uin.format")?;
        if d.len() != 20 {
            return Err(Invalid::new("uin.format"));
        }
        let b = d.as_bytes();
        if check_digit(&b[..19]) != digit(b[19]) {
            return Err(Invalid::new("uin.checksum"));
        }
        Ok(Self(d))
    }

    /// The UIN of the `serial`-th charge of `administrator` (three digits):
    /// the code, a zero, the serial in 15 digits, the check digit. `None`
    /// when the code is not three digits or the serial does not fit.
    pub fn issue(administrator: &str, serial: u64) -> Option<Self> {
        if administrator.len() != 3 || !administrator.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if serial >= 1_000_000_000_000_000 {
            return None;
        }
        let mut s = format!("{administrator}0{serial:015}");
        let c = check_digit(s.as_bytes());
        s.push(char::from(b'0' + c as u8));
        Some(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The ОКПО method: weights 1, 2, …, 10 from the left, repeating; the sum
/// mod 11. A result of 10 is redone with the weights shifted by two
/// (3, 4, …, 10, 1, 2, …); still 10, the digit is 0.
pub fn check_digit(digits: &[u8]) -> u32 {
    match weighted(digits, 0) {
        10 => match weighted(digits, 2) {
            10 => 0,
            c => c,
        },
        c => c,
    }
}

fn weighted(digits: &[u8], shift: u32) -> u32 {
    digits
        .iter()
        .enumerate()
        .map(|(i, &b)| digit(b) * ((i as u32 + shift) % 10 + 1))
        .sum::<u32>()
        % 11
}

impl fmt::Display for Uin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

serialize_as_display!(Uin);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // Worked by hand, digit × weight summed left to right.
    #[test]
    fn worked_examples() {
        // 1·1 + 8·2 + 8·3 + 1·4 + 0·5 + 1·6 + 7·7 + 7·8 + 2·9 = 174; 174 mod 11 = 9.
        assert_eq!(check_digit(b"1881017720000000000"), 9);
        // 5·2 = 10 → again with weights 3, 4, …: 5·4 = 20; 20 mod 11 = 9.
        assert_eq!(check_digit(b"0500000000000000000"), 9);
        // 6·1 + 5·3 = 21 ≡ 10; shifted 6·3 + 5·5 = 43 ≡ 10 → 0.
        assert_eq!(check_digit(b"6050000000000000000"), 0);
        // The eleventh digit takes weight 1 again: 3·1 (11th) = 3.
        assert_eq!(check_digit(b"0000000000300000000"), 3);
        assert_eq!(
            Uin::issue("188", 17_720_000_000_000).unwrap().as_str(),
            "18800177200000000005"
        );
    }

    #[test]
    fn parse_checks_the_digit_and_the_form() {
        assert!(Uin::parse("18810177200000000009").is_ok());
        assert!(Uin::parse("1881 0177 2000 0000 0009").is_ok());
        assert_eq!(
            Uin::parse("18810177200000000008").unwrap_err().code,
            "uin.checksum"
        );
        for bad in [
            "",
            "1881017720000000000",
            "188101772000000000091",
            "1881017720000000000x",
        ] {
            assert_eq!(Uin::parse(bad).unwrap_err().code, "uin.format", "{bad}");
        }
        assert!(Uin::issue("18", 1).is_none());
        assert!(Uin::issue("188", 1_000_000_000_000_000).is_none());
    }

    proptest! {
        #[test]
        fn every_issued_uin_parses_and_one_changed_digit_is_caught(
            serial in 0u64..1_000_000_000_000_000, pos in 4usize..19, delta in 1u8..10
        ) {
            let uin = Uin::issue(MVD_ADMINISTRATOR, serial).unwrap();
            prop_assert_eq!(Uin::parse(uin.as_str()).unwrap(), uin.clone());
            let mut b = uin.as_str().as_bytes().to_vec();
            b[pos] = b'0' + (b[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(b).unwrap();
            // A single changed digit changes the sum by delta·weight, never a
            // multiple of 11; only a second pass (a sum of 10) may meet another.
            let second = weighted(&changed.as_bytes()[..19], 0) == 10
                || weighted(&uin.as_str().as_bytes()[..19], 0) == 10;
            prop_assert!(second || Uin::parse(&changed).is_err());
        }
    }
}
