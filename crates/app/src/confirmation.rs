//! The confirmed level, by the person's own means (SPEC §2.3): a qualified
//! electronic signature over a challenge, or a code sent by registered letter.
//! (The third way, a service centre, is in `staff.rs`.)

use super::notice;
use crate::Portal;
use crate::credentials::tokens;
use crate::error::{AppError, ErrorKind};
use crate::session::Actor;
use base64::Engine;
use domain::account::{AssuranceLevel, VerificationState};
use domain::identity::{FieldError, IdentityData};
use domain::letter::{PostalAddress, letter_code_from_random, normalise_letter_code};
use domain::otp::{ChallengeChannel, Purpose};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use store::{Letter, NewChallenge, NewJob, StaffActor, job_kind};
use uuid::Uuid;

/// Both ways need data already verified against the registries; the version
/// returned is what a confirmation is bound to (`domain::confirmation`).
async fn verified_identity(state: &Portal, actor: &Actor) -> Result<(IdentityData, i64), AppError> {
    if actor.account.level == AssuranceLevel::Confirmed {
        return Err(AppError::new(
            ErrorKind::Conflict,
            "confirmation.already_confirmed",
        ));
    }
    let rec = state
        .store
        .get_identity(actor.account.id)
        .await?
        .filter(|r| r.state == VerificationState::Verified)
        .ok_or_else(|| AppError::new(ErrorKind::Conflict, "confirmation.not_standard"))?;
    let data = super::identity::open_data(&state.vault, &rec).map_err(AppError::internal)?;
    Ok((data, rec.version))
}

#[derive(Debug, Clone, Serialize)]
pub struct SignatureChallenge {
    pub challenge_id: Uuid,
    /// Base64 of the bytes to sign.
    pub challenge: String,
    pub expires_at: i64,
}

pub async fn signature_challenge(
    state: &Portal,
    actor: &Actor,
) -> Result<SignatureChallenge, AppError> {
    if state.trust.is_none() {
        return Err(AppError::new(ErrorKind::Unavailable, "qes.not_configured"));
    }
    let (_, version) = verified_identity(state, actor).await?;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let challenge = base64::engine::general_purpose::STANDARD.encode(bytes);
    let id = Uuid::now_v7();
    let now = state.now();
    state
        .store
        .start_challenge(
            NewChallenge {
                id,
                account_id: actor.account.id,
                purpose: Purpose::Signature,
                channel: ChallengeChannel::Signature,
                destination: String::new(),
                // The challenge is not a secret; it is stored as is.
                code_hash: challenge.clone(),
                identity_version: Some(version),
            },
            None,
            now,
        )
        .await?;
    Ok(SignatureChallenge {
        challenge_id: id,
        challenge,
        expires_at: now + state.otp.ttl_ms,
    })
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct SignatureInput {
    /// Base64 DER signature over the challenge bytes.
    pub signature: String,
    /// PEM: the personal certificate first, then any intermediates.
    pub certificate_chain: String,
}

fn same_name(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.trim().to_lowercase().replace('ё', "е");
    norm(a) == norm(b)
}

pub async fn confirm_by_signature(
    state: &Portal,
    actor: &Actor,
    challenge_id: Uuid,
    input: &SignatureInput,
) -> Result<(), AppError> {
    let Some(trust) = &state.trust else {
        return Err(AppError::new(ErrorKind::Unavailable, "qes.not_configured"));
    };
    let (data, _) = verified_identity(state, actor).await?;
    // Counted before the signature is checked; only the owner's live challenge.
    let ch = super::attempts::challenge(
        state,
        challenge_id,
        Purpose::Signature,
        Some(actor.account.id),
    )
    .await
    .map_err(|_| AppError::field("challenge_id", "otp.no_longer_valid"))?;
    let version = ch
        .identity_version
        .ok_or_else(|| AppError::field("challenge_id", "otp.no_longer_valid"))?;
    let now = state.now();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&ch.code_hash)
        .map_err(AppError::internal)?;
    let outcome = qes::verify_signature(
        &bytes,
        &input.signature,
        &input.certificate_chain,
        trust,
        now / 1000,
    );
    let refuse = |field: &'static str, code: &'static str| {
        AppError::invalid(vec![FieldError { field, code }])
    };
    let result = match outcome {
        Err(e) => {
            let field = if matches!(e, qes::QesError::BadSignature) {
                "signature"
            } else {
                "certificate_chain"
            };
            Err(refuse(field, e.code()))
        }
        Ok(signer) => {
            let snils_ok = signer.snils.is_some() && signer.snils == data.snils;
            let name_ok = signer
                .surname
                .as_deref()
                .is_some_and(|s| same_name(s, &data.surname));
            if snils_ok && name_ok {
                Ok(signer)
            } else {
                Err(refuse("certificate_chain", "qes.other_person"))
            }
        }
    };
    let signer = result?;
    let me = StaffActor {
        id: actor.account.id,
        role: actor.account.role,
        office_id: None,
    };
    let n = notice::job(
        actor.account.id,
        "msg-confirmed-subject",
        "msg-confirmed-body",
        Vec::new(),
        format!("confirmed:{}", actor.account.id),
        now,
    );
    state
        .store
        .confirm_identity(
            actor.account.id,
            version,
            Some(challenge_id),
            &me,
            &format!(
                "qualified_signature serial={} issuer={}",
                signer.serial_hex, signer.issuer
            ),
            n,
            now,
        )
        .await?;
    Ok(())
}

// ---------------------------------------------------------------- registered letter

/// The payload of a `print_letter` job: the code travels sealed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LetterPrint {
    pub letter_id: Uuid,
    pub key_id: String,
    pub sealed_code: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LetterView {
    pub letter_id: Uuid,
    pub address: String,
    pub requested_at: i64,
    pub expires_at: i64,
    pub next_letter_from: i64,
    pub used: bool,
    /// The identity data changed after the letter was ordered: its code no longer works.
    pub voided: bool,
}

fn view(state: &Portal, l: &Letter) -> LetterView {
    LetterView {
        letter_id: l.id,
        address: l.address.clone(),
        requested_at: l.created_at,
        expires_at: l.expires_at,
        next_letter_from: l.created_at + state.letters.resend_after_ms,
        used: l.used_at.is_some(),
        voided: l.voided_at.is_some(),
    }
}

pub async fn request_letter(
    state: &Portal,
    actor: &Actor,
    address: &PostalAddress,
) -> Result<LetterView, AppError> {
    let address = address.validate().map_err(|errs| {
        AppError::invalid(
            errs.into_iter()
                .map(|(field, e)| FieldError {
                    field,
                    code: e.code,
                })
                .collect(),
        )
    })?;
    let (_, version) = verified_identity(state, actor).await?;
    let now = state.now();
    let last = state.store.last_letter(actor.account.id).await?;
    if let Err(from) = state
        .letters
        .may_request(last.as_ref().map(|l| l.created_at), now)
    {
        return Err(too_soon(from, now));
    }
    let id = Uuid::now_v7();
    let code = letter_code_from_random(rand::random(), rand::random());
    let sealed = state
        .vault
        .seal(&store::vault::place::letter_code(id), code.as_bytes())
        .map_err(AppError::internal)?;
    let payload = LetterPrint {
        letter_id: id,
        key_id: state.vault.key_id().to_owned(),
        sealed_code: base64::engine::general_purpose::STANDARD.encode(sealed),
    };
    let job = NewJob::now(
        job_kind::PRINT_LETTER,
        serde_json::to_string(&payload).map_err(AppError::internal)?,
        now,
    )
    .dedup(format!("letter:{id}"));
    let letter = Letter {
        id,
        account_id: actor.account.id,
        address,
        code_hash: tokens::code_hash(&state.vault, id, &code),
        attempts: 0,
        created_at: now,
        expires_at: now + state.letters.code_ttl_ms,
        used_at: None,
        identity_version: version,
        voided_at: None,
    };
    match state
        .store
        .request_letter(
            letter.clone(),
            job,
            now - state.letters.resend_after_ms,
            now,
        )
        .await
    {
        Ok(()) => Ok(view(state, &letter)),
        Err(store::StoreError::Stale) => Err(too_soon(now + state.letters.resend_after_ms, now)),
        Err(e) => Err(e.into()),
    }
}

fn too_soon(from: i64, now: i64) -> AppError {
    let mut e = AppError::new(ErrorKind::Throttled, "letter.too_soon")
        .arg("date", crate::i18n::moment_arg(from));
    e.retry_after_secs = Some(u64::try_from((from - now).max(0) / 1000).unwrap_or(0));
    e
}

pub async fn letter_status(state: &Portal, actor: &Actor) -> Result<Option<LetterView>, AppError> {
    Ok(state
        .store
        .last_letter(actor.account.id)
        .await?
        .map(|l| view(state, &l)))
}

pub async fn enter_letter_code(state: &Portal, actor: &Actor, code: &str) -> Result<(), AppError> {
    let Some(code) = normalise_letter_code(code) else {
        return Err(AppError::field("code", "letter.code_format"));
    };
    let now = state.now();
    // Counted before the code is compared, in the statement that checks the limit.
    let Some(letter) = state
        .store
        .attempt_letter(actor.account.id, state.letters.max_attempts, now)
        .await?
    else {
        return Err(dead_letter(state, actor, now).await?);
    };
    if !tokens::same(
        &tokens::code_hash(&state.vault, letter.id, &code),
        &letter.code_hash,
    ) {
        return Err(letter_refused(state, letter.attempts));
    }
    let n = notice::job(
        actor.account.id,
        "msg-confirmed-subject",
        "msg-confirmed-body",
        Vec::new(),
        format!("confirmed:{}", actor.account.id),
        now,
    );
    match state.store.confirm_by_letter(letter.id, n, now).await {
        Ok(()) => Ok(()),
        Err(store::StoreError::Stale) => Err(AppError::field("code", "otp.no_longer_valid")),
        Err(e) => Err(e.into()),
    }
}

fn letter_refused(state: &Portal, used: u32) -> AppError {
    let max = state.letters.max_attempts;
    if used < max {
        AppError::field("code", "otp.wrong").arg("attempts", max - used)
    } else {
        let mut e = AppError::field("code", "otp.too_many_attempts");
        e.kind = ErrorKind::Throttled;
        e
    }
}

/// Why no letter took the code. The letter's own state is the person's to
/// know (it is their account), but a used or burnt letter answers the same.
async fn dead_letter(state: &Portal, actor: &Actor, now: i64) -> Result<AppError, AppError> {
    let Some(last) = state.store.last_letter(actor.account.id).await? else {
        return Ok(AppError::field("code", "letter.none"));
    };
    Ok(if last.voided_at.is_some() {
        AppError::new(ErrorKind::Conflict, "confirmation.identity_changed")
    } else if last.used_at.is_none() && now > last.expires_at {
        AppError::field("code", "letter.expired")
    } else {
        AppError::field("code", "otp.no_longer_valid")
    })
}

/// The text of a letter as printed and posted.
pub fn letter_text(address: &str, code: &str) -> String {
    format!(
        "ЗАКАЗНОЕ ПИСЬМО\nКому: {address}\n\nКод подтверждения личности для портала migportal:\n\n    {} {}\n\n\
         Войдите в личный кабинет, откройте «Подтверждение личности» и введите код.\n\
         Код действует 90 дней. Никому не сообщайте этот код.\n",
        &code[..5.min(code.len())],
        &code[5.min(code.len())..]
    )
}
