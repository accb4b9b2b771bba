//! Personal names. Citizens write them in Cyrillic, foreign nationals in Latin;
//! a name mixing both is almost always a look-alike typo ("Ивaнов" with a Latin
//! "a") that would break matching against the registries, so it is refused.

use crate::Invalid;
use serde::Serialize;
use std::fmt;

/// Longest accepted name part, in characters.
const MAX_CHARS: usize = 60;

/// The alphabet a name is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Script {
    Cyrillic,
    Latin,
}

fn script_of(c: char) -> Option<Script> {
    match c {
        // Basic Cyrillic block letters (Russian incl. Ёё, Ukrainian, Belarusian...).
        '\u{0400}'..='\u{045F}' => Some(Script::Cyrillic),
        'A'..='Z' | 'a'..='z' => Some(Script::Latin),
        // Latin-1 and Latin Extended-A letters, minus the × and ÷ signs.
        '\u{00C0}'..='\u{017F}' if c != '×' && c != '÷' => Some(Script::Latin),
        _ => None,
    }
}

fn is_separator(c: char) -> bool {
    matches!(c, '-' | '\'' | ' ' | '.')
}

/// Validates one name part and returns it normalised: trimmed, whitespace runs
/// collapsed, ’ turned into '. Letter case is kept as the person typed it.
pub fn parse_name_part(input: &str) -> Result<String, Invalid> {
    parse_with_script(input).map(|(s, _)| s)
}

fn parse_with_script(input: &str) -> Result<(String, Script), Invalid> {
    let mut out = String::new();
    let mut count = 0;
    for word in input.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
            count += 1;
        }
        for c in word.chars() {
            count += 1;
            if count > MAX_CHARS {
                return Err(Invalid::new("name.too_long"));
            }
            out.push(if c == '’' { '\'' } else { c });
        }
    }
    if out.is_empty() {
        return Err(Invalid::new("name.empty"));
    }
    let invalid = Invalid::new("name.invalid_chars");
    let mut script = None;
    let mut mixed = false;
    let mut prev: Option<char> = None;
    for c in out.chars() {
        match script_of(c) {
            Some(s) => {
                mixed |= script.is_some_and(|first| first != s);
                script.get_or_insert(s);
            }
            None if !is_separator(c) => return Err(invalid),
            // A separator may not start the name or follow another one;
            // ". " is the one legitimate pair ("St. John").
            None => match prev {
                None => return Err(invalid),
                Some(p) if is_separator(p) && !(p == '.' && c == ' ') => return Err(invalid),
                _ => {}
            },
        }
        prev = Some(c);
    }
    if prev == Some('-') {
        return Err(invalid);
    }
    if mixed {
        return Err(Invalid::new("name.mixed_scripts"));
    }
    match script {
        Some(s) => Ok((out, s)),
        None => Err(invalid),
    }
}

/// A person's full name as in their identity document.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct FullName {
    pub surname: String,
    pub given_name: String,
    pub patronymic: Option<String>,
}

impl FullName {
    /// Validates every part; the error names the offending field
    /// ("surname", "given_name" or "patronymic"). An empty patronymic means none.
    /// All parts must share the surname's script.
    pub fn parse(
        surname: &str,
        given: &str,
        patronymic: Option<&str>,
    ) -> Result<Self, (&'static str, Invalid)> {
        let (surname, script) = parse_with_script(surname).map_err(|e| ("surname", e))?;
        let same_script = |field, input| match parse_with_script(input) {
            Ok((v, s)) if s == script => Ok(v),
            Ok(_) => Err((field, Invalid::new("name.mixed_scripts"))),
            Err(e) => Err((field, e)),
        };
        let given_name = same_script("given_name", given)?;
        let patronymic = match patronymic {
            Some(p) if !p.trim().is_empty() => Some(same_script("patronymic", p)?),
            _ => None,
        };
        Ok(Self {
            surname,
            given_name,
            patronymic,
        })
    }

    /// The script all parts are written in.
    pub fn script(&self) -> Script {
        self.surname
            .chars()
            .find_map(script_of)
            .unwrap_or(Script::Latin)
    }
}

impl fmt::Display for FullName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.surname, self.given_name)?;
        match &self.patronymic {
            Some(p) => write!(f, " {p}"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn code(s: &str) -> &'static str {
        parse_name_part(s).unwrap_err().code
    }

    #[test]
    fn accepts_and_normalises() {
        assert_eq!(parse_name_part("  Иванов  ").unwrap(), "Иванов");
        assert_eq!(parse_name_part("Анна   \t Мария").unwrap(), "Анна Мария");
        assert_eq!(parse_name_part("O’Neil").unwrap(), "O'Neil");
        assert_eq!(
            parse_name_part("Римский-Корсаков").unwrap(),
            "Римский-Корсаков"
        );
        assert_eq!(parse_name_part("ёЖИКОВ").unwrap(), "ёЖИКОВ");
        for ok in [
            "Müller",
            "François",
            "Strauß",
            "Dvořák",
            "St. John",
            "d'Artagnan",
            "Łukasz",
            "Семён",
            "Jr.",
        ] {
            assert!(parse_name_part(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_invalid() {
        assert_eq!(code(""), "name.empty");
        assert_eq!(code(" \t\n "), "name.empty");
        assert_eq!(code(&"я".repeat(61)), "name.too_long");
        assert!(parse_name_part(&"я".repeat(60)).is_ok());
        assert_eq!(code(&"a".repeat(1_000_000)), "name.too_long");
        for bad in [
            "Иван0в",
            "Ivan_",
            "-Иван",
            "'Ivan",
            "Анна--Мария",
            "Анна -Мария",
            "Анна-",
            "Ivan!",
            "Иван×",
            "Ivan٣",
            "Ｉｖａｎ",
            "李",
            "Ivan\u{0301}",
        ] {
            assert_eq!(code(bad), "name.invalid_chars", "{bad:?}");
        }
        assert_eq!(code("Ивaнов"), "name.mixed_scripts");
        assert_eq!(code("Иван Petrov"), "name.mixed_scripts");
    }

    #[test]
    fn full_name() {
        let n = FullName::parse(" Иванов ", "Иван", Some("Иванович")).unwrap();
        assert_eq!(n.to_string(), "Иванов Иван Иванович");
        assert_eq!(n.script(), Script::Cyrillic);
        let f = FullName::parse("Smith", "John", Some("  ")).unwrap();
        assert_eq!(f.patronymic, None);
        assert_eq!(f.to_string(), "Smith John");
        assert_eq!(FullName::parse("Smith", "John", None).unwrap(), f);
        let err = |s, g, p| FullName::parse(s, g, p).unwrap_err();
        assert_eq!(
            err("", "Иван", None),
            ("surname", Invalid::new("name.empty"))
        );
        assert_eq!(
            err("Иванов", "Ivan", None),
            ("given_name", Invalid::new("name.mixed_scripts"))
        );
        assert_eq!(
            err("Иванов", "Иван", Some("Ivanovich")),
            ("patronymic", Invalid::new("name.mixed_scripts"))
        );
        assert_eq!(
            err("Иванов", "Иван1", None),
            ("given_name", Invalid::new("name.invalid_chars"))
        );
    }

    proptest! {
        #[test]
        fn latin_look_alike_is_refused(
            name in "[А-ЯЁ][а-яё]{1,20}",
            pos in any::<prop::sample::Index>(),
            fake in prop::sample::select(vec!['a','e','o','p','c','x','y','A','B','E','K','M','H','O','P','C','T','X']),
        ) {
            let mut chars: Vec<char> = name.chars().collect();
            chars.insert(pos.index(chars.len() + 1), fake);
            let bad: String = chars.into_iter().collect();
            prop_assert_eq!(parse_name_part(&bad).unwrap_err().code, "name.mixed_scripts");
            let full = FullName::parse("Петров", &bad, None).unwrap_err();
            prop_assert_eq!(full, ("given_name", Invalid::new("name.mixed_scripts")));
        }

        #[test]
        fn never_panics(s in any::<String>(), t in "\\PC*") {
            let _ = parse_name_part(&s);
            let _ = parse_name_part(&t);
            let _ = FullName::parse(&s, &t, Some(&s));
        }
    }
}
