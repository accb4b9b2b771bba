//! Small reads the pages and operations endpoints need, so that the web
//! layer reaches the store only through `app`.

use crate::Portal;
use crate::error::AppError;
use crate::session::Actor;
use domain::account::VerificationState;
use domain::otp::Purpose;
use store::{DemoMessage, JobStats};
use uuid::Uuid;

/// Whether the database answers (for `/readyz`).
pub async fn ready(state: &Portal) -> Result<(), AppError> {
    Ok(state.store.ping().await?)
}

/// Counts of the outbox (for `/metrics`).
pub async fn job_stats(state: &Portal) -> Result<JobStats, AppError> {
    Ok(state.store.job_stats().await?)
}

/// The demo mailbox, newest first; there is none outside demo mode.
pub async fn demo_mailbox(state: &Portal, limit: u32) -> Result<Vec<DemoMessage>, AppError> {
    if !state.config.demo_mode {
        return Err(AppError::not_found());
    }
    Ok(state.store.list_demo_messages(limit).await?)
}

/// Whether the person's identity data is verified (the standard level's data).
pub async fn identity_verified(state: &Portal, actor: &Actor) -> Result<bool, AppError> {
    Ok(state
        .store
        .get_identity(actor.account.id)
        .await?
        .is_some_and(|i| i.state == VerificationState::Verified))
}

/// Whether an account is staff's (where to send someone after signing in).
pub async fn is_staff(state: &Portal, account_id: Uuid) -> Result<bool, AppError> {
    Ok(state
        .store
        .get_account(account_id)
        .await?
        .is_some_and(|a| a.role.is_staff()))
}

/// The name of a member of staff's office.
pub async fn office_name(state: &Portal, office_id: Uuid) -> Result<Option<String>, AppError> {
    Ok(state
        .store
        .list_offices()
        .await?
        .into_iter()
        .find(|o| o.id == office_id)
        .map(|o| o.name))
}

/// The masked destination of a login's second-factor code, for its page.
pub async fn login_code_destination(
    state: &Portal,
    challenge: Uuid,
) -> Result<Option<String>, AppError> {
    Ok(state
        .store
        .get_challenge(challenge)
        .await?
        // Only a login's own masked destination; never another challenge's.
        .filter(|c| c.purpose == Purpose::LoginSecondFactor)
        .map(|c| c.destination))
}

/// The bytes (Base64) of the person's own signature challenge, to show again.
pub async fn signature_challenge_bytes(
    state: &Portal,
    actor: &Actor,
    challenge: Uuid,
) -> Result<Option<String>, AppError> {
    Ok(state
        .store
        .get_challenge(challenge)
        .await?
        .filter(|c| c.purpose == Purpose::Signature && c.account_id == actor.account.id)
        .map(|c| c.code_hash))
}
