//! Contact points used as logins and for one-time codes: mobile phone, e-mail.

use crate::Invalid;
use crate::identifiers::serialize_as_display;
use std::fmt;

/// A mobile phone number in E.164 form, "+79161234567".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// Russian numbers may be typed as +7…, 7…, 8… or the bare 10 digits
    /// starting with 9; others need a leading "+". Spaces, hyphens,
    /// parentheses and dots may separate digits. Russian numbers must be
    /// mobile (9xx) because codes are sent by SMS.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let format = Invalid::new("phone.format");
        let input = input.trim();
        if input.len() > 64 {
            return Err(format);
        }
        let (plus, rest) = match input.strip_prefix('+') {
            Some(r) => (true, r),
            None => (false, input),
        };
        let mut d = String::new();
        for c in rest.chars() {
            match c {
                '0'..='9' => d.push(c),
                ' ' | '-' | '(' | ')' | '.' => {}
                _ => return Err(format),
            }
        }
        let national = match (plus, d.len(), d.as_bytes().first()) {
            (true, 11, Some(b'7')) | (false, 11, Some(b'7' | b'8')) => &d[1..],
            (true, _, Some(b'7')) => return Err(format),
            (true, 8..=15, Some(c)) if *c != b'0' => return Ok(Self(format!("+{d}"))),
            (false, 10, Some(b'9')) => &d[..],
            _ => return Err(format),
        };
        if !national.starts_with('9') {
            return Err(Invalid::new("phone.not_mobile"));
        }
        Ok(Self(format!("+7{national}")))
    }

    /// E.164 form, "+79161234567".
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_russian(&self) -> bool {
        self.0.starts_with("+7")
    }

    /// Russian: "+7 *** ***-45-67". Others keep "+", the first two digits
    /// (country code or its start) and the last four: "+49 ****5678".
    pub fn masked(&self) -> String {
        let d = &self.0[1..];
        let n = d.len();
        if self.is_russian() {
            format!("+7 *** ***-{}-{}", &d[n - 4..n - 2], &d[n - 2..])
        } else {
            format!("+{} {}{}", &d[..2], "*".repeat(n - 6), &d[n - 4..])
        }
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An e-mail address; the domain is lowercased, the local part kept as typed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let err = Invalid::new("email.format");
        let input = input.trim();
        if input.len() > 254 {
            return Err(err);
        }
        let (local, domain) = input.split_once('@').ok_or(err)?;
        if !local_ok(local) || !domain_ok(domain) {
            return Err(err);
        }
        Ok(Self(format!("{local}@{}", domain.to_ascii_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// "i***@mail.ru": first character of the local part and the domain.
    pub fn masked(&self) -> String {
        let (local, domain) = self.0.split_once('@').unwrap_or(("", &self.0));
        format!("{}***@{domain}", local.get(..1).unwrap_or(""))
    }
}

fn local_ok(local: &str) -> bool {
    (1..=64).contains(&local.len())
        && local
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"<>()[],;:\"\\@".contains(&b))
        // Unquoted dots may not lead, trail or repeat (RFC 5321); mail to such
        // addresses bounces, so refuse them at the form.
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
}

fn domain_ok(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let tld_ok = labels
        .last()
        .is_some_and(|t| t.len() >= 2 && t.bytes().all(|b| b.is_ascii_alphabetic()));
    labels.len() >= 2 && tld_ok && labels.iter().all(|l| label_ok(l))
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

serialize_as_display!(Phone, Email);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn phone(s: &str) -> Result<String, &'static str> {
        Phone::parse(s).map(|p| p.to_string()).map_err(|e| e.code)
    }

    #[test]
    fn russian_phone_forms() {
        for s in [
            "+7 (916) 123-45-67",
            "8 916 123 45 67",
            "89161234567",
            "79161234567",
            "+79161234567",
            " 916.123.45.67 ",
        ] {
            assert_eq!(phone(s), Ok("+79161234567".into()), "{s}");
        }
        let p = Phone::parse("+79161234567").unwrap();
        assert!(p.is_russian());
        assert_eq!(p.masked(), "+7 *** ***-45-67");
    }

    #[test]
    fn foreign_phones() {
        let p = Phone::parse("+49 1234 5678").unwrap();
        assert_eq!(p.as_str(), "+4912345678");
        assert_eq!(p.masked(), "+49 ****5678");
        assert_eq!(
            Phone::parse("+998 90 123 45 67").unwrap().masked(),
            "+99 ******4567"
        );
        assert_eq!(phone("+1234567"), Err("phone.format"));
        assert_eq!(phone("+1234567890123456"), Err("phone.format"));
        assert_eq!(phone("+0123456789"), Err("phone.format"));
    }

    #[test]
    fn refuses_invalid_phones() {
        assert_eq!(phone("+7 495 123-45-67"), Err("phone.not_mobile"));
        assert_eq!(phone("84951234567"), Err("phone.not_mobile"));
        for s in [
            "",
            "+",
            "+7916123456",
            "+791612345678",
            "9161234567 ext 1",
            "4951234567",
            "+7 916 123-45-6７",
            "+٧٩١٦١٢٣٤٥٦٧",
            "++79161234567",
            "7+9161234567",
            "49 1234 5678",
        ] {
            assert_eq!(phone(s), Err("phone.format"), "{s:?}");
        }
        assert_eq!(phone(&"9".repeat(100_000)), Err("phone.format"));
    }

    fn email(s: &str) -> Result<String, &'static str> {
        Email::parse(s).map(|e| e.to_string()).map_err(|e| e.code)
    }

    #[test]
    fn emails() {
        assert_eq!(
            email(" Ivan.Petrov+tag@Mail.RU "),
            Ok("Ivan.Petrov+tag@mail.ru".into())
        );
        assert_eq!(
            Email::parse("ivan@mail.ru").unwrap().masked(),
            "i***@mail.ru"
        );
        assert!(Email::parse("a@b-c.example.org").is_ok());
        let long_local = format!("{}@mail.ru", "a".repeat(65));
        let long_label = format!("a@{}.ru", "b".repeat(64));
        let too_long = format!("a@{}.ru", vec!["b".repeat(63); 4].join("."));
        for s in [
            "",
            "ivan",
            "ivan@",
            "@mail.ru",
            "ivan@@mail.ru",
            "iv@n@mail.ru",
            "ivan@mail",
            "ivan@mail.r",
            "ivan@mail.r1",
            "ivan@-mail.ru",
            "ivan@mail-.ru",
            "ivan@mail..ru",
            "iv an@mail.ru",
            "ivan<x>@mail.ru",
            "иван@mail.ru",
            "ivan@почта.рф",
            ".ivan@mail.ru",
            "iv..an@mail.ru",
            "ivan@mail_ru.ru",
            &long_local,
            &long_label,
            &too_long,
        ] {
            assert_eq!(email(s), Err("email.format"), "{s:?}");
        }
    }

    proptest! {
        #[test]
        fn phone_spellings_normalise_alike(n in 0u32..1_000_000_000, style in 0usize..6) {
            let d = format!("9{n:09}");
            let s = match style {
                0 => format!("+7 ({}) {}-{}-{}", &d[..3], &d[3..6], &d[6..8], &d[8..]),
                1 => format!("8 {} {} {} {}", &d[..3], &d[3..6], &d[6..8], &d[8..]),
                2 => format!("8{d}"),
                3 => format!("7{d}"),
                4 => format!("+7.{}.{}", &d[..3], &d[3..]),
                _ => format!("  +7-{}-{}  ", &d[..5], &d[5..]),
            };
            let p = Phone::parse(&s).unwrap();
            prop_assert_eq!(p.as_str(), format!("+7{d}"));
            prop_assert_eq!(Phone::parse(&p.to_string()).unwrap(), p);
        }

        #[test]
        fn foreign_round_trip(d in "[1-9][0-9]{7,14}") {
            prop_assume!(!d.starts_with('7'));
            let p = Phone::parse(&format!("+{d}")).unwrap();
            prop_assert_eq!(Phone::parse(&p.to_string()).unwrap(), p.clone());
            prop_assert!(p.masked().ends_with(&d[d.len() - 4..]));
        }

        #[test]
        fn email_round_trip(l in "[a-zA-Z0-9_+-]{1,20}", dom in "[a-zA-Z0-9]{1,10}", tld in "[a-zA-Z]{2,6}") {
            let e = Email::parse(&format!("{l}@{dom}.{tld}")).unwrap();
            prop_assert_eq!(Email::parse(&e.to_string()).unwrap(), e);
        }

        #[test]
        fn never_panics(s in any::<String>(), t in "\\PC*") {
            for x in [&s, &t] {
                let _ = Phone::parse(x).map(|p| p.masked());
                let _ = Email::parse(x).map(|e| e.masked());
            }
        }
    }
}
