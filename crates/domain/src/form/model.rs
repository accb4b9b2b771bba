//! What a form is made of. Deserialisable, so service definitions can be
//! data files; unknown keys are refused so a typo in a definition is found
//! when it is loaded, not when a person meets it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A text in the languages of the portal, keyed by language code (`ru`,
/// `en`, …). Russian, the official language, is required; a language without
/// its own text is shown the Russian one. Keys are language codes, so a
/// translation is added by data alone (`de = "…"`), with no code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Text(BTreeMap<String, String>);

impl Text {
    /// The language every text must have.
    pub const OFFICIAL: &'static str = "ru";

    /// A text in Russian and English (definitions in code and tests).
    pub fn new(ru: impl Into<String>, en: impl Into<String>) -> Self {
        Self(BTreeMap::from([
            ("ru".to_owned(), ru.into()),
            ("en".to_owned(), en.into()),
        ]))
    }

    /// The Russian text (documents, registers, the API's titles).
    pub fn ru(&self) -> &str {
        self.0.get(Self::OFFICIAL).map_or("", String::as_str)
    }

    /// The text in `lang`, or the Russian one when it has none.
    pub fn get(&self, lang: &str) -> &str {
        self.0.get(lang).map_or_else(|| self.ru(), String::as_str)
    }

    /// Whether the text has its own translation into `lang`.
    pub fn has(&self, lang: &str) -> bool {
        self.0.get(lang).is_some_and(|s| !s.trim().is_empty())
    }

    /// Each language and its text, Russian included.
    pub fn each(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// A language code as the catalogues name them: two or three small letters.
fn is_language_code(code: &str) -> bool {
    (2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase())
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let map = BTreeMap::<String, String>::deserialize(d)?;
        if let Some(bad) = map.keys().find(|k| !is_language_code(k)) {
            return Err(D::Error::custom(format!(
                "`{bad}` is not a language code (two or three small letters)"
            )));
        }
        if !map.contains_key(Text::OFFICIAL) {
            return Err(D::Error::custom("a text needs its Russian `ru`"));
        }
        Ok(Self(map))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FormDef {
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub id: String,
    pub title: Text,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// The key of the value in the payload (unique within its level).
    pub id: String,
    pub label: Text,
    #[serde(default)]
    pub help: Option<Text>,
    pub kind: FieldKind,
    /// Must be given (when shown).
    #[serde(default)]
    pub required: bool,
    /// Shown (and so accepted) only when this holds.
    #[serde(default)]
    pub show_when: Option<Condition>,
    /// Required only when this holds.
    #[serde(default)]
    pub require_when: Option<Condition>,
    /// Where a new draft takes this field's value from.
    #[serde(default)]
    pub prefill: Option<Prefill>,
}

/// What the portal already knows that a new draft may start with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Prefill {
    /// The person's name and birth date (a `person` field).
    Person,
    /// The internal passport on record (a `document` field).
    PassportRf,
    /// The foreign passport on record (a `document` field).
    ForeignPassport,
    /// The verified phone (a `text` field).
    Phone,
    /// The verified e-mail (a `text` field).
    Email,
    /// The address of registration from the person's profile (an `address` field).
    RegistrationAddress,
    /// The same field of the person's latest application for the service.
    Previous,
}

/// Letters a text may be written in, as the real forms demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Script {
    /// Russian letters, spaces, hyphens, apostrophes and dots.
    Cyrillic,
    /// Latin letters, spaces, hyphens, apostrophes and dots.
    Latin,
    /// Digits only.
    Digits,
}

/// A date's limits, relative to today or to another field of the same level.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum DateRule {
    NotFuture,
    NotPast,
    /// No earlier than this many years before today.
    WithinYears(u16),
    /// No earlier than the date in the named sibling field.
    NotBefore(String),
    /// The person born on this date is at least this old today.
    MinAge(u16),
    /// No later than the date in the named sibling field.
    NotAfter(String),
    /// At most `days` days after the date in the named sibling field (a
    /// period of stay, a visit's length).
    MaxDaysAfter {
        field: String,
        days: u16,
    },
    /// No later than this many days from today (how far ahead a date may be).
    WithinDaysAhead(u16),
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case", tag = "type")]
pub enum FieldKind {
    Text {
        #[serde(default)]
        min: Option<usize>,
        max: usize,
        #[serde(default)]
        script: Option<Script>,
        /// A regular expression the whole text must match (after trimming).
        #[serde(default)]
        pattern: Option<String>,
    },
    /// A whole number within a range (years, days, persons).
    Number {
        min: i64,
        max: i64,
    },
    /// An uploaded file: the value is the attachment's id, given back by
    /// the upload. What the file may be is checked when it is uploaded.
    File {
        accept: Vec<FileType>,
        /// Largest size in bytes.
        max_bytes: u64,
        /// A passport photo: checked for its pixel size and aspect.
        #[serde(default)]
        photo: bool,
    },
    Date {
        #[serde(default)]
        rules: Vec<DateRule>,
    },
    Choice {
        options: Vec<ChoiceOption>,
    },
    Boolean,
    /// A statement the person must accept (the declaration at the end of
    /// every real form): only `true` counts as an answer.
    Declaration,
    /// A person: `surname`, `given_name`, `patronymic` (optional) and
    /// `birth_date`, with the age limits the service has.
    Person {
        #[serde(default)]
        min_age: Option<u16>,
        #[serde(default)]
        max_age: Option<u16>,
        /// The letters the name must be written in (a guest's name in
        /// Latin letters, as in the passport).
        #[serde(default)]
        script: Option<Script>,
    },
    /// An identity document: `number` (as the kind writes it), `issued_on`,
    /// `issued_by` (optional).
    Document {
        document: DocumentType,
    },
    /// An address as the state address register holds it: `region_code`,
    /// `region`, `district`, `settlement`, `street`, `house`, `building`,
    /// `flat`, `postcode` (district, street, building and flat optional).
    Address,
    /// A repeating group (previous names, places of work): each item is an
    /// object of `fields`.
    Group {
        fields: Vec<Field>,
        #[serde(default)]
        min: usize,
        max: usize,
    },
}

/// Which identity document a `document` field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentType {
    /// The internal passport: series and number, `45 10 123456`.
    PassportRf,
    /// A passport of another state (or the Russian foreign passport).
    ForeignPassport,
}

/// What an uploaded file may be, told by its content, not its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileType {
    Jpeg,
    Png,
    Pdf,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceOption {
    pub value: String,
    pub label: Text,
}

/// When a field is shown or required: a sibling's value.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum Condition {
    /// The sibling field is `true`.
    IsTrue(String),
    /// The sibling field is `false`.
    IsFalse(String),
    /// The sibling field equals one of the values.
    OneOf { field: String, values: Vec<String> },
    /// The sibling field is given and equals none of the values.
    NoneOf { field: String, values: Vec<String> },
}

impl Condition {
    /// The sibling field the condition reads.
    pub fn field(&self) -> &str {
        match self {
            Self::IsTrue(f) | Self::IsFalse(f) => f,
            Self::OneOf { field, .. } | Self::NoneOf { field, .. } => field,
        }
    }
}

impl FormDef {
    /// Mistakes in a definition itself (duplicate ids, a condition naming a
    /// field that is not its sibling, a group whose maximum is below its
    /// minimum, a choice without options): checked when definitions load.
    pub fn check(&self) -> Vec<String> {
        let all: Vec<&Field> = self.sections.iter().flat_map(|s| &s.fields).collect();
        let mut out = Vec::new();
        check_level("", &all, &mut out);
        out
    }
}

fn check_level(at: &str, fields: &[&Field], out: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    for f in fields {
        let here = format!("{at}/{}", f.id);
        if f.id.is_empty()
            || !f
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            out.push(format!("{here}: an id is lower-case letters, digits and _"));
        }
        if !seen.insert(f.id.as_str()) {
            out.push(format!("{here}: the id is used twice"));
        }
        for c in [&f.show_when, &f.require_when].into_iter().flatten() {
            let target = c.field();
            if !fields.iter().any(|s| s.id == target) {
                out.push(format!(
                    "{here}: the condition names {target}, not a field beside it"
                ));
            }
        }
        match &f.kind {
            FieldKind::Text { min, max, .. } if *max == 0 || min.is_some_and(|m| m > *max) => {
                out.push(format!("{here}: text limits are impossible"));
            }
            FieldKind::Text {
                pattern: Some(p), ..
            } if regex_lite::Regex::new(p).is_err() => {
                out.push(format!("{here}: the pattern is not a regular expression"));
            }
            FieldKind::Number { min, max } if min > max => {
                out.push(format!("{here}: number limits are impossible"));
            }
            FieldKind::File {
                accept, max_bytes, ..
            } if accept.is_empty() || *max_bytes == 0 => {
                out.push(format!("{here}: a file field must accept something"));
            }
            FieldKind::Person {
                min_age: Some(lo),
                max_age: Some(hi),
                ..
            } if lo > hi => {
                out.push(format!("{here}: age limits are impossible"));
            }
            FieldKind::Choice { options } if options.is_empty() => {
                out.push(format!("{here}: a choice without options"));
            }
            FieldKind::Group { fields, min, max } => {
                if max < min || *max == 0 {
                    out.push(format!("{here}: group limits are impossible"));
                }
                let inner: Vec<&Field> = fields.iter().collect();
                check_level(&format!("{here}/*"), &inner, out);
            }
            FieldKind::Date { rules } => {
                for r in rules {
                    let other = match r {
                        DateRule::NotBefore(o) | DateRule::NotAfter(o) => o,
                        DateRule::MaxDaysAfter { field, .. } => field,
                        _ => continue,
                    };
                    if !fields.iter().any(|s| &s.id == other) {
                        out.push(format!(
                            "{here}: a date rule names {other}, not a field beside it"
                        ));
                    }
                }
            }
            _ => {}
        }
    }
}
