//! Russian and foreign identity document numbers. Each type can only be built
//! through validation, so holding one proves the value is well formed.

mod foreign_passport;
mod inn;
mod migration_card;
mod office_code;
mod passport_rf;
mod snils;
mod uin;

pub use foreign_passport::ForeignPassportNumber;
pub use inn::Inn;
pub use migration_card::MigrationCard;
pub use office_code::OfficeCode;
pub use passport_rf::PassportRf;
pub use snils::Snils;
pub use uin::{MVD_ADMINISTRATOR, Uin};

use crate::Invalid;

/// Longest raw input looked at; anything longer is refused before any work so
/// pasted garbage costs nothing.
const MAX_RAW_LEN: usize = 64;

/// Trims `input` and returns its ASCII digits, provided every other character
/// is one of `separators`. Non-ASCII digits (Arabic-Indic, fullwidth) are
/// refused: registries only understand ASCII.
pub(crate) fn digits_with(
    input: &str,
    separators: &[char],
    code: &'static str,
) -> Result<String, Invalid> {
    let input = input.trim();
    if input.len() > MAX_RAW_LEN {
        return Err(Invalid::new(code));
    }
    let mut digits = String::with_capacity(input.len());
    for c in input.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else if !separators.contains(&c) {
            return Err(Invalid::new(code));
        }
    }
    Ok(digits)
}

/// Numeric value of an ASCII digit (callers pass validated digits only).
pub(crate) fn digit(b: u8) -> u32 {
    u32::from(b.wrapping_sub(b'0'))
}

/// `Display` is the canonical form; serialise exactly that string.
macro_rules! serialize_as_display {
    ($($t:ty),* $(,)?) => {$(
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
    )*};
}
pub(crate) use serialize_as_display;
