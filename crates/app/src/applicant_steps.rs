//! The applicant's side of the lifecycle (SPEC §4): the history, cancelling
//! while the law allows it, and a returned application — only the fields the
//! office commented on open for change, the rest kept, and resubmission to
//! the same office after the electronic check.

use crate::Portal;
use crate::cases::{HistoryEntry, changed, history_entries, refused, status_notice};
use crate::error::{AppError, ErrorKind};
use crate::session::Actor;
use domain::application::Status;
use domain::lifecycle::{Actor as StepActor, Step};
use serde_json::Value;
use store::{ApplicationRecord, StepBy, Transition};
use uuid::Uuid;

/// The full history of one's own application, oldest first.
pub async fn history(
    state: &Portal,
    actor: &Actor,
    id: Uuid,
) -> Result<Vec<HistoryEntry>, AppError> {
    let r = state.store.get_application(id, actor.account.id).await?;
    history_entries(state, r.id, r.account_id).await
}

/// The fields open for change: `None` for a draft (all of them); for a
/// returned application, the top-level fields the office's last return
/// commented on.
pub(crate) async fn open_fields(
    state: &Portal,
    r: &ApplicationRecord,
) -> Result<Option<Vec<String>>, AppError> {
    if r.status != Status::Returned {
        return Ok(None);
    }
    let history = state.store.history_of(r.id).await?;
    let last_return = history.iter().rev().find(|e| e.to == Status::Returned);
    let note: Option<Value> = last_return
        .and_then(|e| e.note.as_deref())
        .and_then(|n| serde_json::from_str(n).ok());
    let fields = note
        .as_ref()
        .and_then(|n| n["comments"].as_array())
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c["field"].as_str())
                .filter_map(|p| p.strip_prefix('/')?.split('/').next())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Ok(Some(fields))
}

/// Problems for every change outside the open fields: `application.field_locked`
/// at the field, so the person sees what to put back.
pub(crate) fn locked_changes(
    open: &[String],
    before: &Value,
    after: &Value,
) -> Vec<domain::form::Problem> {
    let empty = serde_json::Map::new();
    let before = before.as_object().unwrap_or(&empty);
    let after = after.as_object().unwrap_or(&empty);
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| !open.contains(k) && before.get(*k) != after.get(*k))
        .map(|k| domain::form::Problem {
            path: format!("/{k}"),
            code: "application.field_locked",
            note: None,
        })
        .collect()
}

/// Withdraws one's own application while the law allows it (until the
/// document is being made).
pub async fn cancel(
    state: &Portal,
    actor: &Actor,
    id: Uuid,
    version: Option<i64>,
) -> Result<crate::applications::ApplicationView, AppError> {
    let r = state.store.get_application(id, actor.account.id).await?;
    step(state, actor, &r, version, Step::Cancel, None, None).await?;
    crate::applications::get(state, actor, id).await
}

/// Sends a returned application again, to the same office, after the
/// electronic check of its corrected answers.
pub async fn resubmit(
    state: &Portal,
    actor: &Actor,
    id: Uuid,
    version: Option<i64>,
) -> Result<crate::applications::ApplicationView, AppError> {
    let r = state.store.get_application(id, actor.account.id).await?;
    if r.status != Status::Returned {
        return Err(crate::cases::refused(
            domain::lifecycle::Refusal::NotAllowed,
            r.status,
        ));
    }
    let def = state
        .catalogue
        .get(&r.service)
        .ok_or_else(|| AppError::new(ErrorKind::NotFound, "service.unknown"))?;
    let (clean, _) = crate::applications::electronic_check(state, actor, &r, def).await?;
    let sealed = crate::applications::seal(state, id, &clean)?;
    let answers = Some((state.vault.key_id().to_owned(), sealed));
    // A registration at a dwelling asks its owner again.
    let consent = crate::consents::request(state, actor, def, &clean).await?;
    step(state, actor, &r, version, Step::Resubmit, answers, consent).await?;
    crate::applications::get(state, actor, id).await
}

async fn step(
    state: &Portal,
    actor: &Actor,
    r: &ApplicationRecord,
    version: Option<i64>,
    step: Step,
    answers: Option<(String, Vec<u8>)>,
    consent: Option<store::NewConsent>,
) -> Result<(), AppError> {
    let version = version.unwrap_or(r.version);
    if version != r.version {
        return Err(changed(r));
    }
    let def = state
        .catalogue
        .get(&r.service)
        .ok_or_else(|| AppError::new(ErrorKind::NotFound, "service.unknown"))?;
    let to = domain::lifecycle::step(&def.stages, r.status, StepActor::Applicant, &step)
        .map_err(|refusal| refused(refusal, r.status))?;
    let t = Transition {
        id: r.id,
        version,
        from: r.status,
        to,
        by: StepBy::Owner(actor.account.id),
        note: None,
        jobs: vec![status_notice(state.now(), r, def, to, version)],
        answers,
        consent,
    };
    match state.store.transition(t, state.now()).await {
        Ok(_) => Ok(()),
        Err(store::StoreError::Stale) => {
            let now = state.store.get_application(r.id, actor.account.id).await?;
            Err(changed(&now))
        }
        Err(e) => Err(e.into()),
    }
}
