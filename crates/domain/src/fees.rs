//! State fees (SPEC §6) as data with effective dates: a schedule is a list
//! of editions, each complete (every service and category) and in force from
//! its date until the next one, with the portal discount of its time. A fee
//! is computed for any date from the edition in force on it, so history is
//! right. Which category an application falls in is the service's rule
//! (`[fee]` in its definition) over the answers.

use crate::Invalid;
use crate::catalogue::Stage;
use crate::eligibility::age_on;
use crate::form::{Condition, holds};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use time::Date;

/// The largest amount an edition may hold: a million roubles, in kopecks.
pub const MAX_KOPECKS: i64 = 100_000_000;

/// Who pays what: the categories of the Tax Code's items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeCategory {
    /// One amount for everyone.
    Single,
    Adult,
    /// A child under 14.
    Child,
    /// Issue, also replacement on reaching an age or a change of data.
    Issue,
    /// Replacement of a document lost, stolen or unfit for use.
    Loss,
}

impl FeeCategory {
    pub const ALL: [Self; 5] = [
        Self::Single,
        Self::Adult,
        Self::Child,
        Self::Issue,
        Self::Loss,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Single => "single",
            Self::Adult => "adult",
            Self::Child => "child",
            Self::Issue => "issue",
            Self::Loss => "loss",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// One amount of an edition.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    /// A service's fee key (`[fee] key` in its definition).
    pub key: String,
    pub category: FeeCategory,
    pub kopecks: i64,
}

/// The fees in force from a date until the next edition.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Edition {
    #[serde(with = "crate::schedule::iso_date")]
    pub from: Date,
    /// Off the amount when paid through the portal (30 until 2023).
    pub portal_discount_percent: u8,
    pub rates: Vec<Rate>,
}

impl Edition {
    /// Mistakes in an edition, each a stable code, given the (key, category)
    /// pairs the catalogue's services need: every one present once, amounts
    /// above zero and at most [`MAX_KOPECKS`], a discount below 100 %.
    pub fn check(&self, needed: &BTreeSet<(String, FeeCategory)>) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.portal_discount_percent >= 100 {
            out.push("fee.discount");
        }
        let mut seen = BTreeSet::new();
        for r in &self.rates {
            if r.kopecks <= 0 || r.kopecks > MAX_KOPECKS {
                out.push("fee.amount");
            }
            if !seen.insert((r.key.clone(), r.category)) {
                out.push("fee.duplicate");
            }
            if !needed.contains(&(r.key.clone(), r.category)) {
                out.push("fee.unknown_rate");
            }
        }
        if needed.iter().any(|n| !seen.contains(n)) {
            out.push("fee.incomplete");
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    fn rate(&self, key: &str, category: FeeCategory) -> Option<i64> {
        self.rates
            .iter()
            .find(|r| r.key == key && r.category == category)
            .map(|r| r.kopecks)
    }
}

/// A fee as computed for a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fee {
    pub key: String,
    pub category: FeeCategory,
    pub kopecks: i64,
    pub discount_percent: u8,
    /// What is paid through the portal: the amount less the discount,
    /// rounded down to the kopeck.
    pub portal_kopecks: i64,
    /// The edition it comes from.
    pub edition: Date,
}

/// Every edition, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeeSchedule {
    editions: Vec<Edition>,
}

impl FeeSchedule {
    pub fn new(mut editions: Vec<Edition>) -> Self {
        editions.sort_by_key(|e| e.from);
        editions.dedup_by_key(|e| e.from);
        Self { editions }
    }

    pub fn editions(&self) -> &[Edition] {
        &self.editions
    }

    /// The edition in force on `on`: the last one starting on or before it.
    pub fn in_force(&self, on: Date) -> Option<&Edition> {
        self.editions.iter().rev().find(|e| e.from <= on)
    }

    /// The fee for `key` and `category` on `on`.
    pub fn fee(&self, key: &str, category: FeeCategory, on: Date) -> Result<Fee, Invalid> {
        let e = self.in_force(on).ok_or(Invalid::new("fee.no_schedule"))?;
        let kopecks = e.rate(key, category).ok_or(Invalid::new("fee.no_rate"))?;
        Ok(Fee {
            key: key.to_owned(),
            category,
            kopecks,
            discount_percent: e.portal_discount_percent,
            // In i128: an unchecked edition's amount must not overflow.
            portal_kopecks: i64::try_from(
                i128::from(kopecks) * i128::from(100 - e.portal_discount_percent.min(100)) / 100,
            )
            .unwrap_or(kopecks),
            edition: e.from,
        })
    }
}

/// Whether an edition starting on `from` may still be added, replaced or
/// withdrawn on `today`: only before it takes effect.
pub const fn may_change(from: Date, today: Date) -> bool {
    from.to_julian_day() > today.to_julian_day()
}

/// A service's fee: its key, the stage it is due before, and how the
/// answers choose the category.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FeeRule {
    pub key: String,
    /// The application does not reach this stage unpaid.
    pub due: Stage,
    /// The first rule that holds gives the category; none holds: `default`.
    #[serde(default)]
    pub categories: Vec<CategoryRule>,
    pub default: FeeCategory,
}

/// A category and when it applies: the condition over the answers and, if
/// named, a person field whose birth date is under `years` on the day.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryRule {
    pub category: FeeCategory,
    #[serde(default)]
    pub when: Option<Condition>,
    #[serde(default)]
    pub under: Option<AgeUnder>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AgeUnder {
    /// A top-level `person` field of the form.
    pub person: String,
    pub years: u8,
}

impl FeeRule {
    /// The category the answers fall in on `on`.
    pub fn category(&self, answers: &Map<String, Value>, on: Date) -> FeeCategory {
        self.categories
            .iter()
            .find(|r| {
                r.when.as_ref().is_none_or(|c| holds(c, answers))
                    && r.under.as_ref().is_none_or(|u| under(answers, u, on))
            })
            .map_or(self.default, |r| r.category)
    }

    /// Every (key, category) this rule can give: what an edition must hold.
    pub fn needs(&self) -> impl Iterator<Item = (String, FeeCategory)> + '_ {
        std::iter::once(self.default)
            .chain(self.categories.iter().map(|r| r.category))
            .map(|c| (self.key.clone(), c))
    }
}

fn under(answers: &Map<String, Value>, u: &AgeUnder, on: Date) -> bool {
    let born = answers
        .get(&u.person)
        .and_then(|p| p.get("birth_date"))
        .and_then(Value::as_str)
        .and_then(|s| Date::parse(s, &time::format_description::well_known::Iso8601::DATE).ok());
    born.is_some_and(|b| age_on(b, on) < i32::from(u.years))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use time::macros::date;

    fn edition(from: Date, discount: u8, rates: &[(&str, FeeCategory, i64)]) -> Edition {
        Edition {
            from,
            portal_discount_percent: discount,
            rates: rates
                .iter()
                .map(|(k, c, r)| Rate {
                    key: (*k).into(),
                    category: *c,
                    kopecks: r * 100,
                })
                .collect(),
        }
    }

    #[test]
    fn the_edition_in_force_decides_and_the_discount_is_its_own() {
        use FeeCategory::*;
        let s = FeeSchedule::new(vec![
            edition(
                date!(2024 - 07 - 01),
                0,
                &[("bio", Adult, 6000), ("bio", Child, 3000)],
            ),
            edition(
                date!(2020 - 01 - 01),
                30,
                &[("bio", Adult, 5000), ("bio", Child, 2500)],
            ),
            edition(
                date!(2023 - 01 - 01),
                0,
                &[("bio", Adult, 5000), ("bio", Child, 2500)],
            ),
        ]);
        let f = s.fee("bio", Adult, date!(2022 - 12 - 31)).unwrap();
        assert_eq!(
            (f.kopecks, f.portal_kopecks, f.discount_percent),
            (500_000, 350_000, 30)
        );
        let f = s.fee("bio", Child, date!(2023 - 01 - 01)).unwrap();
        assert_eq!((f.kopecks, f.portal_kopecks), (250_000, 250_000));
        assert_eq!(
            s.fee("bio", Adult, date!(2024 - 06 - 30)).unwrap().kopecks,
            500_000
        );
        assert_eq!(
            s.fee("bio", Adult, date!(2024 - 07 - 01)).unwrap().kopecks,
            600_000
        );
        assert_eq!(
            s.fee("bio", Adult, date!(2019 - 12 - 31)).unwrap_err().code,
            "fee.no_schedule"
        );
        assert_eq!(
            s.fee("old", Adult, date!(2025 - 01 - 01)).unwrap_err().code,
            "fee.no_rate"
        );
    }

    #[test]
    fn an_edition_must_be_complete_and_sane() {
        use FeeCategory::*;
        let needed: BTreeSet<_> = [("bio".to_string(), Adult), ("bio".to_string(), Child)].into();
        let ok = edition(
            date!(2030 - 01 - 01),
            0,
            &[("bio", Adult, 6000), ("bio", Child, 3000)],
        );
        assert!(ok.check(&needed).is_empty());
        let bad = Edition {
            portal_discount_percent: 100,
            rates: vec![
                Rate {
                    key: "bio".into(),
                    category: Adult,
                    kopecks: 0,
                },
                Rate {
                    key: "bio".into(),
                    category: Adult,
                    kopecks: 1,
                },
                Rate {
                    key: "x".into(),
                    category: Single,
                    kopecks: 1,
                },
            ],
            ..ok
        };
        assert_eq!(
            bad.check(&needed),
            [
                "fee.amount",
                "fee.discount",
                "fee.duplicate",
                "fee.incomplete",
                "fee.unknown_rate"
            ]
        );
    }

    #[test]
    fn only_a_future_edition_may_change() {
        assert!(may_change(date!(2026 - 12 - 01), date!(2026 - 11 - 30)));
        assert!(!may_change(date!(2026 - 11 - 30), date!(2026 - 11 - 30)));
        assert!(!may_change(date!(2024 - 07 - 01), date!(2026 - 11 - 30)));
    }

    #[test]
    fn the_answers_choose_the_category() {
        let rule: FeeRule = serde_json::from_value(serde_json::json!({
            "key": "bio", "due": "invited", "default": "adult",
            "categories": [{
                "category": "child",
                "when": {"one_of": {"field": "for_whom", "values": ["child"]}},
                "under": {"person": "child", "years": 14}
            }]
        }))
        .unwrap();
        let answers = |whom: &str, born: &str| {
            serde_json::json!({"for_whom": whom, "child": {"birth_date": born}})
                .as_object()
                .unwrap()
                .clone()
        };
        let on = date!(2025 - 03 - 01);
        assert_eq!(
            rule.category(&answers("child", "2012-03-02"), on),
            FeeCategory::Child
        );
        // Fourteen on the day: an adult's fee.
        assert_eq!(
            rule.category(&answers("child", "2011-03-01"), on),
            FeeCategory::Adult
        );
        assert_eq!(
            rule.category(&answers("self", "2020-01-01"), on),
            FeeCategory::Adult
        );
        assert_eq!(
            rule.needs().collect::<Vec<_>>(),
            [
                ("bio".to_string(), FeeCategory::Adult),
                ("bio".to_string(), FeeCategory::Child)
            ]
        );
    }
}
