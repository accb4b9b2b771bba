//! The fee schedule (SPEC §6): the built-in editions (`register/fees.toml`)
//! stored at start, editions administrators add before they take effect,
//! and the fee a service's answers come to on a day.

use crate::error::{AppError, ErrorKind};
use crate::staff::Staff;
use crate::state::Portal;
use domain::catalogue::ServiceDef;
use domain::fees::{Edition, Fee, FeeCategory, FeeSchedule, Rate};
use domain::identity::FieldError;
use domain::permission::Permission;
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use store::FeeEditionRow;
use time::Date;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    edition: Vec<Edition>,
}

/// The editions that come with the portal.
pub fn builtin() -> Result<Vec<Edition>, String> {
    let f: File =
        toml::from_str(include_str!("../register/fees.toml")).map_err(|e| e.to_string())?;
    Ok(f.edition)
}

/// Every (key, category) the catalogue's services can be charged: what an
/// edition must hold.
pub fn needed(catalogue: &crate::catalogue::Catalogue) -> BTreeSet<(String, FeeCategory)> {
    catalogue
        .services()
        .iter()
        .filter_map(|s| s.fee.as_ref())
        .flat_map(|f| f.needs())
        .collect()
}

fn row(e: &Edition, by: Option<uuid::Uuid>, now: i64) -> FeeEditionRow {
    FeeEditionRow {
        from: e.from.to_string(),
        discount_percent: i64::from(e.portal_discount_percent),
        rates: serde_json::to_string(&e.rates).unwrap_or_default(),
        created_by: by,
        created_at: now,
    }
}

fn edition(r: &FeeEditionRow) -> Result<Edition, AppError> {
    let from = Date::parse(
        &r.from,
        &time::format_description::well_known::Iso8601::DATE,
    )
    .map_err(|e| AppError::internal(format!("fee edition {}: {e}", r.from)))?;
    let rates: Vec<Rate> = serde_json::from_str(&r.rates)
        .map_err(|e| AppError::internal(format!("fee edition {}: {e}", r.from)))?;
    Ok(Edition {
        from,
        portal_discount_percent: u8::try_from(r.discount_percent).unwrap_or(0),
        rates,
    })
}

/// Stores the built-in editions not stored yet; each is checked against
/// the catalogue first, so a broken file stops the start.
pub async fn seed(state: &Portal) -> Result<u64, AppError> {
    let editions = builtin().map_err(AppError::internal)?;
    let needed = needed(&state.catalogue);
    for e in &editions {
        let problems = e.check(&needed);
        if !problems.is_empty() {
            return Err(AppError::internal(format!(
                "fees.toml {}: {problems:?}",
                e.from
            )));
        }
    }
    let now = state.now();
    let rows = editions.iter().map(|e| row(e, None, now)).collect();
    Ok(state.store.seed_fee_editions(rows).await?)
}

/// The schedule as stored.
pub async fn schedule(state: &Portal) -> Result<FeeSchedule, AppError> {
    let rows = state.store.fee_editions().await?;
    let editions = rows.iter().map(edition).collect::<Result<Vec<_>, _>>()?;
    Ok(FeeSchedule::new(editions))
}

/// The fee of a service for these answers on `on`; none for a free one.
pub async fn fee_for(
    state: &Portal,
    def: &ServiceDef,
    answers: &Map<String, Value>,
    on: Date,
) -> Result<Option<Fee>, AppError> {
    let Some(rule) = &def.fee else {
        return Ok(None);
    };
    let category = rule.category(answers, on);
    let s = schedule(state).await?;
    s.fee(&rule.key, category, on)
        .map(Some)
        .map_err(|e| AppError::new(ErrorKind::Conflict, e.code))
}

/// A service's fees on `on`, each category with its amount: what a person
/// is shown before they start.
pub async fn quote(state: &Portal, def: &ServiceDef, on: Date) -> Result<Vec<Fee>, AppError> {
    let Some(rule) = &def.fee else {
        return Ok(Vec::new());
    };
    let s = schedule(state).await?;
    let mut out: Vec<Fee> = Vec::new();
    for (key, category) in rule.needs() {
        if out.iter().any(|f| f.category == category) {
            continue;
        }
        if let Ok(f) = s.fee(&key, category, on) {
            out.push(f);
        }
    }
    Ok(out)
}

/// Every edition, for administrators (and anyone: the law is public).
pub async fn editions(state: &Portal) -> Result<Vec<(Edition, FeeEditionRow)>, AppError> {
    let rows = state.store.fee_editions().await?;
    rows.into_iter().map(|r| Ok((edition(&r)?, r))).collect()
}

/// Adds or replaces an edition from a date after today: complete for the
/// catalogue, amounts sane; one in force is never changed.
pub async fn put_edition(state: &Portal, staff: &Staff, e: Edition) -> Result<(), AppError> {
    let who = staff.require(state, Permission::ManageFees).await?;
    let today = crate::today(state.now());
    if !domain::fees::may_change(e.from, today) {
        return Err(AppError::new(ErrorKind::Conflict, "fee.in_force"));
    }
    let problems = e.check(&needed(&state.catalogue));
    if !problems.is_empty() {
        return Err(AppError::invalid(
            problems
                .into_iter()
                .map(|code| FieldError {
                    field: "rates",
                    code,
                })
                .collect(),
        ));
    }
    state
        .store
        .put_fee_edition(
            row(&e, Some(who.id), state.now()),
            &today.to_string(),
            state.now(),
        )
        .await?;
    Ok(())
}

/// Withdraws an edition that has not taken effect.
pub async fn withdraw_edition(state: &Portal, staff: &Staff, from: Date) -> Result<(), AppError> {
    let who = staff.require(state, Permission::ManageFees).await?;
    let today = crate::today(state.now());
    if !domain::fees::may_change(from, today) {
        return Err(AppError::new(ErrorKind::Conflict, "fee.in_force"));
    }
    state
        .store
        .withdraw_fee_edition(&from.to_string(), who.id, &today.to_string(), state.now())
        .await?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use domain::fees::FeeCategory::*;
    use time::macros::date;

    /// The fee of every service and category across the years (SPEC §6):
    /// the 30 % portal discount until 2023, the increase of 2024-07-01.
    #[test]
    // Amounts written roubles_kopecks: `5000_00` is 5 000 ₽.
    #[allow(clippy::inconsistent_digit_grouping)]
    fn the_fee_table_across_dates() {
        let s = FeeSchedule::new(builtin().unwrap());
        let table: &[(&str, FeeCategory, Date, i64, i64)] = &[
            // 2022: with the portal discount.
            (
                "passport-foreign-biometric",
                Adult,
                date!(2022 - 06 - 15),
                5000_00,
                3500_00,
            ),
            (
                "passport-foreign-biometric",
                Child,
                date!(2022 - 06 - 15),
                2500_00,
                1750_00,
            ),
            (
                "passport-foreign-old",
                Adult,
                date!(2022 - 06 - 15),
                2000_00,
                1400_00,
            ),
            (
                "passport-foreign-old",
                Child,
                date!(2022 - 06 - 15),
                1000_00,
                700_00,
            ),
            (
                "passport-internal",
                Issue,
                date!(2022 - 06 - 15),
                300_00,
                210_00,
            ),
            (
                "passport-internal",
                Loss,
                date!(2022 - 06 - 15),
                1500_00,
                1050_00,
            ),
            (
                "invitation-foreigner",
                Single,
                date!(2022 - 06 - 15),
                800_00,
                560_00,
            ),
            (
                "temporary-residence-permit",
                Single,
                date!(2022 - 06 - 15),
                1600_00,
                1120_00,
            ),
            (
                "residence-permit",
                Single,
                date!(2022 - 06 - 15),
                5000_00,
                3500_00,
            ),
            (
                "passport-foreign-biometric",
                Adult,
                date!(2022 - 12 - 31),
                5000_00,
                3500_00,
            ),
            // 2023: no discount, the same amounts.
            (
                "passport-foreign-biometric",
                Adult,
                date!(2023 - 01 - 01),
                5000_00,
                5000_00,
            ),
            (
                "passport-foreign-biometric",
                Child,
                date!(2023 - 05 - 10),
                2500_00,
                2500_00,
            ),
            (
                "passport-foreign-old",
                Adult,
                date!(2023 - 05 - 10),
                2000_00,
                2000_00,
            ),
            (
                "passport-foreign-old",
                Child,
                date!(2023 - 05 - 10),
                1000_00,
                1000_00,
            ),
            (
                "passport-internal",
                Issue,
                date!(2023 - 05 - 10),
                300_00,
                300_00,
            ),
            (
                "passport-internal",
                Loss,
                date!(2023 - 05 - 10),
                1500_00,
                1500_00,
            ),
            (
                "invitation-foreigner",
                Single,
                date!(2023 - 05 - 10),
                800_00,
                800_00,
            ),
            (
                "temporary-residence-permit",
                Single,
                date!(2023 - 05 - 10),
                1600_00,
                1600_00,
            ),
            (
                "residence-permit",
                Single,
                date!(2023 - 05 - 10),
                5000_00,
                5000_00,
            ),
            // Mid-2024: the day before and the day of the increase.
            (
                "passport-foreign-biometric",
                Adult,
                date!(2024 - 06 - 30),
                5000_00,
                5000_00,
            ),
            (
                "passport-foreign-biometric",
                Adult,
                date!(2024 - 07 - 01),
                6000_00,
                6000_00,
            ),
            (
                "passport-foreign-biometric",
                Child,
                date!(2024 - 07 - 01),
                3000_00,
                3000_00,
            ),
            (
                "passport-foreign-old",
                Adult,
                date!(2024 - 07 - 01),
                2000_00,
                2000_00,
            ),
            (
                "passport-foreign-old",
                Child,
                date!(2024 - 07 - 01),
                1000_00,
                1000_00,
            ),
            (
                "passport-internal",
                Issue,
                date!(2024 - 07 - 01),
                300_00,
                300_00,
            ),
            (
                "passport-internal",
                Loss,
                date!(2024 - 07 - 01),
                1500_00,
                1500_00,
            ),
            (
                "invitation-foreigner",
                Single,
                date!(2024 - 06 - 30),
                800_00,
                800_00,
            ),
            (
                "invitation-foreigner",
                Single,
                date!(2024 - 07 - 01),
                960_00,
                960_00,
            ),
            (
                "temporary-residence-permit",
                Single,
                date!(2024 - 07 - 01),
                1920_00,
                1920_00,
            ),
            (
                "residence-permit",
                Single,
                date!(2024 - 07 - 01),
                6000_00,
                6000_00,
            ),
            // 2025: as from mid-2024.
            (
                "passport-foreign-biometric",
                Adult,
                date!(2025 - 03 - 01),
                6000_00,
                6000_00,
            ),
            (
                "passport-foreign-biometric",
                Child,
                date!(2025 - 03 - 01),
                3000_00,
                3000_00,
            ),
            (
                "passport-foreign-old",
                Adult,
                date!(2025 - 03 - 01),
                2000_00,
                2000_00,
            ),
            (
                "passport-foreign-old",
                Child,
                date!(2025 - 03 - 01),
                1000_00,
                1000_00,
            ),
            (
                "passport-internal",
                Issue,
                date!(2025 - 03 - 01),
                300_00,
                300_00,
            ),
            (
                "passport-internal",
                Loss,
                date!(2025 - 03 - 01),
                1500_00,
                1500_00,
            ),
            (
                "invitation-foreigner",
                Single,
                date!(2025 - 03 - 01),
                960_00,
                960_00,
            ),
            (
                "temporary-residence-permit",
                Single,
                date!(2025 - 03 - 01),
                1920_00,
                1920_00,
            ),
            (
                "residence-permit",
                Single,
                date!(2025 - 03 - 01),
                6000_00,
                6000_00,
            ),
        ];
        for (key, category, on, amount, portal) in table {
            let f = s.fee(key, *category, *on).unwrap();
            assert_eq!(
                (f.kopecks, f.portal_kopecks),
                (*amount, *portal),
                "{key} {category:?} {on}"
            );
        }
    }

    #[test]
    fn the_builtin_editions_cover_every_service_of_the_catalogue() {
        let catalogue = crate::catalogue::Catalogue::builtin().unwrap();
        let needed = needed(&catalogue);
        assert_eq!(needed.len(), 9, "{needed:?}");
        for e in builtin().unwrap() {
            assert!(
                e.check(&needed).is_empty(),
                "{}: {:?}",
                e.from,
                e.check(&needed)
            );
        }
    }
}
