//! The service catalogue: definition files (`crates/app/services/*.toml`)
//! built into the binary, parsed and checked when the portal starts. A
//! definition that does not parse, or breaks a rule of
//! `domain::catalogue`, stops the start with its file, line and reason.

use domain::catalogue::ServiceDef;

/// The definitions shipped with the portal.
const FILES: &[(&str, &str)] = &[(
    "address-reference.toml",
    include_str!("../services/address-reference.toml"),
)];

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

    #[test]
    fn the_builtin_catalogue_loads() {
        let c = Catalogue::builtin().expect("every built-in definition is valid");
        let reference = c.get("address-reference").expect("address-reference");
        assert_eq!(
            reference.least_level,
            domain::catalogue::LeastLevel::Standard
        );
        assert!(reference.fee_key.is_none(), "free of charge");
    }

    #[test]
    fn a_broken_definition_names_its_file_and_line() {
        let text = FILES[0].1.replace("visits = 0", "visits = \"none\"");
        let e = parse("broken.toml", &text).unwrap_err();
        assert_eq!(e.file, "broken.toml");
        assert!(e.reason.contains("line"), "{}", e.reason);
        let text = FILES[0].1.replace(
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
        let text = FILES[0].1.replace(
            "code = \"address-reference\"",
            "code = \"passport-internal\"",
        );
        let e = parse("x.toml", &text).unwrap_err();
        assert!(e.reason.contains("confirmed"), "{}", e.reason);
        let text = FILES[0].1.replace(
            "field = \"about\", values = [\"other_person\"] } }\nrequire_when",
            "field = \"nobody\", values = [\"other_person\"] } }\nrequire_when",
        );
        assert!(
            parse("y.toml", &text)
                .unwrap_err()
                .reason
                .contains("nobody")
        );
        let twice = Catalogue::from_files([("a.toml", FILES[0].1), ("b.toml", FILES[0].1)]);
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
