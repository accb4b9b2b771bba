//! The TOTP second factor: enrolment (mandatory for staff, optional for
//! applicants), checking a code or a recovery code.

use crate::Portal;
use crate::error::{AppError, ErrorKind};
use domain::otp::Purpose;
use domain::totp::{self, FactorMethod};
use rand::RngCore;
use serde::Serialize;
use store::Account;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct Enrolment {
    /// Base32, for typing into an authenticator app.
    pub secret: String,
    pub otpauth_uri: String,
}

/// Creates a new pending secret for the account.
pub async fn enrol_start(state: &Portal, account: &Account) -> Result<Enrolment, AppError> {
    let mut secret = [0u8; 20];
    rand::thread_rng().fill_bytes(&mut secret);
    let sealed = state
        .vault
        .seal(&store::vault::place::totp_secret(account.id), &secret)
        .map_err(AppError::internal)?;
    match state
        .store
        .set_totp_pending(account.id, state.vault.key_id(), sealed, state.now())
        .await
    {
        Ok(()) => {}
        Err(store::StoreError::Stale) => {
            return Err(AppError::new(
                ErrorKind::Conflict,
                "second_factor.already_enabled",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    let b32 = totp::base32_encode(&secret);
    let label = account
        .email
        .clone()
        .or_else(|| account.phone.clone())
        .unwrap_or_else(|| account.id.to_string());
    Ok(Enrolment {
        otpauth_uri: totp::otpauth_uri("migportal", &label, &b32),
        secret: b32,
    })
}

/// A recovery code as stored: an HMAC with the server's key (not in the
/// database), bound to the account.
fn recovery_hash(state: &Portal, account_id: Uuid, code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    state
        .vault
        .lookup("recovery", &format!("{account_id}:{normal}"))
}

fn new_recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::thread_rng();
    (0..10)
        .map(|_| {
            let mut s = String::new();
            for i in 0..8 {
                if i == 4 {
                    s.push('-');
                }
                let idx = (rng.next_u32() as usize) % ALPHABET.len();
                s.push(char::from(ALPHABET[idx]));
            }
            s
        })
        .collect()
}

async fn secret_of(
    state: &Portal,
    account_id: Uuid,
    record: &store::TotpRecord,
) -> Result<Vec<u8>, AppError> {
    state
        .vault
        .open(
            &record.key_id,
            &store::vault::place::totp_secret(account_id),
            &record.sealed_secret,
        )
        .map_err(AppError::internal)
}

/// What checking a code led to.
pub enum Checked {
    /// The code was right; when it finished an enrolment, the recovery codes
    /// to show once.
    Ok {
        recovery_codes: Option<Vec<String>>,
    },
    Wrong,
}

/// Checks a code from a signed-in person (turning the factor off, finishing
/// an enrolment, confirming a contact change), counted per account before it
/// is compared, like the login's second step: a session is no licence to guess.
pub async fn check(
    state: &Portal,
    account_id: Uuid,
    code: &str,
    challenge: Option<(Uuid, &str)>,
) -> Result<Checked, AppError> {
    let key = format!("2fa:{account_id}");
    let policy = domain::throttle::LoginThrottlePolicy::second_factor();
    super::attempts::take(state, &key, &policy, "second_factor.locked").await?;
    let checked = check_uncounted(state, account_id, code, challenge).await?;
    if matches!(checked, Checked::Ok { .. }) {
        state.store.clear_login_failures(&key).await?;
    }
    Ok(checked)
}

/// Checks a TOTP code (finishing a pending enrolment), the code sent for a
/// login `challenge` (method "code"), or a recovery code. The caller has
/// counted the attempt.
pub(crate) async fn check_uncounted(
    state: &Portal,
    account_id: Uuid,
    code: &str,
    challenge: Option<(Uuid, &str)>,
) -> Result<Checked, AppError> {
    let Some(record) = state.store.get_totp(account_id).await? else {
        return Ok(Checked::Wrong);
    };
    let now = state.now();
    if record.method == FactorMethod::Code {
        if let (Some((id, hash)), Some(typed)) = (challenge, domain::otp::normalise_code(code))
            && crate::credentials::tokens::same(
                &crate::credentials::tokens::code_hash(&state.vault, id, &typed),
                hash,
            )
        {
            return Ok(Checked::Ok {
                recovery_codes: None,
            });
        }
        return recovery(state, account_id, code, now).await;
    }
    let secret = secret_of(state, account_id, &record).await?;
    if !record.enabled {
        let Some(step) = totp::verify(&secret, code, now, 0) else {
            return Ok(Checked::Wrong);
        };
        let codes = new_recovery_codes();
        let hashes = codes
            .iter()
            .map(|c| recovery_hash(state, account_id, c))
            .collect();
        let notice = super::notice::job(
            account_id,
            "msg-second-factor-subject",
            "msg-second-factor-on",
            Vec::new(),
            format!("2fa-on:{account_id}:{step}"),
            now,
        );
        return match state
            .store
            .enable_totp(account_id, step, hashes, notice, now)
            .await
        {
            Ok(()) => Ok(Checked::Ok {
                recovery_codes: Some(codes),
            }),
            Err(store::StoreError::Stale) => Ok(Checked::Wrong),
            Err(e) => Err(e.into()),
        };
    }
    if let Some(step) = totp::verify(&secret, code, now, record.last_step) {
        return Ok(if state.store.use_totp_step(account_id, step).await? {
            Checked::Ok {
                recovery_codes: None,
            }
        } else {
            Checked::Wrong
        });
    }
    recovery(state, account_id, code, now).await
}

async fn recovery(
    state: &Portal,
    account_id: Uuid,
    code: &str,
    now: i64,
) -> Result<Checked, AppError> {
    if code.trim().len() >= 8
        && state
            .store
            .use_recovery_code(account_id, &recovery_hash(state, account_id, code), now)
            .await?
    {
        return Ok(Checked::Ok {
            recovery_codes: None,
        });
    }
    Ok(Checked::Wrong)
}

/// Turns on one-time codes by SMS or e-mail as the second factor; answers
/// the recovery codes to show once.
pub async fn enable_code(state: &Portal, account: &Account) -> Result<Vec<String>, AppError> {
    if account.phone.is_none() && account.email.is_none() {
        return Err(AppError::new(ErrorKind::Conflict, "contact.required"));
    }
    let codes = new_recovery_codes();
    let hashes = codes
        .iter()
        .map(|c| recovery_hash(state, account.id, c))
        .collect();
    let now = state.now();
    let notice = super::notice::job(
        account.id,
        "msg-second-factor-subject",
        "msg-second-factor-on",
        Vec::new(),
        format!("2fa-on:{}:code:{now}", account.id),
        now,
    );
    match state
        .store
        .enable_code_factor(account.id, hashes, notice, now)
        .await
    {
        Ok(()) => Ok(codes),
        Err(store::StoreError::Stale) => Err(AppError::new(
            ErrorKind::Conflict,
            "second_factor.already_enabled",
        )),
        Err(e) => Err(e.into()),
    }
}

/// The enabled second factor's method, if any.
pub async fn method(state: &Portal, account_id: Uuid) -> Result<Option<FactorMethod>, AppError> {
    Ok(state
        .store
        .get_totp(account_id)
        .await?
        .filter(|r| r.enabled)
        .map(|r| r.method))
}

/// Whether the account has a working second factor.
pub async fn enabled(state: &Portal, account_id: Uuid) -> Result<bool, AppError> {
    Ok(method(state, account_id).await?.is_some())
}

/// The value that binds a login's second-factor step to the browser that
/// typed the password (a cookie on the page): keyed by the server, so a
/// challenge id alone never shows anything.
pub fn enrolment_binding(state: &Portal, challenge: Uuid) -> String {
    state.vault.lookup("2fa-enrolment", &challenge.to_string())
}

/// The not-yet-enabled secret again (after a mistyped first code), only for
/// a live login challenge presented with its binding: right purpose, not
/// used, not burnt, not expired, and the owner's browser.
pub async fn pending_enrolment(
    state: &Portal,
    challenge: Uuid,
    binding: Option<&str>,
) -> Result<Option<Enrolment>, AppError> {
    let Some(binding) = binding else {
        return Ok(None);
    };
    if !crate::credentials::tokens::same(binding, &enrolment_binding(state, challenge)) {
        return Ok(None);
    }
    let Some(ch) = state.store.get_challenge(challenge).await? else {
        return Ok(None);
    };
    let live = ch.purpose == Purpose::LoginSecondFactor
        && !ch.consumed
        && ch.attempts < state.otp.max_attempts
        && state.now() - ch.sent_at <= state.otp.ttl_ms;
    if !live {
        return Ok(None);
    }
    let Some(record) = state.store.get_totp(ch.account_id).await? else {
        return Ok(None);
    };
    if record.enabled || record.method != FactorMethod::Totp {
        return Ok(None);
    }
    let secret = secret_of(state, ch.account_id, &record).await?;
    let b32 = totp::base32_encode(&secret);
    let label = state
        .store
        .get_account(ch.account_id)
        .await?
        .and_then(|a| a.email.or(a.phone))
        .unwrap_or_default();
    Ok(Some(Enrolment {
        otpauth_uri: totp::otpauth_uri("migportal", &label, &b32),
        secret: b32,
    }))
}

/// The code of now for a secret, for tests and the demo only.
pub fn current_code(secret_b32: &str, now_ms: i64) -> Option<String> {
    totp::base32_decode(secret_b32).map(|s| totp::code_at(&s, totp::step_of(now_ms)))
}

/// Turns the second factor off after checking the password (staff cannot).
pub async fn disable_with_password(
    state: &Portal,
    actor: &crate::session::Actor,
    password: &str,
) -> Result<(), AppError> {
    if actor.account.role.is_staff() {
        return Err(AppError::new(
            ErrorKind::Forbidden,
            "second_factor.mandatory",
        ));
    }
    if !super::security::password_matches(state, &actor.account, password).await? {
        return Err(AppError::field("password", "password.current_wrong"));
    }
    disable(state, actor.account.id).await
}

/// Finishes an authenticator enrolment with its first code; answers the
/// recovery codes to show once. Refused while a factor is already on (a
/// recovery code typed here would otherwise be spent for nothing).
pub async fn finish_enrolment(
    state: &Portal,
    actor: &crate::session::Actor,
    code: &str,
) -> Result<Vec<String>, AppError> {
    let already = || AppError::new(ErrorKind::Conflict, "second_factor.already_enabled");
    if enabled(state, actor.account.id).await? {
        return Err(already());
    }
    match check(state, actor.account.id, code, None).await? {
        Checked::Ok {
            recovery_codes: Some(codes),
        } => Ok(codes),
        Checked::Ok {
            recovery_codes: None,
        } => Err(already()),
        Checked::Wrong => Err(AppError::field("code", "otp.wrong").arg("attempts", "—")),
    }
}

/// The authenticator secret being set up, to show again after a mistyped
/// first code (the person's own, in their own session).
pub async fn pending_enrolment_of(
    state: &Portal,
    actor: &crate::session::Actor,
) -> Result<Option<Enrolment>, AppError> {
    let Some(record) = state
        .store
        .get_totp(actor.account.id)
        .await?
        .filter(|r| !r.enabled && r.method == FactorMethod::Totp)
    else {
        return Ok(None);
    };
    let secret = secret_of(state, actor.account.id, &record).await?;
    let b32 = totp::base32_encode(&secret);
    let label = actor
        .account
        .email
        .clone()
        .or_else(|| actor.account.phone.clone())
        .unwrap_or_default();
    Ok(Some(Enrolment {
        otpauth_uri: totp::otpauth_uri("migportal", &label, &b32),
        secret: b32,
    }))
}

/// Turns the second factor off with a current or recovery code (counted);
/// staff cannot turn theirs off.
pub async fn disable_with_code(
    state: &Portal,
    actor: &crate::session::Actor,
    code: &str,
) -> Result<(), AppError> {
    if actor.account.role.is_staff() {
        return Err(AppError::new(
            ErrorKind::Forbidden,
            "second_factor.mandatory",
        ));
    }
    match check(state, actor.account.id, code, None).await? {
        Checked::Ok { .. } => disable(state, actor.account.id).await,
        Checked::Wrong => Err(AppError::field("code", "otp.wrong").arg("attempts", "—")),
    }
}

async fn disable(state: &Portal, id: Uuid) -> Result<(), AppError> {
    let now = state.now();
    let notice = super::notice::job(
        id,
        "msg-second-factor-subject",
        "msg-second-factor-off",
        Vec::new(),
        format!("2fa-off:{id}:{now}"),
        now,
    );
    state.store.disable_totp(id, Some(id), notice, now).await?;
    Ok(())
}
