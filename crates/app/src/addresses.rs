//! The address directory: people choose an address from it rather than type
//! one, and an application's addresses are bound to it, carrying the
//! district code that office territories name. Behind [`AddressDirectory`],
//! which the state register (GAR) can fill in production; the portal ships
//! a seeded directory of the demo regions.

use crate::Portal;
use crate::error::{AppError, ErrorKind};
use async_trait::async_trait;
use domain::address::Place;
use domain::catalogue::ServiceDef;
use domain::form::{FieldKind, Problem};
use serde_json::Value;

#[async_trait]
pub trait AddressDirectory: Send + Sync {
    /// Whether the directory knows the region (outside it, typed addresses stand).
    fn covers(&self, region_code: &str) -> bool;
    /// Places whose names start with the words of `query`, best first.
    async fn search(&self, query: &str, limit: usize) -> Result<Vec<Place>, AppError>;
    /// The place the typed parts name, if the directory has it.
    async fn find(
        &self,
        region_code: &str,
        settlement: &str,
        street: Option<&str>,
    ) -> Result<Option<Place>, AppError>;
}

/// The directory shipped for the demo regions (`app/register/addresses.json`).
pub struct SeededDirectory {
    places: Vec<Place>,
}

#[derive(serde::Deserialize)]
struct SeedFile {
    places: Vec<Place>,
}

impl SeededDirectory {
    /// A directory that covers no region (every typed address stands).
    pub fn empty() -> Self {
        Self { places: Vec::new() }
    }

    pub fn builtin() -> Result<Self, String> {
        let seed: SeedFile = serde_json::from_str(include_str!("../register/addresses.json"))
            .map_err(|e| format!("register/addresses.json: {e}"))?;
        Ok(Self {
            places: seed.places,
        })
    }
}

#[async_trait]
impl AddressDirectory for SeededDirectory {
    fn covers(&self, region_code: &str) -> bool {
        self.places
            .iter()
            .any(|p| p.region_code == region_code.trim())
    }

    async fn search(&self, query: &str, limit: usize) -> Result<Vec<Place>, AppError> {
        Ok(self
            .places
            .iter()
            .filter(|p| p.matches(query))
            .take(limit)
            .cloned()
            .collect())
    }

    async fn find(
        &self,
        region_code: &str,
        settlement: &str,
        street: Option<&str>,
    ) -> Result<Option<Place>, AppError> {
        Ok(self
            .places
            .iter()
            .find(|p| p.is(region_code, settlement, street))
            .cloned())
    }
}

/// Most places one search gives.
pub const MAX_RESULTS: usize = 20;

/// Places matching what a person typed (2 to 100 characters).
pub async fn search(state: &Portal, query: &str) -> Result<Vec<Place>, AppError> {
    let q = query.trim();
    let n = q.chars().count();
    if !(2..=100).contains(&n) {
        return Err(AppError::new(ErrorKind::Invalid, "address.query"));
    }
    state.addresses.search(q, MAX_RESULTS).await
}

/// Binds every address of `answers` to the directory: in a region it
/// covers, the settlement and street must be one of its places, and the
/// district and its code are taken from it. `strict` (on submission): an
/// address the directory lacks is a problem; otherwise (a draft) it stays
/// as typed, to be chosen later.
pub async fn bind(
    state: &Portal,
    def: &ServiceDef,
    answers: &mut Value,
    strict: bool,
) -> Result<Vec<Problem>, AppError> {
    let paths: Vec<String> =
        domain::form::answers_of_kind(&def.form, answers, |k| matches!(k, FieldKind::Address))
            .into_iter()
            .map(|(p, _)| p)
            .collect();
    let mut problems = Vec::new();
    for path in paths {
        let Some(Value::Object(a)) = answers.pointer_mut(&path) else {
            continue;
        };
        let text = |k: &str| {
            a.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let region = text("region_code");
        if !state.addresses.covers(&region) {
            continue;
        }
        let street = text("street");
        let found = state
            .addresses
            .find(
                &region,
                &text("settlement"),
                Some(street.as_str()).filter(|s| !s.is_empty()),
            )
            .await?;
        match found {
            Some(place) => {
                a.insert("postcode".into(), Value::String(place.postcode));
                a.insert("region".into(), Value::String(place.region));
                a.insert("district".into(), Value::String(place.district));
                a.insert("district_code".into(), Value::String(place.district_code));
                a.insert("settlement".into(), Value::String(place.settlement));
                if let Some(s) = place.street {
                    a.insert("street".into(), Value::String(s));
                }
            }
            None if strict => {
                problems.push(Problem::at("address.unknown", format!("{path}/street")))
            }
            None => {}
        }
    }
    Ok(problems)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_seeded_directory_is_searched_by_words() {
        let d = SeededDirectory::builtin().unwrap();
        let found = d.search("москва льва толст", 10).await.unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].district_code.as_str(), found[0].postcode.as_str()),
            ("001", "119021")
        );
        assert!(d.covers("78") && !d.covers("99"));
        let marata = d
            .find("78", "Санкт-Петербург", Some("ул. Марата"))
            .await
            .unwrap();
        assert_eq!(marata.unwrap().district, "Центральный район");
        let village = d.find("50", "деревня Никольское", None).await.unwrap();
        assert!(village.is_some(), "a village without streets");
    }
}
