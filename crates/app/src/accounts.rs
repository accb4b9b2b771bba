//! Registration, contact confirmation, login and logout (SPEC §2.1).

use crate::Portal;
use crate::credentials::{password, tokens};
use crate::error::{AppError, ErrorKind};
use crate::i18n::Lang;
use crate::session;
use base64::Engine;
use domain::account::{AccountStatus, AssuranceLevel, Role};
use domain::identifiers::Snils;
use domain::identity::FieldError;
use domain::otp::{ChallengeChannel, Purpose};
use domain::otp::{OtpState, code_from_random};
use domain::person::{Email, FullName, Phone, check_password};
use domain::throttle::LoginThrottlePolicy;
use domain::totp::FactorMethod;
use serde::{Deserialize, Serialize};
use store::{LoginLookup, NewAccount, NewChallenge, NewJob, SessionKind, job_kind};
use uuid::Uuid;

/// What a person typed to register.
#[derive(Debug, Clone, Default)]
pub struct RegisterInput {
    pub surname: String,
    pub given_name: String,
    pub patronymic: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub password: String,
    /// Pages ask for the password twice; the API does not.
    pub password_repeat: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Registered {
    pub account_id: Uuid,
    pub challenge_id: Uuid,
    pub channel: &'static str,
    pub destination: String,
}

/// The payload of a `deliver_code` job. The code is sealed: job rows are not
/// a place for secrets in clear.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeDelivery {
    pub challenge_id: Uuid,
    pub channel: String,
    pub to: String,
    pub key_id: String,
    pub sealed_code: String,
    pub lang: String,
    /// Where to enter the code, when the message must say it (first login).
    #[serde(default)]
    pub link: Option<String>,
}

enum Contact {
    Phone(Phone),
    Email(Email),
}

pub async fn register(
    state: &Portal,
    input: RegisterInput,
    lang: Lang,
) -> Result<Registered, AppError> {
    let mut errors = Vec::new();
    let mut fail =
        |field: &'static str, code: &'static str| errors.push(FieldError { field, code });
    let name = match FullName::parse(
        &input.surname,
        &input.given_name,
        input.patronymic.as_deref(),
    ) {
        Ok(n) => Some(n),
        Err((field, e)) => {
            fail(field, e.code);
            None
        }
    };
    let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
    let contact = match (blank(&input.phone), blank(&input.email)) {
        (true, true) => {
            fail("contact", "contact.required");
            None
        }
        (false, false) => {
            fail("contact", "contact.one_only");
            None
        }
        (false, true) => match Phone::parse(input.phone.as_deref().unwrap_or("")) {
            Ok(p) => Some(Contact::Phone(p)),
            Err(e) => {
                fail("phone", e.code);
                None
            }
        },
        (true, false) => match Email::parse(input.email.as_deref().unwrap_or("")) {
            Ok(m) => Some(Contact::Email(m)),
            Err(e) => {
                fail("email", e.code);
                None
            }
        },
    };
    let mut personal: Vec<&str> = vec![&input.surname, &input.given_name];
    if let Some(p) = &input.patronymic {
        personal.push(p);
    }
    for c in [&input.phone, &input.email].into_iter().flatten() {
        personal.push(c);
    }
    if input.password.is_empty() {
        fail("password", "field.required");
    } else if let Err(e) = check_password(&input.password, &personal) {
        fail("password", e.code);
    } else if let Some(repeat) = &input.password_repeat
        && repeat != &input.password
    {
        fail("password_repeat", "password.mismatch");
    }
    let (Some(name), Some(contact), true) = (name, contact, errors.is_empty()) else {
        return Err(AppError::invalid(errors));
    };

    let password_hash = password::hash(input.password, state.config.password_cost).await?;
    let account_id = Uuid::now_v7();
    let challenge_id = Uuid::now_v7();
    let (phone, email, channel, to, masked) = match &contact {
        Contact::Phone(p) => (
            Some(p.as_str().to_owned()),
            None,
            "sms",
            p.as_str().to_owned(),
            p.masked(),
        ),
        Contact::Email(m) => (
            None,
            Some(m.as_str().to_owned()),
            "email",
            m.as_str().to_owned(),
            m.masked(),
        ),
    };
    let code = code_from_random(rand::random());
    let now = state.now();
    let deliver = delivery_job(state, challenge_id, channel, &to, &code, lang, now).await?;
    state
        .store
        .register_account(
            NewAccount {
                id: account_id,
                surname: name.surname,
                given_name: name.given_name,
                patronymic: name.patronymic,
                phone,
                email,
                password_hash,
                status: AccountStatus::PendingContact,
                level: AssuranceLevel::Simplified,
                role: Role::Applicant,
                office_id: None,
                // The profile keeps the language the person registered in:
                // their pages and notices follow it.
                lang: lang.code().to_owned(),
            },
            NewChallenge {
                id: challenge_id,
                account_id,
                purpose: Purpose::Contact,
                channel: ChallengeChannel::delivery(channel)
                    .ok_or_else(|| AppError::internal("unknown delivery channel"))?,
                destination: masked.clone(),
                code_hash: tokens::code_hash(&state.vault, challenge_id, &code),
                identity_version: None,
            },
            deliver,
            now,
        )
        .await?;
    Ok(Registered {
        account_id,
        challenge_id,
        channel,
        destination: masked,
    })
}

/// Counts one more code sent to `destination`, or refuses when too many went
/// there lately (held in the database, so across instances).
pub(crate) async fn count_send(state: &Portal, destination: &str) -> Result<(), AppError> {
    let key = format!("send:{destination}");
    super::attempts::take(state, &key, &state.sends, "otp.send_wait").await?;
    Ok(())
}

/// The job that delivers a code; every code sent is counted against its destination.
pub(crate) async fn delivery_job(
    state: &Portal,
    challenge_id: Uuid,
    channel: &str,
    to: &str,
    code: &str,
    lang: Lang,
    now: i64,
) -> Result<NewJob, AppError> {
    count_send(state, to).await?;
    code_job(state, challenge_id, channel, to, code, lang, None, now)
}

/// A code for someone registered at a service centre, with the page where
/// they set their password.
pub(crate) async fn first_login_job(
    state: &Portal,
    challenge_id: Uuid,
    channel: &str,
    to: &str,
    code: &str,
    now: i64,
) -> Result<NewJob, AppError> {
    count_send(state, to).await?;
    let link = format!(
        "{}/password-reset/{challenge_id}",
        state.config.public_url.trim_end_matches('/')
    );
    code_job(
        state,
        challenge_id,
        channel,
        to,
        code,
        Lang::RU,
        Some(link),
        now,
    )
}

#[allow(clippy::too_many_arguments)]
fn code_job(
    state: &Portal,
    challenge_id: Uuid,
    channel: &str,
    to: &str,
    code: &str,
    lang: Lang,
    link: Option<String>,
    now: i64,
) -> Result<NewJob, AppError> {
    let sealed = state
        .vault
        .seal(
            &store::vault::place::code_delivery(challenge_id),
            code.as_bytes(),
        )
        .map_err(AppError::internal)?;
    let payload = CodeDelivery {
        challenge_id,
        channel: channel.to_owned(),
        to: to.to_owned(),
        key_id: state.vault.key_id().to_owned(),
        sealed_code: base64::engine::general_purpose::STANDARD.encode(sealed),
        lang: lang.code().to_owned(),
        link,
    };
    let payload = serde_json::to_string(&payload).map_err(AppError::internal)?;
    // A code is useless once expired: stop retrying after a few minutes.
    Ok(NewJob::now(job_kind::DELIVER_CODE, payload, now).max_attempts(6))
}

/// Public facts about a challenge, for the confirmation page.
/// The masked phone or e-mail a registration code went to, for its page.
/// Only registration challenges: a reset's page must not tell a real
/// account from a decoy, and an added contact is kept unmasked.
pub async fn challenge_destination(state: &Portal, id: Uuid) -> Result<String, AppError> {
    let ch = state
        .store
        .get_challenge(id)
        .await?
        .filter(|c| c.purpose == Purpose::Contact)
        .ok_or_else(AppError::not_found)?;
    Ok(ch.destination)
}

pub async fn confirm(state: &Portal, challenge_id: Uuid, code: &str) -> Result<(), AppError> {
    super::attempts::code(state, challenge_id, Purpose::Contact, None, code).await?;
    match state
        .store
        .confirm_challenge(challenge_id, state.now())
        .await
    {
        Ok(()) => Ok(()),
        // Someone used it a moment ago: the same answer as any dead code.
        Err(store::StoreError::Stale) => Err(super::attempts::refused(state, None)),
        Err(e) => Err(e.into()),
    }
}

/// Sends a new code for a challenge, to where its first code went. Only codes
/// that prove a contact or reset a password can be sent again: a second
/// factor is asked for anew by logging in, so a resend can never move it.
pub async fn resend(state: &Portal, challenge_id: Uuid, lang: Lang) -> Result<(), AppError> {
    // A reset for an unknown login made a decoy: it is resent (to nobody)
    // exactly as a real challenge would be, so the answers tell nothing.
    let (ch, decoy) = match state.store.get_challenge(challenge_id).await? {
        Some(ch) => (ch, false),
        None => (
            state
                .store
                .get_decoy(challenge_id)
                .await?
                .ok_or_else(AppError::not_found)?,
            true,
        ),
    };
    if !ch.purpose.resendable() {
        return Err(AppError::new(ErrorKind::Conflict, "otp.resend_not_allowed"));
    }
    let st = OtpState {
        sent_at_ms: ch.sent_at,
        sends: ch.sends,
        attempts: ch.attempts,
        consumed: ch.consumed,
    };
    let now = state.now();
    match state.otp.may_resend(&st, now) {
        Ok(()) => {}
        Err(Some(wait)) => return Err(AppError::throttled("otp.resend_wait", wait)),
        Err(None) => {
            return Err(AppError::new(ErrorKind::Throttled, "otp.resend_limit"));
        }
    }
    let code = code_from_random(rand::random());
    let job = if decoy {
        None
    } else {
        let to = match ch.purpose {
            // The address being proven is kept on its own challenge.
            Purpose::AddContact => ch.destination.clone(),
            // Otherwise the full address is not kept on the challenge: it is
            // the account's proven contact of the challenge's channel.
            _ => {
                let account = state
                    .store
                    .get_account(ch.account_id)
                    .await?
                    .ok_or_else(AppError::not_found)?;
                match ch.channel.as_str() {
                    "sms" => account.phone,
                    _ => account.email,
                }
                .ok_or_else(|| AppError::internal("challenge without a contact"))?
            }
        };
        match delivery_job(
            state,
            challenge_id,
            ch.channel.as_str(),
            &to,
            &code,
            lang,
            now,
        )
        .await
        {
            Ok(job) => Some(job),
            // A reset must not tell a real login (whose phone had many codes
            // lately) from an unknown one: the code is held back silently.
            Err(e) if ch.purpose == Purpose::Reset && e.code == "otp.send_wait" => None,
            Err(e) => return Err(e),
        }
    };
    match state
        .store
        .resend_challenge(
            challenge_id,
            ch.sends,
            tokens::code_hash(&state.vault, challenge_id, &code),
            job,
            now,
        )
        .await
    {
        Ok(()) => Ok(()),
        Err(store::StoreError::Stale) => Err(AppError::throttled(
            "otp.resend_wait",
            state.otp.resend_after_ms,
        )),
        Err(e) => Err(e.into()),
    }
}

/// The ways a typed login may name an account, most specific first.
pub(crate) fn lookups(state: &Portal, login: &str) -> Vec<(String, LoginLookup)> {
    let login = login.trim();
    if login.contains('@') {
        return Email::parse(login)
            .map(|e| {
                vec![(
                    format!("email:{}", e.as_str()),
                    LoginLookup::Email(e.as_str().to_owned()),
                )]
            })
            .unwrap_or_default();
    }
    let mut v = Vec::new();
    if let Ok(p) = Phone::parse(login) {
        v.push((
            format!("phone:{}", p.as_str()),
            LoginLookup::Phone(p.as_str().to_owned()),
        ));
    }
    // A SNILS and a phone written 8XXXXXXXXXX can look alike: try both.
    if let Ok(s) = Snils::parse(login) {
        let key = state.vault.lookup("snils", s.as_digits());
        v.push((format!("snils:{key}"), LoginLookup::SnilsLookup(key)));
    }
    v
}

pub struct LoggedIn {
    pub token: String,
    pub expires_at: i64,
    pub account_id: Uuid,
}

/// Where someone logs in: people at the public entrance, staff at the back office.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entrance {
    Public,
    Staff,
}

/// The password was right; what happens next.
pub enum LoginOutcome {
    Session(LoggedIn),
    /// A second factor is due: a TOTP code for `challenge_id`; for staff
    /// without one yet, the enrolment to set it up first.
    SecondFactor {
        challenge_id: Uuid,
        /// An authenticator code, or a code sent to `destination`.
        method: FactorMethod,
        destination: Option<String>,
        enrolment: Option<super::second_factor::Enrolment>,
    },
}

pub async fn login(
    state: &Portal,
    entrance: Entrance,
    login: &str,
    password_typed: &str,
    kind: SessionKind,
    user_agent: &str,
) -> Result<LoginOutcome, AppError> {
    let mut errors = Vec::new();
    if login.trim().is_empty() {
        errors.push(FieldError {
            field: "login",
            code: "field.required",
        });
    }
    if password_typed.is_empty() {
        errors.push(FieldError {
            field: "password",
            code: "field.required",
        });
    }
    if !errors.is_empty() {
        return Err(AppError::invalid(errors));
    }
    let candidates = lookups(state, login);
    let Some((key, _)) = candidates.first() else {
        return Err(AppError::field("login", "login.format"));
    };
    let key = key.clone();
    // Counted as a failure before the password is compared; a success clears it.
    super::attempts::take(state, &key, &state.throttle, "throttled").await?;
    let mut found = None;
    for (_, lookup) in &candidates {
        if let Some(a) = state.store.find_auth(lookup).await? {
            found = Some(a);
            break;
        }
    }
    let ok = password::verify(
        password_typed.to_owned(),
        found.as_ref().map(|a| a.password_hash.clone()),
        state.config.password_cost,
    )
    .await?;
    let account = match (ok, found) {
        (true, Some(a)) => a,
        _ => return Err(AppError::new(ErrorKind::Unauthenticated, "bad_credentials")),
    };
    match account.status {
        AccountStatus::Active => {}
        AccountStatus::PendingContact => {
            return Err(AppError::new(ErrorKind::Forbidden, "account.not_confirmed"));
        }
        AccountStatus::Blocked => {
            return Err(AppError::new(ErrorKind::Forbidden, "account.blocked"));
        }
    }
    match (entrance, account.role.is_staff()) {
        (Entrance::Public, true) => {
            return Err(AppError::new(
                ErrorKind::Forbidden,
                "account.staff_entrance",
            ));
        }
        (Entrance::Staff, false) => {
            return Err(AppError::new(ErrorKind::Forbidden, "account.not_staff"));
        }
        _ => {}
    }
    state.store.clear_login_failures(&key).await?;
    let method = super::second_factor::method(state, account.id).await?;
    if method.is_none() && entrance == Entrance::Public {
        let (token, expires_at) = session::start(state, account.id, kind, user_agent).await?;
        return Ok(LoginOutcome::Session(LoggedIn {
            token,
            expires_at,
            account_id: account.id,
        }));
    }
    // The password does not reset the second factor's count: a locked
    // factor stays locked however many times the password is typed.
    let factor_key = second_factor_key(account.id);
    let record = state.store.login_failures(&factor_key).await?;
    if let Err(wait) = SECOND_FACTOR.check(&record, state.now()) {
        return Err(AppError::throttled("second_factor.locked", wait));
    }
    let full = state
        .store
        .get_account(account.id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let challenge_id = Uuid::now_v7();
    let now = state.now();
    // Staff must have a TOTP factor: set it up now if they have none.
    let (method, enrolment, code_hash, destination, deliver) = match method {
        Some(FactorMethod::Code) => {
            let code = code_from_random(rand::random());
            let (channel, to, masked) = match (&full.phone, &full.email) {
                (Some(p), _) => (
                    "sms",
                    p.clone(),
                    Phone::parse(p).map(|p| p.masked()).unwrap_or_default(),
                ),
                (None, Some(e)) => (
                    "email",
                    e.clone(),
                    Email::parse(e).map(|e| e.masked()).unwrap_or_default(),
                ),
                (None, None) => return Err(AppError::internal("second factor without a contact")),
            };
            let job = delivery_job(state, challenge_id, channel, &to, &code, Lang::RU, now).await?;
            (
                FactorMethod::Code,
                None,
                tokens::code_hash(&state.vault, challenge_id, &code),
                Some(masked),
                Some(job),
            )
        }
        Some(FactorMethod::Totp) => (FactorMethod::Totp, None, String::new(), None, None),
        None => (
            FactorMethod::Totp,
            Some(super::second_factor::enrol_start(state, &full).await?),
            String::new(),
            None,
            None,
        ),
    };
    state
        .store
        .start_challenge(
            NewChallenge {
                id: challenge_id,
                account_id: account.id,
                purpose: Purpose::LoginSecondFactor,
                channel: if method == FactorMethod::Code {
                    ChallengeChannel::Code
                } else {
                    ChallengeChannel::Totp
                },
                destination: destination.clone().unwrap_or_default(),
                code_hash,
                identity_version: None,
            },
            deliver,
            now,
        )
        .await?;
    Ok(LoginOutcome::SecondFactor {
        challenge_id,
        method,
        destination,
        enrolment,
    })
}

const SECOND_FACTOR: LoginThrottlePolicy = LoginThrottlePolicy::second_factor();

fn second_factor_key(account_id: Uuid) -> String {
    format!("2fa:{account_id}")
}

/// The second step of a login: a TOTP or recovery code for the challenge.
/// Returns the session and, after an enrolment, the recovery codes to show once.
pub async fn second_factor(
    state: &Portal,
    challenge_id: Uuid,
    code: &str,
    kind: SessionKind,
    user_agent: &str,
) -> Result<(LoggedIn, Option<Vec<String>>), AppError> {
    if code.trim().is_empty() {
        return Err(AppError::field("code", "field.required"));
    }
    // Counted on the challenge and on the account before the code is looked at.
    let ch =
        super::attempts::challenge(state, challenge_id, Purpose::LoginSecondFactor, None).await?;
    let account_id = ch
        .account_id
        .ok_or_else(|| super::attempts::refused(state, None))?;
    let factor_key = second_factor_key(account_id);
    let after =
        super::attempts::take(state, &factor_key, &SECOND_FACTOR, "second_factor.locked").await?;
    let checked = super::second_factor::check_uncounted(
        state,
        account_id,
        code,
        Some((ch.id, &ch.code_hash)),
    )
    .await?;
    let recovery_codes = match checked {
        super::second_factor::Checked::Ok { recovery_codes } => recovery_codes,
        super::second_factor::Checked::Wrong => {
            if SECOND_FACTOR.just_locked(&after) {
                let now = state.now();
                let notice = super::notice::job(
                    account_id,
                    "msg-second-factor-subject",
                    "msg-second-factor-locked",
                    vec![("time".into(), crate::i18n::moment_arg(now))],
                    format!(
                        "2fa-locked:{account_id}:{}:{}",
                        after.failures, after.last_failure_ms
                    ),
                    now,
                );
                state.store.enqueue(notice, now).await?;
            }
            return Err(super::attempts::refused(state, Some(ch.attempts)));
        }
    };
    let now = state.now();
    match state.store.confirm_challenge(challenge_id, now).await {
        Ok(()) => {}
        Err(store::StoreError::Stale) => return Err(super::attempts::refused(state, None)),
        Err(e) => return Err(e.into()),
    }
    state.store.clear_login_failures(&factor_key).await?;
    let (token, expires_at) = session::start(state, account_id, kind, user_agent).await?;
    Ok((
        LoggedIn {
            token,
            expires_at,
            account_id,
        },
        recovery_codes,
    ))
}

pub async fn logout(state: &Portal, actor: &session::Actor) -> Result<(), AppError> {
    state
        .store
        .delete_session(&actor.token_hash, state.now())
        .await?;
    Ok(())
}
