//! "Documents and data" (SPEC §2): what forms are pre-filled from — the
//! person's name, documents (masked), addresses, contacts and how they want
//! to be notified.

use super::accounts::delivery_job;
use super::notice;
use crate::Portal;
use crate::credentials::tokens;
use crate::error::{AppError, ErrorKind};
use crate::i18n::Lang;
use crate::session::Actor;
use domain::identity::FieldError;
use domain::letter::PostalAddress;
use domain::otp::code_from_random;
use domain::otp::{ChallengeChannel, Purpose};
use domain::person::{Email, Phone};
use serde::{Deserialize, Serialize};
use store::{Address, NewChallenge, NotificationPref};
use uuid::Uuid;

pub const ADDRESS_KINDS: [&str; 2] = ["registration", "postal"];
/// What a person can be notified about; `security` cannot be switched off.
pub const NOTICE_KINDS: [&str; 5] = [
    "security",
    "identity",
    "applications",
    "messages",
    "reminders",
];
pub const CHANNELS: [&str; 2] = ["email", "sms"];

#[derive(Debug, Clone, Serialize)]
pub struct AddressView {
    pub kind: String,
    pub region_code: String,
    pub postcode: String,
    pub region: String,
    pub city: String,
    pub street: String,
    pub house: String,
    pub flat: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PrefView {
    pub kind: String,
    pub channel: String,
    pub enabled: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProfileView {
    pub surname: String,
    pub given_name: String,
    pub patronymic: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub documents: Option<String>,
    pub addresses: Vec<AddressView>,
    pub notifications: Vec<PrefView>,
}

/// Every kind × channel, with the stored choice or the default (on).
pub async fn prefs(state: &Portal, account_id: Uuid) -> Result<Vec<PrefView>, AppError> {
    let stored = state.store.notification_prefs(account_id).await?;
    Ok(NOTICE_KINDS
        .iter()
        .flat_map(|k| CHANNELS.iter().map(move |c| (*k, *c)))
        .map(|(kind, channel)| PrefView {
            kind: kind.into(),
            channel: channel.into(),
            enabled: stored
                .iter()
                .find(|p| p.kind == kind && p.channel == channel)
                .is_none_or(|p| p.enabled),
        })
        .collect())
}

pub async fn profile(state: &Portal, actor: &Actor) -> Result<ProfileView, AppError> {
    let a = &actor.account;
    let documents = state.store.get_identity(a.id).await?.map(|i| i.masked);
    let addresses = state
        .store
        .addresses(a.id)
        .await?
        .into_iter()
        .map(|x| AddressView {
            kind: x.kind,
            region_code: x.region_code,
            postcode: x.postcode,
            region: x.region,
            city: x.city,
            street: x.street,
            house: x.house,
            flat: x.flat,
        })
        .collect();
    Ok(ProfileView {
        surname: a.surname.clone(),
        given_name: a.given_name.clone(),
        patronymic: a.patronymic.clone(),
        phone: a.phone.clone(),
        email: a.email.clone(),
        documents,
        addresses,
        notifications: prefs(state, a.id).await?,
    })
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct AddressInput {
    /// Two-digit region code (77 Moscow, 78 Saint Petersburg, 50 Moscow Oblast…).
    pub region_code: String,
    pub postcode: String,
    pub region: String,
    pub city: String,
    pub street: String,
    pub house: String,
    pub flat: String,
}

pub async fn save_address(
    state: &Portal,
    actor: &Actor,
    kind: &str,
    input: &AddressInput,
) -> Result<(), AppError> {
    if !ADDRESS_KINDS.contains(&kind) {
        return Err(AppError::not_found());
    }
    let postal = PostalAddress {
        postcode: input.postcode.clone(),
        region: input.region.clone(),
        city: input.city.clone(),
        street: input.street.clone(),
        house: input.house.clone(),
        flat: input.flat.clone(),
    };
    let mut errors: Vec<FieldError> = match postal.validate() {
        Ok(_) => Vec::new(),
        Err(errs) => errs
            .into_iter()
            .map(|(field, e)| FieldError {
                field,
                code: e.code,
            })
            .collect(),
    };
    let rc = input.region_code.trim();
    if rc.len() != 2 || !rc.bytes().all(|b| b.is_ascii_digit()) || rc == "00" {
        errors.insert(
            0,
            FieldError {
                field: "region_code",
                code: "region_code.format",
            },
        );
    }
    if !errors.is_empty() {
        return Err(AppError::invalid(errors));
    }
    let clean = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let address = Address {
        kind: kind.into(),
        region_code: rc.into(),
        postcode: input.postcode.trim().into(),
        region: clean(&input.region),
        city: clean(&input.city),
        street: clean(&input.street),
        house: clean(&input.house),
        flat: clean(&input.flat),
    };
    state
        .store
        .save_address(actor.account.id, address, state.now())
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrefInput {
    pub kind: String,
    pub channel: String,
    pub enabled: bool,
}

pub async fn save_notifications(
    state: &Portal,
    actor: &Actor,
    input: &[PrefInput],
) -> Result<(), AppError> {
    // One choice per kind and channel at most (the schema's `maxItems`).
    if input.len() > NOTICE_KINDS.len() * CHANNELS.len() {
        return Err(AppError::field("notifications", "group.too_many"));
    }
    let mut prefs = Vec::new();
    for p in input {
        if !NOTICE_KINDS.contains(&p.kind.as_str()) || !CHANNELS.contains(&p.channel.as_str()) {
            return Err(AppError::field("notifications", "notifications.unknown"));
        }
        if p.kind == "security" && !p.enabled {
            return Err(AppError::field(
                "notifications",
                "notifications.security_required",
            ));
        }
        prefs.push(NotificationPref {
            kind: p.kind.clone(),
            channel: p.channel.clone(),
            enabled: p.enabled,
        });
    }
    let now = state.now();
    let job = notice::job(
        actor.account.id,
        "msg-profile-subject",
        "msg-notifications-changed",
        Vec::new(),
        format!("prefs:{}:{now}", actor.account.id),
        now,
    );
    state
        .store
        .save_notification_prefs(actor.account.id, prefs, job, now)
        .await?;
    Ok(())
}

/// What a person gives to change the phone or e-mail they log in with.
#[derive(Debug, Clone, Default)]
pub struct ContactChange {
    pub value: String,
    /// The current password: a session alone may not replace a login contact.
    pub password: String,
    /// The authenticator or recovery code, when a second factor is on.
    pub second_factor: Option<String>,
}

/// Sends a code to a new phone or e-mail; it becomes the account's after the
/// code. Needs the password, and the authenticator code where one is enabled.
pub async fn start_add_contact(
    state: &Portal,
    actor: &Actor,
    change: &ContactChange,
    lang: Lang,
) -> Result<Uuid, AppError> {
    let value = change.value.as_str();
    if change.password.is_empty() {
        return Err(AppError::field("password", "field.required"));
    }
    if !super::security::password_matches(state, &actor.account, &change.password).await? {
        return Err(AppError::field("password", "password.current_wrong"));
    }
    // With a second factor on, also its code: the authenticator's (or a
    // recovery code); for codes by SMS/e-mail a recovery code, since that
    // code would go to the very contact being replaced.
    if super::second_factor::method(state, actor.account.id)
        .await?
        .is_some()
    {
        let code = change.second_factor.as_deref().unwrap_or("").trim();
        if code.is_empty() {
            return Err(AppError::field("second_factor", "second_factor.required"));
        }
        // Counted per account inside `check`.
        match super::second_factor::check(state, actor.account.id, code, None).await? {
            super::second_factor::Checked::Ok { .. } => {}
            super::second_factor::Checked::Wrong => {
                return Err(AppError::field("second_factor", "otp.wrong_factor"));
            }
        }
    }
    let (channel, canonical) = if value.contains('@') {
        (
            "email",
            Email::parse(value)
                .map_err(|e| AppError::field("contact", e.code))?
                .as_str()
                .to_owned(),
        )
    } else {
        (
            "sms",
            Phone::parse(value)
                .map_err(|e| AppError::field("contact", e.code))?
                .as_str()
                .to_owned(),
        )
    };
    let id = Uuid::now_v7();
    let code = code_from_random(rand::random());
    let now = state.now();
    let deliver = delivery_job(state, id, channel, &canonical, &code, lang, now).await?;
    state
        .store
        .start_challenge(
            NewChallenge {
                id,
                account_id: actor.account.id,
                purpose: Purpose::AddContact,
                channel: ChallengeChannel::delivery(channel)
                    .ok_or_else(|| AppError::internal("unknown delivery channel"))?,
                // The value being proven is kept on its own challenge.
                destination: canonical,
                code_hash: tokens::code_hash(&state.vault, id, &code),
                identity_version: None,
            },
            Some(deliver),
            now,
        )
        .await?;
    Ok(id)
}

pub async fn confirm_add_contact(
    state: &Portal,
    actor: &Actor,
    challenge_id: Uuid,
    code: &str,
) -> Result<(), AppError> {
    let ch = super::attempts::code(
        state,
        challenge_id,
        Purpose::AddContact,
        Some(actor.account.id),
        code,
    )
    .await?;
    let kind = if ch.channel == ChallengeChannel::Sms {
        "phone"
    } else {
        "email"
    };
    let now = state.now();
    let job = notice::job(
        actor.account.id,
        "msg-profile-subject",
        "msg-contact-changed",
        Vec::new(),
        format!("contact:{challenge_id}"),
        now,
    );
    // The contact being replaced is told directly: after the change the
    // account's notices no longer reach it.
    let old = match kind {
        "phone" => actor.account.phone.clone().map(|p| ("sms", p)),
        _ => actor.account.email.clone().map(|e| ("email", e)),
    };
    let old_notice = match old {
        Some((channel, to)) if to != ch.destination => Some(notice::direct(
            actor.account.id,
            channel,
            &to,
            "msg-profile-subject",
            "msg-contact-replaced",
            vec![("time".into(), crate::i18n::moment_arg(now))],
            format!("contact-old:{challenge_id}"),
            now,
        )),
        _ => None,
    };
    match state
        .store
        .set_contact(challenge_id, kind, &ch.destination, job, now)
        .await
    {
        Ok(()) => {
            if let Some(n) = old_notice {
                state.store.enqueue(n, now).await?;
            }
            Ok(())
        }
        Err(store::StoreError::Stale) => Err(super::attempts::refused(state, None)),
        Err(store::StoreError::Conflict(_)) => {
            let mut e = AppError::field(
                "contact",
                if kind == "phone" {
                    "phone.taken"
                } else {
                    "email.taken"
                },
            );
            e.kind = ErrorKind::Conflict;
            Err(e)
        }
        Err(e) => Err(e.into()),
    }
}

/// The language kept in the person's profile (the one they registered or
/// last switched to), which their pages follow on any browser they sign in on.
pub async fn language(
    state: &Portal,
    account: uuid::Uuid,
) -> Result<Option<crate::i18n::Lang>, AppError> {
    Ok(state
        .store
        .lang_of(account)
        .await?
        .as_deref()
        .and_then(crate::i18n::Lang::parse))
}

/// The language the person chose (the switch while signed in): their
/// notices are written in it from now on.
pub async fn set_language(
    state: &Portal,
    actor: &Actor,
    lang: crate::i18n::Lang,
) -> Result<(), AppError> {
    Ok(state.store.set_lang(actor.account.id, lang.code()).await?)
}
