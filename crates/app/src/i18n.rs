//! Message catalogues (Fluent, `locales/*/main.ftl`) and language negotiation.
//! Russian is the default; English on request via the `lang` cookie or
//! `Accept-Language`.

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, static_loader};
use std::borrow::Cow;
use std::collections::HashMap;

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "ru",
        // Isolation marks would show up as stray characters in HTML and SMS.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Ru,
    En,
}

impl Lang {
    /// An amount of kopecks as people read money: `6 000,00 ₽`, `RUB 6,000.00`.
    pub fn money(self, kopecks: i64) -> String {
        let (sign, k) = if kopecks < 0 {
            ("-", -kopecks)
        } else {
            ("", kopecks)
        };
        let digits = (k / 100).to_string();
        let sep = match self {
            Self::Ru => '\u{a0}',
            Self::En => ',',
        };
        let mut whole = String::new();
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                whole.push(sep);
            }
            whole.push(ch);
        }
        match self {
            Self::Ru => format!("{sign}{whole},{:02}\u{a0}₽", k % 100),
            Self::En => format!("{sign}RUB {whole}.{:02}", k % 100),
        }
    }

    pub const fn code(self) -> &'static str {
        match self {
            Self::Ru => "ru",
            Self::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ru" => Some(Self::Ru),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// Picks the first supported language of an `Accept-Language` header.
    pub fn from_accept_language(header: &str) -> Option<Self> {
        let mut best: Option<(f32, Self)> = None;
        for part in header.split(',').take(20) {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            if let Some(lang) = Self::parse(primary)
                && best.is_none_or(|(bq, _)| q > bq)
            {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l)
    }

    fn id(self) -> LanguageIdentifier {
        match self {
            Self::Ru => fluent_templates::langid!("ru"),
            Self::En => fluent_templates::langid!("en"),
        }
    }

    /// The text of `key`, or the key itself when a catalogue lacks it
    /// (a test asserts that never happens for keys the code uses).
    pub fn t(self, key: &str) -> String {
        LOCALES
            .try_lookup(&self.id(), key)
            .unwrap_or_else(|| key.to_owned())
    }

    pub fn t_args<K: AsRef<str>>(self, key: &str, args: &[(K, String)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(k, v)| {
                (
                    Cow::Owned(k.as_ref().to_owned()),
                    FluentValue::from(v.clone()),
                )
            })
            .collect();
        LOCALES
            .try_lookup_with_args(&self.id(), key, &map)
            .unwrap_or_else(|| key.to_owned())
    }

    /// Whether the catalogue of this language has `key`.
    pub fn has(self, key: &str) -> bool {
        LOCALES.try_lookup(&self.id(), key).is_some()
    }
}

/// The catalogue key of an error code: `snils.checksum` → `err-snils-checksum`.
pub fn error_key(code: &str) -> String {
    format!("err-{}", code.replace(['.', '_'], "-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_language() {
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9"), Some(Lang::En));
        assert_eq!(
            Lang::from_accept_language("de,en;q=0.5,ru;q=0.8"),
            Some(Lang::Ru)
        );
        assert_eq!(Lang::from_accept_language("de"), None);
        assert_eq!(Lang::from_accept_language(""), None);
    }

    #[test]
    fn looks_up_with_arguments() {
        assert_eq!(Lang::Ru.t("nav-login"), "Войти");
        assert_eq!(Lang::En.t("nav-login"), "Sign in");
        let s = Lang::Ru.t_args("err-otp-wrong", &[("attempts", "3".into())]);
        assert_eq!(s, "Неверный код. Осталось попыток: 3");
        assert_eq!(error_key("password.too_common"), "err-password-too-common");
    }

    #[test]
    fn money_as_people_read_it() {
        assert_eq!(Lang::Ru.money(600_000), "6\u{a0}000,00\u{a0}₽");
        assert_eq!(Lang::Ru.money(35_050), "350,50\u{a0}₽");
        assert_eq!(Lang::En.money(123_456_789), "RUB 1,234,567.89");
        assert_eq!(Lang::En.money(5), "RUB 0.05");
    }

    /// Every problem the form engine can report has a message in both languages.
    #[test]
    fn every_form_code_has_messages() {
        let all = domain::form::CODES
            .iter()
            .chain(&domain::eligibility::CODES)
            .chain(&crate::applications::CODES)
            .chain(&crate::cases::CODES)
            .chain(&crate::messages::CODES)
            .chain(&crate::inbox::CODES)
            .chain(&crate::consents::CODES)
            .chain(&crate::visits::CODES)
            .chain(&crate::payments::CODES)
            .chain(&["office.unknown"])
            .chain(&domain::attachment::CODES);
        for code in all {
            for lang in [Lang::Ru, Lang::En] {
                assert!(lang.has(&error_key(code)), "{lang:?} lacks {code}");
            }
        }
    }

    /// Every key in one catalogue exists in the other.
    #[test]
    fn catalogues_have_the_same_keys() {
        let keys = |text: &str| -> Vec<String> {
            text.lines()
                .filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim().to_owned()))
                .filter(|k| !k.starts_with('#') && !k.is_empty())
                .collect()
        };
        let ru = keys(include_str!("../locales/ru/main.ftl"));
        let en = keys(include_str!("../locales/en/main.ftl"));
        for k in &ru {
            assert!(en.contains(k), "en lacks {k}");
        }
        for k in &en {
            assert!(ru.contains(k), "ru lacks {k}");
        }
    }
}
