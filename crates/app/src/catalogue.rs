//! The service catalogue: definition files (`crates/app/services/*.toml`)
//! built into the binary, parsed and checked when the portal starts. A
//! definition that does not parse, or breaks a rule of
//! `domain::catalogue`, stops the start with its file, line and reason.

use domain::catalogue::ServiceDef;

/// The definitions shipped with the portal.
/// The definitions shipped with the portal, in SPEC §3 order.
const FILES: &[(&str, &str)] = &[
    (
        "passport-internal.toml",
        include_str!("../services/passport-internal.toml"),
    ),
    (
        "passport-foreign-old.toml",
        include_str!("../services/passport-foreign-old.toml"),
    ),
    (
        "passport-foreign-biometric.toml",
        include_str!("../services/passport-foreign-biometric.toml"),
    ),
    (
        "registration-residence.toml",
        include_str!("../services/registration-residence.toml"),
    ),
    (
        "registration-stay.toml",
        include_str!("../services/registration-stay.toml"),
    ),
    (
        "deregistration.toml",
        include_str!("../services/deregistration.toml"),
    ),
    (
        "address-reference.toml",
        include_str!("../services/address-reference.toml"),
    ),
    (
        "invitation-foreigner.toml",
        include_str!("../services/invitation-foreigner.toml"),
    ),
    (
        "temporary-residence-permit.toml",
        include_str!("../services/temporary-residence-permit.toml"),
    ),
    (
        "residence-permit.toml",
        include_str!("../services/residence-permit.toml"),
    ),
];

/// One complete, valid set of answers per service (documentation for API
/// clients, and what the tests submit); `today±N` dates are resolved when read.
const EXAMPLES: &[(&str, &str)] = &[
    (
        "passport-internal",
        include_str!("../services/examples/passport-internal.json"),
    ),
    (
        "passport-foreign-old",
        include_str!("../services/examples/passport-foreign-old.json"),
    ),
    (
        "passport-foreign-biometric",
        include_str!("../services/examples/passport-foreign-biometric.json"),
    ),
    (
        "registration-residence",
        include_str!("../services/examples/registration-residence.json"),
    ),
    (
        "registration-stay",
        include_str!("../services/examples/registration-stay.json"),
    ),
    (
        "deregistration",
        include_str!("../services/examples/deregistration.json"),
    ),
    (
        "address-reference",
        include_str!("../services/examples/address-reference.json"),
    ),
    (
        "invitation-foreigner",
        include_str!("../services/examples/invitation-foreigner.json"),
    ),
    (
        "temporary-residence-permit",
        include_str!("../services/examples/temporary-residence-permit.json"),
    ),
    (
        "residence-permit",
        include_str!("../services/examples/residence-permit.json"),
    ),
];

#[derive(Debug, thiserror::Error)]
#[error("service definition {file}: {reason}")]
pub struct CatalogueError {
    pub file: String,
    pub reason: String,
}

/// Every service of the catalogue, in the order of the files.
#[derive(Debug, Clone)]
pub struct Catalogue {
    services: Vec<ServiceDef>,
}

/// The built-in catalogue, read once, for texts written when they are read.
static BUILTIN: std::sync::LazyLock<Option<Catalogue>> =
    std::sync::LazyLock::new(|| Catalogue::builtin().ok());

/// A built-in service's name in the language `lang` (a notice keeps the
/// service's code, so it reads in its reader's language).
pub fn service_name(code: &str, lang: &str) -> Option<String> {
    BUILTIN
        .as_ref()?
        .get(code)
        .map(|d| d.name.get(lang).to_owned())
}

impl Catalogue {
    /// The built-in definitions, checked.
    pub fn builtin() -> Result<Self, CatalogueError> {
        Self::from_files(FILES.iter().map(|(f, t)| (*f, *t)))
    }

    /// Parses and checks definitions given as (file name, text).
    pub fn from_files<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, CatalogueError> {
        let mut services: Vec<ServiceDef> = Vec::new();
        for (file, text) in files {
            let def = parse(file, text)?;
            if services.iter().any(|s| s.code == def.code) {
                return Err(CatalogueError {
                    file: file.into(),
                    reason: format!("code {} is defined twice", def.code),
                });
            }
            services.push(def);
        }
        Ok(Self { services })
    }

    pub fn services(&self) -> &[ServiceDef] {
        &self.services
    }

    pub fn get(&self, code: &str) -> Option<&ServiceDef> {
        self.services.iter().find(|s| s.code == code)
    }

    /// The example answers of a built-in service, with dates as of `today`.
    pub fn example(&self, code: &str, today: time::Date) -> Option<serde_json::Value> {
        let (_, text) = EXAMPLES.iter().find(|(c, _)| *c == code)?;
        let mut v: serde_json::Value = serde_json::from_str(text).ok()?;
        resolve_dates(&mut v, today);
        Some(v)
    }
}

/// Replaces `today+N` / `today-N` strings with ISO dates.
fn resolve_dates(v: &mut serde_json::Value, today: time::Date) {
    use serde_json::Value;
    match v {
        Value::String(s) => {
            let days = s
                .strip_prefix("today+")
                .and_then(|n| n.parse::<i64>().ok())
                .or_else(|| {
                    s.strip_prefix("today-")
                        .and_then(|n| n.parse::<i64>().ok())
                        .map(|n| -n)
                });
            if let Some(d) = days {
                *s = (today + time::Duration::days(d)).to_string();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|x| resolve_dates(x, today)),
        Value::Object(map) => map.values_mut().for_each(|x| resolve_dates(x, today)),
        _ => {}
    }
}

/// One definition: TOML (the parser's message names the line and column),
/// then the rules of a definition.
pub fn parse(file: &str, text: &str) -> Result<ServiceDef, CatalogueError> {
    let def: ServiceDef = toml::from_str(text).map_err(|e| CatalogueError {
        file: file.into(),
        reason: e.to_string(),
    })?;
    let problems = def.check();
    if let Some(first) = problems.first() {
        return Err(CatalogueError {
            file: file.into(),
            reason: if problems.len() > 1 {
                format!("{first} (and {} more)", problems.len() - 1)
            } else {
                first.clone()
            },
        });
    }
    Ok(def)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const REFERENCE: &str = include_str!("../services/address-reference.toml");

    #[test]
    fn the_builtin_catalogue_loads() {
        let c = Catalogue::builtin().expect("every built-in definition is valid");
        let reference = c.get("address-reference").expect("address-reference");
        assert_eq!(
            reference.least_level,
            domain::catalogue::LeastLevel::Standard
        );
        assert!(reference.fee.is_none(), "free of charge");
    }

    /// Every text of every service is translated into every language there
    /// is a catalogue for (a new language names here what it still lacks),
    /// and no text is in a language the portal does not speak.
    #[test]
    fn every_service_text_is_in_every_language() {
        fn texts<'a>(
            v: &'a serde_json::Value,
            at: String,
            out: &mut Vec<(String, &'a serde_json::Map<String, serde_json::Value>)>,
        ) {
            match v {
                serde_json::Value::Object(m) => {
                    if m.contains_key("ru") && m.values().all(serde_json::Value::is_string) {
                        out.push((at, m));
                    } else {
                        for (k, v) in m {
                            texts(v, format!("{at}.{k}"), out);
                        }
                    }
                }
                serde_json::Value::Array(a) => {
                    for (i, v) in a.iter().enumerate() {
                        texts(v, format!("{at}[{i}]"), out);
                    }
                }
                _ => {}
            }
        }
        let c = Catalogue::builtin().expect("loads");
        let langs: Vec<&str> = crate::i18n::Lang::all().map(|l| l.code()).collect();
        for s in c.services() {
            let json = serde_json::to_value(s).unwrap();
            let mut found = Vec::new();
            texts(&json, s.code.clone(), &mut found);
            assert!(found.len() > 10, "{}: the walk finds the texts", s.code);
            for (at, text) in found {
                for lang in &langs {
                    assert!(
                        text.get(*lang)
                            .and_then(|v| v.as_str())
                            .is_some_and(|t| !t.trim().is_empty()),
                        "{at} has no `{lang}` text"
                    );
                }
                for key in text.keys() {
                    assert!(
                        langs.contains(&key.as_str()),
                        "{at}: `{key}` is not a language of the portal"
                    );
                }
            }
        }
    }

    /// A text without Russian, or keyed by something not a language, is refused when loaded.
    #[test]
    fn a_text_needs_russian_and_language_codes() {
        let no_ru: Result<domain::form::Text, _> =
            serde_json::from_value(serde_json::json!({"en": "x"}));
        assert!(no_ru.unwrap_err().to_string().contains("Russian"));
        let typo: Result<domain::form::Text, _> =
            serde_json::from_value(serde_json::json!({"ru": "x", "English": "x"}));
        assert!(
            typo.unwrap_err()
                .to_string()
                .contains("not a language code")
        );
        let de: domain::form::Text =
            serde_json::from_value(serde_json::json!({"ru": "Услуги", "de": "Dienste"})).unwrap();
        assert_eq!(de.get("de"), "Dienste");
        assert_eq!(
            de.get("en"),
            "Услуги",
            "a language without its text is shown the Russian one"
        );
    }

    /// Every service has an example, and it is valid on any day (dates near
    /// today are written relative to it).
    #[test]
    fn every_example_is_valid() {
        let c = Catalogue::builtin().expect("loads");
        for today in [
            time::macros::date!(2026 - 11 - 29),
            time::macros::date!(2027 - 11 - 29),
        ] {
            for s in c.services() {
                let example = c.example(&s.code, today).expect("an example");
                let problems = domain::form::validate(&s.form, &example, today).err();
                assert!(problems.is_none(), "{} on {today}: {problems:?}", s.code);
            }
        }
        assert_eq!(c.services().len(), domain::catalogue::SERVICE_CODES.len());
    }

    /// Each service's JSON Schema, read by an independent validator, takes
    /// its example and refuses what the form engine refuses.
    #[test]
    fn the_json_schemas_take_the_examples() {
        let c = Catalogue::builtin().expect("loads");
        let today = time::macros::date!(2026 - 11 - 29);
        for s in c.services() {
            let schema = crate::services::json_schema(s);
            let validator = jsonschema::draft202012::new(&schema);
            assert!(validator.is_ok(), "{}: {:?}", s.code, validator.err());
            let validator = validator.expect("the schema compiles");
            let example = c.example(&s.code, today).expect("an example");
            let errors: Vec<String> = validator
                .iter_errors(&example)
                .map(|e| e.to_string())
                .collect();
            assert!(errors.is_empty(), "{}: {errors:?}", s.code);
            let mut wrong = example.clone();
            wrong["no_such_field"] = serde_json::json!(1);
            assert!(
                !validator.is_valid(&wrong),
                "{}: unknown fields are refused",
                s.code
            );
        }
    }

    #[test]
    fn a_broken_definition_names_its_file_and_line() {
        let text = REFERENCE.replace("visits = 0", "visits = \"none\"");
        let e = parse("broken.toml", &text).unwrap_err();
        assert_eq!(e.file, "broken.toml");
        assert!(e.reason.contains("line"), "{}", e.reason);
        let text = REFERENCE.replace(
            "least_level = \"standard\"",
            "least_level = \"standard\"\ncolour = 1",
        );
        assert!(
            parse("typo.toml", &text)
                .unwrap_err()
                .reason
                .contains("colour")
        );
    }

    #[test]
    fn a_definition_that_breaks_a_rule_is_refused() {
        let text = REFERENCE.replace(
            "code = \"address-reference\"",
            "code = \"passport-internal\"",
        );
        let e = parse("x.toml", &text).unwrap_err();
        assert!(e.reason.contains("confirmed"), "{}", e.reason);
        let text = REFERENCE.replace(
            "field = \"about\", values = [\"other_person\"] } }\nrequire_when",
            "field = \"nobody\", values = [\"other_person\"] } }\nrequire_when",
        );
        assert!(
            parse("y.toml", &text)
                .unwrap_err()
                .reason
                .contains("nobody")
        );
        let twice = Catalogue::from_files([("a.toml", REFERENCE), ("b.toml", REFERENCE)]);
        assert!(twice.unwrap_err().reason.contains("twice"));
    }

    #[test]
    fn the_reference_form_asks_about_another_person_only_when_needed() {
        let c = Catalogue::builtin().expect("loads");
        let form = &c.get("address-reference").expect("defined").form;
        let today = time::macros::date!(2026 - 11 - 29);
        let me = serde_json::json!({"about": "self", "delivery": "account"});
        assert!(domain::form::validate(form, &me, today).is_ok());
        let other = serde_json::json!({"about": "other_person", "delivery": "office"});
        let problems = domain::form::validate(form, &other, today).unwrap_err();
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["/surname", "/given_name", "/birth_date", "/basis"]);
    }
}
