//! The standard level: identity data submitted, sealed, and checked by a job.

use crate::Portal;
use crate::error::{AppError, ErrorKind};
use crate::session::Actor;
use domain::account::{AssuranceLevel, FailureReason, VerificationState};
use domain::identity::{DocumentData, IdentityForm};
use serde::Serialize;
use store::NewIdentity;

/// The identity data sealed in a record, opened (bound to its row).
pub fn open_data(
    vault: &store::vault::Vault,
    record: &store::IdentityRecord,
) -> Result<domain::identity::IdentityData, String> {
    let plain = vault
        .open(
            &record.key_id,
            &store::vault::place::identity(record.account_id),
            &record.sealed,
        )
        .map_err(|e| e.to_string())?;
    serde_json::from_slice(&plain).map_err(|e| e.to_string())
}

/// One person, one account: the lookup key of identity data is its SNILS,
/// or (a foreign national without SNILS) the foreign document.
pub(crate) fn lookup_key(
    state: &Portal,
    data: &domain::identity::IdentityData,
) -> Result<String, AppError> {
    match (&data.snils, &data.document) {
        (Some(snils), _) => Ok(state.vault.lookup("snils", snils)),
        (
            None,
            DocumentData::ForeignPassport {
                number, country, ..
            },
        ) => Ok(state
            .vault
            .lookup("foreign_passport", &format!("{country}:{number}"))),
        (None, DocumentData::RussianPassport { .. }) => {
            Err(AppError::field("snils", "snils.required"))
        }
    }
}

pub async fn submit(state: &Portal, actor: &Actor, form: IdentityForm) -> Result<i64, AppError> {
    // Both checked again by the store under the account's row lock.
    if actor.account.role.is_staff() {
        return Err(AppError::new(
            ErrorKind::Forbidden,
            "identity.applicants_only",
        ));
    }
    if actor.account.level == AssuranceLevel::Confirmed {
        return Err(AppError::new(ErrorKind::Conflict, "identity.locked"));
    }
    let now = state.now();
    let data = form
        .validate(super::today(now))
        .map_err(AppError::invalid)?;
    let lookup = lookup_key(state, &data)?;
    let json = serde_json::to_vec(&data).map_err(AppError::internal)?;
    let sealed = state
        .vault
        .seal(&store::vault::place::identity(actor.account.id), &json)
        .map_err(AppError::internal)?;
    let version = state
        .store
        .submit_identity(
            NewIdentity {
                account_id: actor.account.id,
                surname: data.surname.clone(),
                given_name: data.given_name.clone(),
                patronymic: data.patronymic.clone(),
                document_kind: data.document.kind().to_owned(),
                snils_lookup: lookup,
                key_id: state.vault.key_id().to_owned(),
                sealed,
                masked: data.masked(),
            },
            now,
        )
        .await?;
    Ok(version)
}

/// What the person may see of their identity check.
#[derive(Debug, Clone, Serialize)]
pub struct IdentityView {
    pub state: VerificationState,
    pub failure_reason: Option<FailureReason>,
    /// Masked numbers only.
    pub masked: Option<String>,
    pub document_kind: Option<String>,
    pub version: i64,
    pub submitted_at: Option<i64>,
    pub checked_at: Option<i64>,
}

pub async fn view(state: &Portal, actor: &Actor) -> Result<IdentityView, AppError> {
    Ok(match state.store.get_identity(actor.account.id).await? {
        None => IdentityView {
            state: VerificationState::NotSubmitted,
            failure_reason: None,
            masked: None,
            document_kind: None,
            version: 0,
            submitted_at: None,
            checked_at: None,
        },
        Some(r) => IdentityView {
            state: r.state,
            failure_reason: r.failure_reason,
            masked: Some(r.masked),
            document_kind: Some(r.document_kind),
            version: r.version,
            submitted_at: Some(r.submitted_at),
            checked_at: r.checked_at,
        },
    })
}

/// The stored data opened again, to pre-fill the correction form.
pub async fn current_form(state: &Portal, actor: &Actor) -> Result<IdentityForm, AppError> {
    let mut form = IdentityForm {
        citizenship: String::new(),
        surname: actor.account.surname.clone(),
        given_name: actor.account.given_name.clone(),
        patronymic: actor.account.patronymic.clone().unwrap_or_default(),
        ..Default::default()
    };
    let Some(r) = state.store.get_identity(actor.account.id).await? else {
        return Ok(form);
    };
    let data = open_data(&state.vault, &r).map_err(AppError::internal)?;
    form.birth_date = data.birth_date;
    form.snils = data.snils.unwrap_or_default();
    form.inn = data.inn.unwrap_or_default();
    match data.document {
        DocumentData::RussianPassport {
            series,
            number,
            issued_on,
            office_code,
        } => {
            form.citizenship = "russian".into();
            form.passport = format!("{series} {number}");
            form.passport_issued_on = issued_on;
            form.office_code = office_code;
        }
        DocumentData::ForeignPassport {
            number,
            country,
            migration_card,
        } => {
            form.citizenship = "foreign".into();
            form.foreign_passport = number;
            form.country = country;
            form.migration_card = migration_card.unwrap_or_default();
        }
    }
    Ok(form)
}
