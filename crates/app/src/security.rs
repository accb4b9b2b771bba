//! Account security (SPEC §2): active sessions, logging out everywhere,
//! password change, and password reset through the proven contact.

use super::accounts::{delivery_job, lookups};
use super::notice;
use crate::Portal;
use crate::credentials::{password, tokens};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::session::Actor;
use domain::identity::FieldError;
use domain::otp::code_from_random;
use domain::otp::{ChallengeChannel, Purpose};
use domain::person::check_password;
use serde::Serialize;
use store::{LoginLookup, NewChallenge};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct SessionView {
    /// A short public handle of the session (a prefix of its token's hash).
    pub id: String,
    pub current: bool,
    pub kind: String,
    pub device: String,
    pub created_at: i64,
    pub last_seen_at: i64,
}

pub async fn sessions(state: &Portal, actor: &Actor) -> Result<Vec<SessionView>, AppError> {
    let list = state
        .store
        .list_sessions(actor.account.id, state.now())
        .await?;
    Ok(list
        .into_iter()
        .map(|s| SessionView {
            id: s.token_hash.chars().take(16).collect(),
            current: s.token_hash == actor.token_hash,
            kind: s.kind,
            device: s.user_agent,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
        })
        .collect())
}

/// Ends every session of the person, this one included.
pub async fn end_all(state: &Portal, actor: &Actor) -> Result<u64, AppError> {
    Ok(state
        .store
        .delete_account_sessions(
            actor.account.id,
            None,
            {
                let now = state.now();
                notice::job(
                    actor.account.id,
                    "msg-sessions-subject",
                    "msg-sessions-ended",
                    vec![("time".into(), crate::i18n::moment_arg(now))],
                    format!("ended-all:{}:{now}", actor.account.id),
                    now,
                )
            },
            state.now(),
        )
        .await?)
}

fn new_password_errors(
    new: &str,
    repeat: Option<&str>,
    context: &[&str],
    errors: &mut Vec<FieldError>,
) {
    if new.is_empty() {
        errors.push(FieldError {
            field: "new_password",
            code: "field.required",
        });
    } else if let Err(e) = check_password(new, context) {
        errors.push(FieldError {
            field: "new_password",
            code: e.code,
        });
    } else if let Some(r) = repeat
        && r != new
    {
        errors.push(FieldError {
            field: "new_password_repeat",
            code: "password.mismatch",
        });
    }
}

fn personal(actor_names: [&str; 2], contacts: [Option<&str>; 2]) -> Vec<String> {
    actor_names
        .into_iter()
        .map(str::to_owned)
        .chain(contacts.into_iter().flatten().map(str::to_owned))
        .collect()
}

/// Whether `typed` is the account's password (checked like a login).
pub async fn password_matches(
    state: &Portal,
    account: &store::Account,
    typed: &str,
) -> Result<bool, AppError> {
    let lookup = match (&account.email, &account.phone) {
        (Some(e), _) => LoginLookup::Email(e.clone()),
        (None, Some(p)) => LoginLookup::Phone(p.clone()),
        (None, None) => return Ok(false),
    };
    let stored = state
        .store
        .find_auth(&lookup)
        .await?
        .map(|r| r.password_hash);
    if typed.is_empty() {
        return Ok(false);
    }
    // A session is not a licence to guess the password: counted like a login.
    let key = format!("password:{}", account.id);
    super::attempts::take(state, &key, &state.throttle, "throttled").await?;
    let ok = password::verify(typed.to_owned(), stored, state.config.password_cost).await?;
    if ok {
        state.store.clear_login_failures(&key).await?;
    }
    Ok(ok)
}

/// Changes the password after checking the current one; other sessions end.
pub async fn change_password(
    state: &Portal,
    actor: &Actor,
    current: &str,
    new: &str,
    repeat: Option<&str>,
) -> Result<(), AppError> {
    let a = &actor.account;
    let mut errors = Vec::new();
    let ctx = personal(
        [&a.surname, &a.given_name],
        [a.phone.as_deref(), a.email.as_deref()],
    );
    let ctx: Vec<&str> = ctx.iter().map(String::as_str).collect();
    new_password_errors(new, repeat, &ctx, &mut errors);
    if !password_matches(state, a, current).await? {
        errors.insert(
            0,
            FieldError {
                field: "current_password",
                code: "password.current_wrong",
            },
        );
    }
    if !errors.is_empty() {
        return Err(AppError::invalid(errors));
    }
    let hash = password::hash(new.to_owned(), state.config.password_cost).await?;
    let now = state.now();
    let job = notice::job(
        a.id,
        "msg-password-subject",
        "msg-password-changed",
        vec![("time".into(), crate::i18n::moment_arg(now))],
        format!("password-changed:{}:{now}", a.id),
        now,
    );
    state
        .store
        .change_password(a.id, hash, Some(&actor.token_hash), job, now)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct ResetStarted {
    pub challenge_id: Uuid,
}

/// Sends a reset code to the contact the account proved. The answer is the
/// same whether or not the login exists, so it reveals nothing.
pub async fn start_reset(
    state: &Portal,
    login: &str,
    lang: Lang,
) -> Result<ResetStarted, AppError> {
    if login.trim().is_empty() {
        return Err(AppError::field("login", "field.required"));
    }
    let candidates = lookups(state, login);
    let Some((key, _)) = candidates.first() else {
        return Err(AppError::field("login", "login.format"));
    };
    let key = format!("reset:{key}");
    super::attempts::take(state, &key, &state.throttle, "throttled").await?;
    let now = state.now();
    let challenge_id = Uuid::now_v7();
    // Unknown logins get a decoy challenge that answers exactly like a real one.
    let decoy = || async {
        state
            .store
            .start_decoy_challenge(challenge_id, Purpose::Reset, now)
            .await?;
        Ok::<_, AppError>(ResetStarted { challenge_id })
    };
    let mut found = None;
    for (_, lookup) in &candidates {
        if let Some(a) = state.store.find_auth(lookup).await? {
            found = Some(a.id);
            break;
        }
    }
    let Some(account_id) = found else {
        return decoy().await;
    };
    let account = state
        .store
        .get_account(account_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let (channel, to, masked) = match (&account.phone, &account.email) {
        (Some(p), _) => (
            "sms",
            p.clone(),
            domain::person::Phone::parse(p)
                .map(|p| p.masked())
                .unwrap_or_default(),
        ),
        (None, Some(e)) => (
            "email",
            e.clone(),
            domain::person::Email::parse(e)
                .map(|e| e.masked())
                .unwrap_or_default(),
        ),
        (None, None) => return decoy().await,
    };
    let code = code_from_random(rand::random());
    let deliver = match delivery_job(state, challenge_id, channel, &to, &code, lang, now).await {
        Ok(job) => Some(job),
        // Too many codes to this phone lately: held back silently, as an
        // unknown login's answer would be the same.
        Err(e) if e.code == "otp.send_wait" => None,
        Err(e) => return Err(e),
    };
    state
        .store
        .start_challenge(
            NewChallenge {
                id: challenge_id,
                account_id,
                purpose: Purpose::Reset,
                channel: ChallengeChannel::delivery(channel)
                    .ok_or_else(|| AppError::internal("unknown delivery channel"))?,
                destination: masked,
                code_hash: tokens::code_hash(&state.vault, challenge_id, &code),
                identity_version: None,
            },
            deliver,
            now,
        )
        .await?;
    Ok(ResetStarted { challenge_id })
}

/// Sets a new password with the reset code; every session ends.
pub async fn complete_reset(
    state: &Portal,
    challenge_id: Uuid,
    code: &str,
    new: &str,
    repeat: Option<&str>,
) -> Result<(), AppError> {
    let mut errors = Vec::new();
    new_password_errors(new, repeat, &[], &mut errors);
    if !errors.is_empty() {
        return Err(AppError::invalid(errors));
    }
    let ch = super::attempts::code(state, challenge_id, Purpose::Reset, None, code).await?;
    let account_id = ch
        .account_id
        .ok_or_else(|| super::attempts::refused(state, None))?;
    let hash = password::hash(new.to_owned(), state.config.password_cost).await?;
    let now = state.now();
    let job = notice::job(
        account_id,
        "msg-password-subject",
        "msg-password-reset",
        vec![("time".into(), crate::i18n::moment_arg(now))],
        format!("password-reset:{challenge_id}"),
        now,
    );
    match state
        .store
        .complete_reset(challenge_id, hash, job, now)
        .await
    {
        Ok(_) => Ok(()),
        Err(store::StoreError::Stale) => Err(super::attempts::refused(state, None)),
        Err(e) => Err(e.into()),
    }
}
