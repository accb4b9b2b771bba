//! The identity data a person gives for the standard level (SPEC §2.2), and the
//! rules that turn the raw form into data worth sending to the registries.

use crate::Invalid;
use crate::identifiers::{
    ForeignPassportNumber, Inn, MigrationCard, OfficeCode, PassportRf, Snils,
};
use crate::person::{BirthDate, FullName, Script, parse_date};
use serde::{Deserialize, Serialize};
use time::Date;

/// The form as typed: every field a string, empty when not filled.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IdentityForm {
    /// "russian" or "foreign".
    pub citizenship: String,
    pub surname: String,
    pub given_name: String,
    pub patronymic: String,
    pub birth_date: String,
    pub snils: String,
    pub inn: String,
    pub passport: String,
    pub passport_issued_on: String,
    pub office_code: String,
    pub foreign_passport: String,
    /// ISO 3166 alpha-3 code of the passport's country.
    pub country: String,
    pub migration_card: String,
}

/// Validated identity data in canonical form. This is what is sealed at rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityData {
    pub surname: String,
    pub given_name: String,
    pub patronymic: Option<String>,
    /// ISO date.
    pub birth_date: String,
    /// 11 digits.
    pub snils: Option<String>,
    pub inn: Option<String>,
    pub document: DocumentData,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DocumentData {
    RussianPassport {
        series: String,
        number: String,
        issued_on: String,
        office_code: String,
    },
    ForeignPassport {
        number: String,
        country: String,
        migration_card: Option<String>,
    },
}

impl DocumentData {
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::RussianPassport { .. } => "russian_passport",
            Self::ForeignPassport { .. } => "foreign_passport",
        }
    }
}

/// One field's problem, for the error summary and the API's `errors` list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub code: &'static str,
}

/// Age from which a citizen holds an internal passport.
const PASSPORT_AGE: i32 = 14;

impl IdentityForm {
    /// Checks every field and reports every problem at once.
    pub fn validate(&self, today: Date) -> Result<IdentityData, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut fail = |field: &'static str, e: Invalid| {
            errors.push(FieldError {
                field,
                code: e.code,
            })
        };
        let russian = match self.citizenship.trim() {
            "russian" => true,
            "foreign" => false,
            _ => {
                fail("citizenship", Invalid::new("citizenship.required"));
                true
            }
        };
        let patronymic = Some(self.patronymic.as_str()).filter(|p| !p.trim().is_empty());
        let name = match FullName::parse(&self.surname, &self.given_name, patronymic) {
            Ok(n) => {
                if russian && n.script() != Script::Cyrillic {
                    fail("surname", Invalid::new("name.cyrillic_required"));
                }
                Some(n)
            }
            Err((field, e)) => {
                fail(field, e);
                None
            }
        };
        let birth = match BirthDate::parse(&self.birth_date, today) {
            Ok(b) => Some(b),
            Err(e) => {
                fail("birth_date", e);
                None
            }
        };
        let snils = optional(&self.snils, Snils::parse, "snils", &mut fail);
        let inn = optional(&self.inn, Inn::parse, "inn", &mut fail);
        let document = if russian {
            if self.snils.trim().is_empty() {
                fail("snils", Invalid::new("snils.required"));
            }
            if let Some(b) = birth
                && b.age_on(today) < PASSPORT_AGE as u32
            {
                fail("birth_date", Invalid::new("birth_date.too_young"));
            }
            let passport = required(&self.passport, PassportRf::parse, "passport", &mut fail);
            let issued = required(
                &self.passport_issued_on,
                parse_date,
                "passport_issued_on",
                &mut fail,
            );
            if let Some(issued) = issued {
                if issued > today {
                    fail("passport_issued_on", Invalid::new("date.future"));
                } else if let Some(b) = birth
                    && issued
                        < b.date()
                            .replace_year(b.date().year() + PASSPORT_AGE)
                            .unwrap_or(b.date())
                {
                    fail(
                        "passport_issued_on",
                        Invalid::new("passport.issued_before_14"),
                    );
                }
            }
            let office = required(
                &self.office_code,
                OfficeCode::parse,
                "office_code",
                &mut fail,
            );
            match (passport, issued, office) {
                (Some(p), Some(i), Some(o)) => Some(DocumentData::RussianPassport {
                    series: p.series().to_owned(),
                    number: p.number().to_owned(),
                    issued_on: i.to_string(),
                    office_code: o.to_string(),
                }),
                _ => None,
            }
        } else {
            let passport = required(
                &self.foreign_passport,
                ForeignPassportNumber::parse,
                "foreign_passport",
                &mut fail,
            );
            let country = required(&self.country, parse_country, "country", &mut fail);
            let card = optional(
                &self.migration_card,
                MigrationCard::parse,
                "migration_card",
                &mut fail,
            );
            match (passport, country) {
                (Some(p), Some(c)) => Some(DocumentData::ForeignPassport {
                    number: p.as_str().to_owned(),
                    country: c,
                    migration_card: card.map(|m| format!("{}{}", m.series(), m.number())),
                }),
                _ => None,
            }
        };
        match (name, birth, document) {
            (Some(n), Some(b), Some(document)) if errors.is_empty() => Ok(IdentityData {
                surname: n.surname,
                given_name: n.given_name,
                patronymic: n.patronymic,
                birth_date: b.to_string(),
                snils: snils.map(|s| s.as_digits().to_owned()),
                inn: inn.map(|i| i.as_str().to_owned()),
                document,
            }),
            _ => Err(errors),
        }
    }
}

impl IdentityData {
    /// What lists may show: document kind and masked numbers only.
    pub fn masked(&self) -> String {
        let snils = self
            .snils
            .as_deref()
            .and_then(|s| Snils::parse(s).ok())
            .map(|s| format!("СНИЛС {}", s.masked()));
        let doc = match &self.document {
            DocumentData::RussianPassport { series, number, .. } => {
                PassportRf::from_parts(series, number)
                    .map(|p| p.masked())
                    .unwrap_or_default()
            }
            DocumentData::ForeignPassport {
                number, country, ..
            } => ForeignPassportNumber::parse(number)
                .map(|p| format!("{country} {}", p.masked()))
                .unwrap_or_default(),
        };
        match snils {
            Some(s) => format!("{s}; {doc}"),
            None => doc,
        }
    }
}

/// An ISO 3166 alpha-3 country code other than Russia's.
pub fn parse_country(input: &str) -> Result<String, Invalid> {
    let c = input.trim().to_ascii_uppercase();
    if c.len() != 3 || !c.chars().all(|ch| ch.is_ascii_uppercase()) {
        return Err(Invalid::new("country.format"));
    }
    if c == "RUS" {
        return Err(Invalid::new("country.russian"));
    }
    Ok(c)
}

fn optional<T>(
    raw: &str,
    parse: impl Fn(&str) -> Result<T, Invalid>,
    field: &'static str,
    fail: &mut impl FnMut(&'static str, Invalid),
) -> Option<T> {
    if raw.trim().is_empty() {
        return None;
    }
    parse(raw).map_err(|e| fail(field, e)).ok()
}

fn required<T>(
    raw: &str,
    parse: impl Fn(&str) -> Result<T, Invalid>,
    field: &'static str,
    fail: &mut impl FnMut(&'static str, Invalid),
) -> Option<T> {
    if raw.trim().is_empty() {
        fail(field, Invalid::new("field.required"));
        return None;
    }
    parse(raw).map_err(|e| fail(field, e)).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use time::macros::date;

    fn citizen() -> IdentityForm {
        IdentityForm {
            citizenship: "russian".into(),
            surname: "Иванов".into(),
            given_name: "Иван".into(),
            patronymic: "Иванович".into(),
            birth_date: "14.03.1985".into(),
            snils: "112-233-445 95".into(),
            inn: String::new(),
            passport: "45 10 123456".into(),
            passport_issued_on: "2015-04-20".into(),
            office_code: "770001".into(),
            ..Default::default()
        }
    }

    const TODAY: Date = date!(2026 - 11 - 25);

    #[test]
    fn valid_citizen_is_canonicalised() {
        let d = citizen().validate(TODAY).unwrap();
        assert_eq!(d.birth_date, "1985-03-14");
        assert_eq!(d.snils.as_deref(), Some("11223344595"));
        assert_eq!(
            d.document,
            DocumentData::RussianPassport {
                series: "4510".into(),
                number: "123456".into(),
                issued_on: "2015-04-20".into(),
                office_code: "770-001".into()
            }
        );
        assert_eq!(d.masked(), "СНИЛС ***-***-445 95; ** ** ***456");
    }

    #[test]
    fn every_problem_is_reported_with_its_field() {
        let mut f = citizen();
        f.snils = "112-233-445 96".into();
        f.passport = "45 10".into();
        f.office_code = String::new();
        f.inn = "500100732258".into();
        let errs = f.validate(TODAY).unwrap_err();
        let got: Vec<_> = errs.iter().map(|e| (e.field, e.code)).collect();
        assert!(got.contains(&("snils", "snils.checksum")), "{got:?}");
        assert!(got.contains(&("passport", "passport.format")), "{got:?}");
        assert!(got.contains(&("office_code", "field.required")), "{got:?}");
        assert!(got.contains(&("inn", "inn.checksum")), "{got:?}");
    }

    #[test]
    fn passport_dates_follow_the_rules() {
        let mut f = citizen();
        f.passport_issued_on = "1998-01-01".into();
        let errs = f.validate(TODAY).unwrap_err();
        assert_eq!(errs[0].code, "passport.issued_before_14");
        f.passport_issued_on = "2027-01-01".into();
        assert_eq!(f.validate(TODAY).unwrap_err()[0].code, "date.future");
        f.birth_date = "2020-01-01".into();
        f.passport_issued_on = "2025-01-01".into();
        assert!(
            f.validate(TODAY)
                .unwrap_err()
                .iter()
                .any(|e| e.code == "birth_date.too_young")
        );
    }

    #[test]
    fn citizens_need_snils_and_cyrillic_names() {
        let mut f = citizen();
        f.snils = " ".into();
        assert_eq!(f.validate(TODAY).unwrap_err()[0].code, "snils.required");
        let mut f = citizen();
        f.surname = "Ivanov".into();
        f.given_name = "Ivan".into();
        f.patronymic = String::new();
        assert_eq!(
            f.validate(TODAY).unwrap_err()[0].code,
            "name.cyrillic_required"
        );
    }

    #[test]
    fn foreign_national_without_snils() {
        let f = IdentityForm {
            citizenship: "foreign".into(),
            surname: "KARIMOV".into(),
            given_name: "ALISHER".into(),
            birth_date: "1992-05-20".into(),
            foreign_passport: "fa1234567".into(),
            country: "uzb".into(),
            migration_card: "4617 1234567".into(),
            ..Default::default()
        };
        let d = f.validate(TODAY).unwrap();
        assert_eq!(d.snils, None);
        assert_eq!(
            d.document,
            DocumentData::ForeignPassport {
                number: "FA1234567".into(),
                country: "UZB".into(),
                migration_card: Some("46171234567".into())
            }
        );
        let mut bad = f.clone();
        bad.country = "RUS".into();
        assert_eq!(bad.validate(TODAY).unwrap_err()[0].code, "country.russian");
        let mut none = f;
        none.citizenship = String::new();
        assert!(
            none.validate(TODAY)
                .unwrap_err()
                .iter()
                .any(|e| e.code == "citizenship.required")
        );
    }
}
