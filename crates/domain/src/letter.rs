//! Identity confirmation by registered letter (SPEC §2.3): a code sent by post
//! to the address the person gives. Rules: the code lives 90 days, is tried
//! at most 5 times, and a new letter is allowed a month after the last one.

use crate::Invalid;
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LetterPolicy {
    pub code_ttl_ms: i64,
    pub resend_after_ms: i64,
    pub max_attempts: u32,
}

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

impl Default for LetterPolicy {
    fn default() -> Self {
        Self {
            code_ttl_ms: 90 * DAY_MS,
            resend_after_ms: 30 * DAY_MS,
            max_attempts: 5,
        }
    }
}

impl LetterPolicy {
    /// `Err` carries the moment a new letter becomes possible.
    pub fn may_request(&self, last_created_at: Option<i64>, now: i64) -> Result<(), i64> {
        match last_created_at {
            Some(last) if now < last + self.resend_after_ms => Err(last + self.resend_after_ms),
            _ => Ok(()),
        }
    }
}

/// A Russian postal address as typed into the form.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PostalAddress {
    pub postcode: String,
    pub region: String,
    pub city: String,
    pub street: String,
    pub house: String,
    pub flat: String,
}

impl PostalAddress {
    /// Validates every part and returns the address as printed on an envelope,
    /// or each problem with its field.
    pub fn validate(&self) -> Result<String, Vec<(&'static str, Invalid)>> {
        let mut errors = Vec::new();
        let postcode = self.postcode.trim();
        if postcode.len() != 6 || !postcode.bytes().all(|b| b.is_ascii_digit()) {
            errors.push(("postcode", Invalid::new("postcode.format")));
        }
        let mut part = |field: &'static str, typed: &str, required: bool| -> String {
            let v = typed.split_whitespace().collect::<Vec<_>>().join(" ");
            if v.is_empty() && required {
                errors.push((field, Invalid::new("field.required")));
            // Counted as typed, as the field's own limit (and the API's
            // schema) counts it: no input the form refuses is taken here.
            } else if typed.chars().count() > 120 || v.chars().any(char::is_control) {
                errors.push((field, Invalid::new("address.part_invalid")));
            }
            v
        };
        let region = part("region", &self.region, true);
        let city = part("city", &self.city, true);
        let street = part("street", &self.street, true);
        let house = part("house", &self.house, true);
        let flat = part("flat", &self.flat, false);
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut out = format!("{postcode}, {region}, {city}, {street}, д. {house}");
        if !flat.is_empty() {
            out.push_str(&format!(", кв. {flat}"));
        }
        Ok(out)
    }
}

/// A letter code as printed: 10 digits in two groups; typing accepts spaces and dashes.
pub fn normalise_letter_code(input: &str) -> Option<String> {
    let digits: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    (digits.len() == 10 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

pub fn letter_code_from_random(a: u32, b: u32) -> String {
    format!("{:05}{:05}", a % 100_000, b % 100_000)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_month_between_letters() {
        let p = LetterPolicy::default();
        assert_eq!(p.may_request(None, 5), Ok(()));
        assert_eq!(p.may_request(Some(0), DAY_MS), Err(30 * DAY_MS));
        assert_eq!(p.may_request(Some(0), 30 * DAY_MS), Ok(()));
    }

    #[test]
    fn addresses() {
        let a = PostalAddress {
            postcode: "119021".into(),
            region: "г. Москва".into(),
            city: "Москва".into(),
            street: "ул.  Тимура Фрунзе".into(),
            house: "11".into(),
            flat: String::new(),
        };
        assert_eq!(
            a.validate().unwrap(),
            "119021, г. Москва, Москва, ул. Тимура Фрунзе, д. 11"
        );
        // 120 characters as typed, spaces that collapse included.
        let spaced = PostalAddress {
            street: format!("ул.{}Ленина", " ".repeat(115)),
            ..a.clone()
        };
        assert_eq!(
            spaced.validate().unwrap_err()[0].1.code,
            "address.part_invalid"
        );
        let bad = PostalAddress {
            postcode: "1190".into(),
            ..a
        };
        assert_eq!(bad.validate().unwrap_err()[0].1.code, "postcode.format");
        assert_eq!(
            normalise_letter_code("12345-67890"),
            Some("1234567890".into())
        );
        assert_eq!(normalise_letter_code("12345"), None);
    }
}
