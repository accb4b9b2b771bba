//! Counting attempts before judging them. Every guard on a guessable secret —
//! a code of any purpose, a second factor, a password, a letter code — counts
//! the attempt in the database *first*, in the statement that checks the
//! limit, and only then compares. So a thousand concurrent guesses are judged
//! no more times than the limit allows, and a consumed or burnt challenge
//! answers exactly like any other code that no longer works.

use crate::Portal;
use crate::credentials::tokens;
use crate::error::{AppError, ErrorKind};
use domain::otp::{Purpose, normalise_code};
use domain::throttle::{FailureRecord, LoginThrottlePolicy};
use store::ChallengeAttempt;
use uuid::Uuid;

/// Counts one attempt against `key` if `policy` allows one now (compare and
/// set, so concurrent attempts read at the same count are counted one by one).
/// Returns the record after this attempt; a success should clear the key.
pub(crate) async fn take(
    state: &Portal,
    key: &str,
    policy: &LoginThrottlePolicy,
    throttled_code: &'static str,
) -> Result<FailureRecord, AppError> {
    for _ in 0..8 {
        let now = state.now();
        let seen = state.store.login_failures(key).await?;
        if let Err(wait) = policy.check(&seen, now) {
            return Err(AppError::throttled(throttled_code, wait));
        }
        let next = policy.record_failure(&seen, now);
        if state.store.bump_failures(key, seen, next).await? {
            return Ok(next);
        }
    }
    // Lost the race eight times: many tries at once, which is itself a reason to wait.
    Err(AppError::throttled(throttled_code, 1_000))
}

/// What a code that does not work gets, whatever the reason: wrong, of a
/// burnt, consumed, expired or unknown challenge. Only the count of attempts
/// this very request made is told, never the state of the secret.
pub(crate) fn refused(state: &Portal, attempts_used: Option<u32>) -> AppError {
    match attempts_used {
        Some(used) if used < state.otp.max_attempts => {
            AppError::field("code", "otp.wrong").arg("attempts", state.otp.max_attempts - used)
        }
        Some(_) => {
            let mut e = AppError::field("code", "otp.too_many_attempts");
            e.kind = ErrorKind::Throttled;
            e
        }
        None => AppError::field("code", "otp.no_longer_valid"),
    }
}

/// Counts an attempt at challenge `id` of `purpose` (of `owner`, when known)
/// and compares the typed code. `Ok` is the challenge whose code matched,
/// still to be consumed by the caller's transaction.
pub(crate) async fn code(
    state: &Portal,
    id: Uuid,
    purpose: Purpose,
    owner: Option<Uuid>,
    typed: &str,
) -> Result<ChallengeAttempt, AppError> {
    let Some(typed) = normalise_code(typed) else {
        return Err(AppError::field("code", "otp.format"));
    };
    let ch = challenge(state, id, purpose, owner).await?;
    if ch.account_id.is_some()
        && tokens::same(&tokens::code_hash(&state.vault, id, &typed), &ch.code_hash)
    {
        Ok(ch)
    } else {
        Err(refused(state, Some(ch.attempts)))
    }
}

/// Counts an attempt at a live challenge, or refuses as for a dead code.
pub(crate) async fn challenge(
    state: &Portal,
    id: Uuid,
    purpose: Purpose,
    owner: Option<Uuid>,
) -> Result<ChallengeAttempt, AppError> {
    let sent_after = state.now() - state.otp.ttl_ms;
    state
        .store
        .attempt_challenge(id, purpose, owner, state.otp.max_attempts, sent_after)
        .await?
        .ok_or_else(|| refused(state, None))
}
