//! The people known to the simulator, and how requests are matched to them.
//!
//! File format (`--population file.json`, `POST /admin/people` takes one
//! element): a JSON array of [`SimPerson`], e.g.
//!
//! ```json
//! [{ "surname": "Иванов", "given_name": "Иван", "patronymic": "Иванович",
//!    "birth_date": "1985-03-14", "snils": "11223344595", "inn": "500100732259",
//!    "passport": { "series": "4510", "number": "123456", "issued_on": "2015-04-20",
//!                  "office_code": "770-001", "status": "valid" } }]
//! ```
//!
//! When several records hold the same number, the one added last wins, so a
//! person added at run time overrides the seeded one.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::wire::{
    DocumentOutcome, ForeignDocumentCheck, InnCheck, InnOutcome, PassportCheck, SnilsCheck,
    SnilsOutcome,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocStatus {
    Valid,
    /// Lost, stolen, replaced or expired.
    Invalid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimPassport {
    pub series: String,
    pub number: String,
    pub issued_on: String,
    pub office_code: String,
    pub status: DocStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimForeign {
    pub passport_number: String,
    pub citizenship: String,
    #[serde(default)]
    pub migration_card: Option<String>,
    pub status: DocStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimPerson {
    pub surname: String,
    pub given_name: String,
    #[serde(default)]
    pub patronymic: Option<String>,
    pub birth_date: String,
    #[serde(default)]
    pub snils: Option<String>,
    #[serde(default)]
    pub inn: Option<String>,
    #[serde(default)]
    pub passport: Option<SimPassport>,
    #[serde(default)]
    pub foreign: Option<SimForeign>,
}

#[derive(Debug, thiserror::Error)]
pub enum PopulationError {
    #[error("cannot read population file: {0}")]
    Io(#[from] std::io::Error),
    #[error("population file is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// Position in the file (0-based) and what is wrong.
    #[error("person #{0}: {1}")]
    Invalid(usize, String),
}

impl SimPerson {
    /// Rejects records that could never match anything.
    pub fn validate(&self) -> Result<(), String> {
        if self.surname.trim().is_empty() || self.given_name.trim().is_empty() {
            return Err("surname and given_name must not be empty".into());
        }
        check_date("birth_date", &self.birth_date)?;
        if let Some(p) = &self.passport {
            check_date("passport.issued_on", &p.issued_on)?;
        }
        Ok(())
    }
}

fn check_date(field: &str, value: &str) -> Result<(), String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(value, format)
        .map(|_| ())
        .map_err(|_| format!("{field} must be a YYYY-MM-DD date"))
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Population {
    people: Vec<SimPerson>,
}

impl Population {
    pub fn new() -> Self {
        Self::default()
    }

    /// The built-in seeded population (see README.md for the table).
    pub fn demo() -> Self {
        super::demo::demo()
    }

    /// Reads a JSON array of people (see the module docs).
    pub fn load_json(path: impl AsRef<Path>) -> Result<Self, PopulationError> {
        let text = std::fs::read_to_string(path)?;
        let pop: Population = serde_json::from_str(&text)?;
        for (i, p) in pop.people.iter().enumerate() {
            p.validate().map_err(|e| PopulationError::Invalid(i, e))?;
        }
        Ok(pop)
    }

    /// Appends `other`'s people; they win over existing ones on conflicts.
    pub fn merge(&mut self, other: Population) {
        self.people.extend(other.people);
    }

    pub fn add(&mut self, person: SimPerson) {
        self.people.push(person);
    }

    pub fn people(&self) -> &[SimPerson] {
        &self.people
    }

    pub fn len(&self) -> usize {
        self.people.len()
    }

    pub fn is_empty(&self) -> bool {
        self.people.is_empty()
    }

    /// Last added first, so later records override earlier ones.
    fn find(&self, pred: impl Fn(&SimPerson) -> bool) -> Option<&SimPerson> {
        self.people.iter().rev().find(|p| pred(p))
    }

    pub fn check_snils(&self, r: &SnilsCheck) -> SnilsOutcome {
        match self.find(|p| p.snils.as_deref() == Some(r.snils.trim())) {
            None => SnilsOutcome::NotFound,
            Some(p)
                if p.same_person(
                    &r.surname,
                    &r.given_name,
                    r.patronymic.as_deref(),
                    &r.birth_date,
                ) =>
            {
                SnilsOutcome::Match
            }
            Some(_) => SnilsOutcome::Mismatch,
        }
    }

    pub fn check_inn(&self, r: &InnCheck) -> InnOutcome {
        match self.find(|p| p.inn.as_deref() == Some(r.inn.trim())) {
            None => InnOutcome::NotFound,
            Some(p)
                if p.same_person(
                    &r.surname,
                    &r.given_name,
                    r.patronymic.as_deref(),
                    &r.birth_date,
                ) =>
            {
                InnOutcome::Match
            }
            Some(_) => InnOutcome::Mismatch,
        }
    }

    pub fn check_passport(&self, r: &PassportCheck) -> DocumentOutcome {
        let found = self.find(|p| {
            p.passport
                .as_ref()
                .is_some_and(|d| d.series == r.series.trim() && d.number == r.number.trim())
        });
        let Some((person, doc)) = found.and_then(|p| p.passport.as_ref().map(|d| (p, d))) else {
            return DocumentOutcome::NotFound;
        };
        if doc.status == DocStatus::Invalid {
            return DocumentOutcome::Invalid;
        }
        let same_doc =
            doc.issued_on == r.issued_on.trim() && doc.office_code == r.office_code.trim();
        let same = person.same_person(
            &r.surname,
            &r.given_name,
            r.patronymic.as_deref(),
            &r.birth_date,
        );
        if same_doc && same {
            DocumentOutcome::Valid
        } else {
            DocumentOutcome::Mismatch
        }
    }

    /// The migration card must equal the record's (both absent counts as equal).
    pub fn check_foreign(&self, r: &ForeignDocumentCheck) -> DocumentOutcome {
        let found = self.find(|p| {
            p.foreign.as_ref().is_some_and(|d| {
                d.passport_number
                    .eq_ignore_ascii_case(r.passport_number.trim())
                    && d.citizenship.eq_ignore_ascii_case(r.citizenship.trim())
            })
        });
        let Some((person, doc)) = found.and_then(|p| p.foreign.as_ref().map(|d| (p, d))) else {
            return DocumentOutcome::NotFound;
        };
        if doc.status == DocStatus::Invalid {
            return DocumentOutcome::Invalid;
        }
        let card = r
            .migration_card
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty());
        let same_card = doc.migration_card.as_deref() == card;
        // Foreign records have no patronymic to compare.
        let same = names_equal(&person.surname, &r.surname)
            && names_equal(&person.given_name, &r.given_name)
            && person.birth_date == r.birth_date.trim();
        if same_card && same {
            DocumentOutcome::Valid
        } else {
            DocumentOutcome::Mismatch
        }
    }
}

impl SimPerson {
    fn same_person(
        &self,
        surname: &str,
        given: &str,
        patronymic: Option<&str>,
        birth: &str,
    ) -> bool {
        names_equal(&self.surname, surname)
            && names_equal(&self.given_name, given)
            && names_equal(
                self.patronymic.as_deref().unwrap_or(""),
                patronymic.unwrap_or(""),
            )
            && self.birth_date == birth.trim()
    }
}

/// Case-insensitive, `Ё` ≡ `Е`, surrounding whitespace ignored.
pub fn names_equal(a: &str, b: &str) -> bool {
    fn norm(s: &str) -> impl Iterator<Item = char> + '_ {
        s.trim()
            .chars()
            .flat_map(char::to_lowercase)
            .map(|c| if c == 'ё' { 'е' } else { c })
    }
    norm(a).eq(norm(b))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn ivanov_snils() -> SnilsCheck {
        SnilsCheck {
            snils: "11223344595".into(),
            surname: "Иванов".into(),
            given_name: "Иван".into(),
            patronymic: Some("Иванович".into()),
            birth_date: "1985-03-14".into(),
        }
    }

    #[test]
    fn names_compare_case_insensitively_with_yo_and_trim() {
        assert!(names_equal("Пётр", " ПЕТР "));
        assert!(names_equal("ФЁДОРОВА", "федорова"));
        assert!(names_equal("KARIMOV", "Karimov"));
        assert!(!names_equal("Иванов", "Иванова"));
    }

    #[test]
    fn missing_and_empty_patronymic_are_equal() {
        let pop = Population::demo();
        let mut r = ivanov_snils();
        r.snils = "67891234553".into();
        r.surname = "Васильев".into();
        r.given_name = "Сергей".into();
        r.birth_date = "1999-12-31".into();
        r.patronymic = Some(" ".into());
        assert_eq!(pop.check_snils(&r), SnilsOutcome::Match);
        r.patronymic = None;
        assert_eq!(pop.check_snils(&r), SnilsOutcome::Match);
        r.patronymic = Some("Петрович".into());
        assert_eq!(pop.check_snils(&r), SnilsOutcome::Mismatch);
    }

    #[test]
    fn foreign_migration_card_must_equal_the_record() {
        let pop = Population::demo();
        let mut r = ForeignDocumentCheck {
            passport_number: "N12345678".into(),
            citizenship: "KAZ".into(),
            migration_card: None,
            surname: "Nurlanov".into(),
            given_name: "Daulet".into(),
            birth_date: "1994-10-03".into(),
        };
        assert_eq!(pop.check_foreign(&r), DocumentOutcome::Valid);
        r.migration_card = Some("46171234567".into());
        assert_eq!(pop.check_foreign(&r), DocumentOutcome::Mismatch);
        r.citizenship = "UZB".into();
        assert_eq!(pop.check_foreign(&r), DocumentOutcome::NotFound);
    }

    #[test]
    fn later_records_override_earlier_ones() {
        let mut pop = Population::demo();
        let mut other = Population::new();
        other.add(SimPerson {
            surname: "Иванова".into(),
            given_name: "Мария".into(),
            patronymic: None,
            birth_date: "2000-01-01".into(),
            snils: Some("11223344595".into()),
            inn: None,
            passport: None,
            foreign: None,
        });
        pop.merge(other);
        assert_eq!(pop.check_snils(&ivanov_snils()), SnilsOutcome::Mismatch);
    }

    #[test]
    fn load_json_reads_and_validates_a_file() {
        let dir = std::env::temp_dir().join(format!("registries-pop-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.json");
        std::fs::write(&good, serde_json::to_string(&Population::demo()).unwrap()).unwrap();
        assert_eq!(Population::load_json(&good).unwrap(), Population::demo());

        let bad = dir.join("bad.json");
        std::fs::write(
            &bad,
            r#"[{"surname":"A","given_name":"B","birth_date":"1990-13-01"}]"#,
        )
        .unwrap();
        let err = Population::load_json(&bad).unwrap_err();
        assert!(matches!(err, PopulationError::Invalid(0, _)), "{err}");

        let unknown = dir.join("unknown.json");
        std::fs::write(
            &unknown,
            r#"[{"surname":"A","given_name":"B","birth_date":"1990-01-01","x":1}]"#,
        )
        .unwrap();
        assert!(matches!(
            Population::load_json(&unknown),
            Err(PopulationError::Json(_))
        ));
        assert!(matches!(
            Population::load_json(dir.join("missing.json")),
            Err(PopulationError::Io(_))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
