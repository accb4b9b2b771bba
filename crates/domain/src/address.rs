//! Addresses as the state address register holds them: a place (region
//! with its code, district with its code, settlement, street, postcode)
//! that people choose from a directory, so that an application is routed
//! by codes, not by typed text. Pure: the directory itself is `app`'s.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Place {
    pub region_code: String,
    pub region: String,
    /// The code office territories name (`50-012` is district 012 of region 50).
    pub district_code: String,
    pub district: String,
    pub settlement: String,
    /// None for a settlement without streets (a village: house numbers only).
    pub street: Option<String>,
    pub postcode: String,
}

/// Words that say what kind of street or settlement a name is; people
/// write them or not, abbreviated or not.
const KIND_WORDS: [&str; 24] = [
    "улица",
    "ул",
    "проспект",
    "пр",
    "пр-т",
    "просп",
    "шоссе",
    "ш",
    "бульвар",
    "б-р",
    "набережная",
    "наб",
    "переулок",
    "пер",
    "площадь",
    "пл",
    "город",
    "г",
    "деревня",
    "д",
    "поселок",
    "пос",
    "село",
    "с",
];

/// A name reduced to what identifies it: lower case, `ё` as `е`,
/// punctuation as spaces, kind words dropped.
pub fn normalise(s: &str) -> String {
    let lowered: String = s
        .chars()
        .map(|c| match c {
            'ё' | 'Ё' => 'е',
            c if c.is_alphanumeric() || c == '-' => c.to_lowercase().next().unwrap_or(c),
            _ => ' ',
        })
        .collect();
    lowered
        .split_whitespace()
        .filter(|w| !KIND_WORDS.contains(w))
        .collect::<Vec<_>>()
        .join(" ")
}

impl Place {
    /// Whether every word of a query starts a word of this place (its
    /// region, settlement, street or district).
    pub fn matches(&self, query: &str) -> bool {
        let hay = normalise(&format!(
            "{} {} {} {}",
            self.region,
            self.settlement,
            self.street.as_deref().unwrap_or(""),
            self.district
        ));
        let words: Vec<&str> = hay.split(' ').collect();
        let q = normalise(query);
        !q.is_empty() && q.split(' ').all(|t| words.iter().any(|w| w.starts_with(t)))
    }

    /// Whether typed parts name this place.
    pub fn is(&self, region_code: &str, settlement: &str, street: Option<&str>) -> bool {
        self.region_code == region_code.trim()
            && normalise(&self.settlement) == normalise(settlement)
            && self.street.as_deref().map(normalise)
                == street.map(normalise).filter(|s| !s.is_empty())
    }

    /// One line, as people read an address.
    pub fn line(&self) -> String {
        let mut parts = vec![self.region.as_str()];
        if self.settlement != self.region {
            parts.push(&self.settlement);
        }
        if let Some(s) = &self.street {
            parts.push(s);
        }
        format!("{}, {}", self.postcode, parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn marata() -> Place {
        Place {
            region_code: "78".into(),
            region: "Санкт-Петербург".into(),
            district_code: "001".into(),
            district: "Центральный район".into(),
            settlement: "Санкт-Петербург".into(),
            street: Some("улица Марата".into()),
            postcode: "191002".into(),
        }
    }

    #[test]
    fn names_match_as_people_write_them() {
        let p = marata();
        assert!(p.matches("марата"));
        assert!(p.matches("Санкт-Петербург, ул. Марата"));
        assert!(!p.matches("спб центр"));
        assert!(p.matches("санкт мар"));
        assert!(!p.matches(""));
        assert!(p.is("78", "Санкт-Петербург", Some("ул Марата")));
        assert!(!p.is("78", "Санкт-Петербург", Some("улица Ленина")));
        assert!(!p.is("47", "Санкт-Петербург", Some("улица Марата")));
        assert_eq!(normalise("Щёлковское  шоссе"), "щелковское");
        assert_eq!(p.line(), "191002, Санкт-Петербург, улица Марата");
    }

    proptest! {
        #[test]
        fn any_query_is_judged_without_panic(q in ".{0,80}") {
            let _ = marata().matches(&q);
            let _ = normalise(&q);
        }
    }
}
