//! The back office: who may do what (SPEC §1), and the staff use cases:
//! administration of offices and staff, the auditors' view of the log, and
//! identity confirmation at a service centre.

use crate::Portal;
use crate::error::{AppError, ErrorKind};
use crate::session::Actor;
use domain::account::{AccountStatus, Role};
use domain::identifiers::{OfficeCode, Snils};
use domain::identity::{DocumentData, FieldError, IdentityData};
use domain::otp::{ChallengeChannel, Purpose};
use domain::permission::Permission;
use domain::person::{Email, FullName, Phone};
use serde::{Deserialize, Serialize};
use store::{Account, AuditEvent, AuditFilter, DataAccess, LoginLookup, Office, StaffActor};
use uuid::Uuid;

/// A signed-in member of staff (any staff role).
pub struct Staff(pub Actor);

impl Staff {
    /// A signed-in person acting as staff; anyone else is refused.
    pub fn of(actor: Actor) -> Result<Self, AppError> {
        if actor.account.role.is_staff() {
            Ok(Self(actor))
        } else {
            Err(AppError::new(ErrorKind::Forbidden, "forbidden"))
        }
    }

    pub fn who(&self) -> StaffActor {
        StaffActor {
            id: self.0.account.id,
            role: self.0.account.role,
            office_id: self.0.account.office_id,
        }
    }

    /// Lets through only a role the table of `domain::permission` grants
    /// `permission`; a refusal is audited and answered 403.
    pub async fn require(
        &self,
        state: &Portal,
        permission: Permission,
    ) -> Result<StaffActor, AppError> {
        let who = self.who();
        if domain::permission::may(who.role, permission) {
            return Ok(who);
        }
        state
            .store
            .audit_staff(&who, "access.denied", None, permission.code(), state.now())
            .await?;
        Err(AppError::new(ErrorKind::Forbidden, "forbidden"))
    }
}

// ---------------------------------------------------------------- offices

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct OfficeInput {
    pub code: String,
    pub name: String,
    pub address: String,
    pub time_zone: String,
    /// Region ("77") or region-district ("50-012") codes.
    pub territory: Vec<String>,
}

/// Time zones of Russia, as offices may use them.
pub const TIME_ZONES: [&str; 26] = [
    "Europe/Kaliningrad",
    "Europe/Moscow",
    "Europe/Kirov",
    "Europe/Volgograd",
    "Europe/Astrakhan",
    "Europe/Saratov",
    "Europe/Ulyanovsk",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Omsk",
    "Asia/Novosibirsk",
    "Asia/Barnaul",
    "Asia/Tomsk",
    "Asia/Novokuznetsk",
    "Asia/Krasnoyarsk",
    "Asia/Irkutsk",
    "Asia/Chita",
    "Asia/Yakutsk",
    "Asia/Khandyga",
    "Asia/Vladivostok",
    "Asia/Ust-Nera",
    "Asia/Magadan",
    "Asia/Sakhalin",
    "Asia/Srednekolymsk",
    "Asia/Kamchatka",
    "Asia/Anadyr",
];

fn territory_code_ok(t: &str) -> bool {
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    match t.split_once('-') {
        None => digits(t, 2),
        Some((r, d)) => digits(r, 2) && digits(d, 3),
    }
}

impl OfficeInput {
    pub fn validate(&self, id: Uuid) -> Result<Office, AppError> {
        let mut errors = Vec::new();
        let code = OfficeCode::parse(&self.code)
            .map_err(|e| {
                errors.push(FieldError {
                    field: "code",
                    code: e.code,
                })
            })
            .ok();
        let text = |v: &str, field: &'static str, errors: &mut Vec<FieldError>| {
            let v = v.trim();
            if v.is_empty() {
                errors.push(FieldError {
                    field,
                    code: "field.required",
                });
            } else if v.chars().count() > 200 {
                errors.push(FieldError {
                    field,
                    code: "text.too_long",
                });
            }
            v.to_owned()
        };
        let name = text(&self.name, "name", &mut errors);
        let address = text(&self.address, "address", &mut errors);
        if !TIME_ZONES.contains(&self.time_zone.trim()) {
            errors.push(FieldError {
                field: "time_zone",
                code: "time_zone.unknown",
            });
        }
        // One canonical order (as the store lists the rows), no repeats.
        let mut territory: Vec<String> = self
            .territory
            .iter()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect();
        territory.sort();
        territory.dedup();
        if territory.is_empty()
            || territory.len() > 500
            || !territory.iter().all(|t| territory_code_ok(t))
        {
            errors.push(FieldError {
                field: "territory",
                code: "territory.format",
            });
        }
        match (code, errors.is_empty()) {
            (Some(code), true) => Ok(Office {
                id,
                code: code.to_string(),
                name,
                address,
                time_zone: self.time_zone.trim().to_owned(),
                territory,
            }),
            _ => Err(AppError::invalid(errors)),
        }
    }
}

pub async fn save_office(
    state: &Portal,
    staff: &Staff,
    id: Option<Uuid>,
    input: &OfficeInput,
) -> Result<Office, AppError> {
    let who = staff.require(state, Permission::ManageOffices).await?;
    if let Some(id) = id
        && !state.store.list_offices().await?.iter().any(|o| o.id == id)
    {
        return Err(AppError::not_found());
    }
    let office = input.validate(id.unwrap_or_else(Uuid::now_v7))?;
    match state
        .store
        .save_office(office.clone(), &who, state.now())
        .await
    {
        Ok(()) => Ok(office),
        Err(store::StoreError::Conflict(_)) => {
            let mut e = AppError::field("code", "office.code_taken");
            e.kind = ErrorKind::Conflict;
            Err(e)
        }
        Err(e) => Err(e.into()),
    }
}

/// Offices: administrators see all; heads of office and officers their own.
pub async fn offices(state: &Portal, staff: &Staff) -> Result<Vec<Office>, AppError> {
    let who = staff.require(state, Permission::ViewOffices).await?;
    let all = state.store.list_offices().await?;
    Ok(match who.role {
        Role::Administrator | Role::Operator => all,
        _ => all
            .into_iter()
            .filter(|o| Some(o.id) == who.office_id)
            .collect(),
    })
}

// ---------------------------------------------------------------- staff accounts

#[derive(Debug, Clone, Serialize)]
pub struct StaffView {
    pub id: Uuid,
    pub surname: String,
    pub given_name: String,
    pub email: Option<String>,
    pub role: Role,
    pub office_id: Option<Uuid>,
    pub status: AccountStatus,
}

impl From<&Account> for StaffView {
    fn from(a: &Account) -> Self {
        Self {
            id: a.id,
            surname: a.surname.clone(),
            given_name: a.given_name.clone(),
            email: a.email.clone(),
            role: a.role,
            office_id: a.office_id,
            status: a.status,
        }
    }
}

pub async fn list_staff(state: &Portal, staff: &Staff) -> Result<Vec<StaffView>, AppError> {
    staff.require(state, Permission::ManageStaff).await?;
    Ok(state
        .store
        .list_staff()
        .await?
        .iter()
        .map(StaffView::from)
        .collect())
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct NewStaffInput {
    pub role: String,
    pub email: String,
    pub surname: String,
    pub given_name: String,
    pub patronymic: Option<String>,
    pub office_code: Option<String>,
}

async fn office_by_code(
    state: &Portal,
    role: Role,
    code: Option<&str>,
) -> Result<Option<Uuid>, AppError> {
    match (
        role.needs_office(),
        code.map(str::trim).filter(|c| !c.is_empty()),
    ) {
        (true, None) => Err(AppError::field("office_code", "office.required")),
        (false, None) => Ok(None),
        (_, Some(code)) => {
            let code =
                OfficeCode::parse(code).map_err(|e| AppError::field("office_code", e.code))?;
            let offices = state.store.list_offices().await?;
            offices
                .iter()
                .find(|o| o.code == code.to_string())
                .map(|o| Some(o.id))
                .ok_or_else(|| AppError::field("office_code", "office.unknown"))
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StaffCreated {
    pub id: Uuid,
    /// The new member sets a password with the code sent to their e-mail.
    pub password_reset: Uuid,
}

pub async fn create_staff(
    state: &Portal,
    staff: &Staff,
    input: &NewStaffInput,
) -> Result<StaffCreated, AppError> {
    let who = staff.require(state, Permission::ManageStaff).await?;
    let role = Role::parse(&input.role).map_err(|e| AppError::field("role", e.code))?;
    if !role.is_staff() {
        return Err(AppError::field("role", "role.not_staff"));
    }
    let email = Email::parse(&input.email).map_err(|e| AppError::field("email", e.code))?;
    let name = FullName::parse(
        &input.surname,
        &input.given_name,
        input.patronymic.as_deref(),
    )
    .map_err(|(f, e)| AppError::field(f, e.code))?;
    let office_id = office_by_code(state, role, input.office_code.as_deref()).await?;
    // An unusable password until the person sets their own through the code.
    let hash = crate::credentials::password::hash(
        crate::credentials::tokens::new_token(),
        state.config.password_cost,
    )
    .await?;
    let id = Uuid::now_v7();
    state
        .store
        .create_account(
            store::NewAccount {
                id,
                surname: name.surname,
                given_name: name.given_name,
                patronymic: name.patronymic,
                phone: None,
                email: Some(email.as_str().to_owned()),
                password_hash: hash,
                status: AccountStatus::Active,
                level: domain::account::AssuranceLevel::Simplified,
                role,
                office_id,
                lang: "ru".into(),
            },
            Some(who.id),
            state.now(),
        )
        .await?;
    let reset = super::security::start_reset(state, email.as_str(), crate::i18n::Lang::RU).await?;
    Ok(StaffCreated {
        id,
        password_reset: reset.challenge_id,
    })
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct StaffChange {
    pub role: String,
    pub office_code: Option<String>,
    /// "active" or "blocked".
    pub status: String,
}

pub async fn update_staff(
    state: &Portal,
    staff: &Staff,
    id: Uuid,
    change: &StaffChange,
) -> Result<(), AppError> {
    let who = staff.require(state, Permission::ManageStaff).await?;
    let role = Role::parse(&change.role).map_err(|e| AppError::field("role", e.code))?;
    if !role.is_staff() {
        return Err(AppError::field("role", "role.not_staff"));
    }
    let status = match change.status.as_str() {
        "active" => AccountStatus::Active,
        "blocked" => AccountStatus::Blocked,
        _ => return Err(AppError::field("status", "status.unknown")),
    };
    if id == who.id && (status != AccountStatus::Active || role != Role::Administrator) {
        return Err(AppError::field("status", "staff.cannot_demote_self"));
    }
    let office_id = office_by_code(state, role, change.office_code.as_deref()).await?;
    state
        .store
        .update_staff(id, role, office_id, status, &who, state.now())
        .await?;
    Ok(())
}

// ---------------------------------------------------------------- audit

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct AuditQuery {
    /// The id of the last event of the page before (ids are time-ordered).
    pub before: Option<Uuid>,
    pub action: Option<String>,
    pub actor: Option<String>,
    pub subject: Option<String>,
    pub limit: Option<u32>,
}

pub async fn audit(
    state: &Portal,
    staff: &Staff,
    q: &AuditQuery,
) -> Result<Vec<AuditEvent>, AppError> {
    staff.require(state, Permission::ReadAudit).await?;
    let id = |v: &Option<String>, field: &'static str| -> Result<Option<Uuid>, AppError> {
        match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => Uuid::parse_str(s)
                .map(Some)
                .map_err(|_| AppError::field(field, "id.format")),
        }
    };
    let filter = AuditFilter {
        before: q.before,
        action_prefix: q.action.clone().filter(|a| !a.trim().is_empty()),
        actor_id: id(&q.actor, "actor")?,
        subject_id: id(&q.subject, "subject")?,
    };
    Ok(state
        .store
        .search_audit(&filter, q.limit.unwrap_or(50).clamp(1, 200))
        .await?)
}

// ---------------------------------------------------------------- service centre

#[derive(Debug, Clone, Serialize)]
pub struct PersonCard {
    pub id: Uuid,
    pub surname: String,
    pub given_name: String,
    pub patronymic: Option<String>,
    pub level: domain::account::AssuranceLevel,
    pub identity_state: domain::account::VerificationState,
    /// Why the check failed; `held_by_another` (the SNILS is verified on
    /// another account) is shown to the centre, never to the person as such.
    pub failure_reason: Option<domain::account::FailureReason>,
    /// Masked numbers only.
    pub documents: Option<String>,
    /// The confirmation request this look-up belongs to (recorded in the person's access log).
    pub request: String,
}

/// An operator finds a registered person by SNILS or phone. The read is
/// recorded in the person's access log.
pub async fn find_person(
    state: &Portal,
    staff: &Staff,
    snils: Option<&str>,
    phone: Option<&str>,
) -> Result<PersonCard, AppError> {
    let who = staff.require(state, Permission::FindPeople).await?;
    let lookup = match (
        snils.map(str::trim).filter(|s| !s.is_empty()),
        phone.map(str::trim).filter(|s| !s.is_empty()),
    ) {
        (Some(s), _) => {
            let s = Snils::parse(s).map_err(|e| AppError::field("snils", e.code))?;
            LoginLookup::SnilsLookup(state.vault.lookup("snils", s.as_digits()))
        }
        (None, Some(p)) => LoginLookup::Phone(
            Phone::parse(p)
                .map_err(|e| AppError::field("phone", e.code))?
                .as_str()
                .to_owned(),
        ),
        (None, None) => return Err(AppError::field("snils", "field.required")),
    };
    let found = match state.store.find_auth(&lookup).await? {
        Some(a) if a.role == Role::Applicant => a,
        _ => {
            state
                .store
                .audit_staff(&who, "people.not_found", None, "", state.now())
                .await?;
            return Err(AppError::not_found());
        }
    };
    let account = state
        .store
        .get_account(found.id)
        .await?
        .ok_or_else(AppError::not_found)?;
    read_person(
        state,
        &who,
        account,
        "identity_confirmation",
        format!("SC-{}", Uuid::now_v7().simple()),
    )
    .await
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ConfirmInput {
    /// The number of the passport the operator holds, typed from it.
    pub passport: String,
}

/// The operator has seen the passport: the person becomes confirmed when the
/// passport in hand is the one already verified against the registries.
pub async fn confirm_person(
    state: &Portal,
    staff: &Staff,
    person: Uuid,
    input: &ConfirmInput,
) -> Result<(), AppError> {
    let who = staff.require(state, Permission::ConfirmIdentity).await?;
    let identity = state.store.get_identity(person).await?;
    let Some(identity) =
        identity.filter(|i| i.state == domain::account::VerificationState::Verified)
    else {
        state
            .store
            .audit_staff(
                &who,
                "identity.confirm_refused",
                Some(person),
                "no verified documents",
                state.now(),
            )
            .await?;
        let mut e = AppError::new(ErrorKind::Conflict, "confirmation.not_standard");
        e.fields = vec![];
        return Err(e);
    };
    let data: IdentityData =
        super::identity::open_data(&state.vault, &identity).map_err(AppError::internal)?;
    let typed: String = input
        .passport
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_uppercase();
    let on_file = match &data.document {
        DocumentData::RussianPassport { series, number, .. } => format!("{series}{number}"),
        DocumentData::ForeignPassport { number, .. } => number.clone(),
    };
    if typed.is_empty() || typed != on_file {
        state
            .store
            .audit_staff(
                &who,
                "identity.confirm_refused",
                Some(person),
                "passport differs",
                state.now(),
            )
            .await?;
        return Err(AppError::field(
            "passport",
            "confirmation.passport_mismatch",
        ));
    }
    let now = state.now();
    let notice = super::notice::job(
        person,
        "msg-confirmed-subject",
        "msg-confirmed-body",
        Vec::new(),
        format!("confirmed:{person}"),
        now,
    );
    state
        .store
        .confirm_identity(
            person,
            identity.version,
            None,
            &who,
            "service_centre",
            notice,
            now,
        )
        .await?;
    Ok(())
}

// ---------------------------------------------------------------- transparency

#[derive(Debug, Clone, Serialize)]
pub struct AccessView {
    pub at: i64,
    pub staff: String,
    pub role: String,
    pub office: Option<String>,
    pub purpose: String,
    pub reference: String,
}

/// Every staff read of the person's data, newest first (SPEC §8).
pub async fn my_access_log(state: &Portal, actor: &Actor) -> Result<Vec<AccessView>, AppError> {
    let entries = state.store.list_access(actor.account.id).await?;
    let offices = state.store.list_offices().await?;
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        let staff = state.store.get_account(e.staff_id).await?;
        out.push(AccessView {
            at: e.at,
            staff: staff
                .map(|s| {
                    format!(
                        "{} {}.",
                        s.surname,
                        s.given_name.chars().next().unwrap_or(' ')
                    )
                })
                .unwrap_or_default(),
            role: e.staff_role,
            office: e
                .office_id
                .and_then(|id| offices.iter().find(|o| o.id == id).map(|o| o.name.clone())),
            purpose: e.purpose,
            reference: e.reference,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------- office staff

/// An officer or head of office looks at a person of their office's
/// territory (by the person's registration address). Anyone else's person is
/// "not found", and the attempt is audited; an allowed read is recorded in
/// the person's access log.
pub async fn office_person(
    state: &Portal,
    staff: &Staff,
    person: Uuid,
) -> Result<PersonCard, AppError> {
    let who = staff.require(state, Permission::ViewOfficePeople).await?;
    let office = match who.office_id {
        Some(id) => state
            .store
            .list_offices()
            .await?
            .into_iter()
            .find(|o| o.id == id),
        None => None,
    };
    let account = state
        .store
        .get_account(person)
        .await?
        .filter(|a| a.role == Role::Applicant);
    let region = match &account {
        Some(a) => state
            .store
            .addresses(a.id)
            .await?
            .into_iter()
            .find(|x| x.kind == "registration")
            .map(|x| x.region_code),
        None => None,
    };
    // District-level codes ("50-012") would need the district of the address,
    // which is not collected yet; region codes decide.
    let in_territory =
        matches!((&office, &region), (Some(o), Some(r)) if o.territory.iter().any(|t| t == r));
    let (Some(account), Some(office), true) = (account, office, in_territory) else {
        state
            .store
            .audit_staff(
                &who,
                "access.denied_other_office",
                Some(person),
                "",
                state.now(),
            )
            .await?;
        return Err(AppError::not_found());
    };
    read_person(
        state,
        &who,
        account,
        "office_case",
        format!("office:{}", office.code),
    )
    .await
}

// ---------------------------------------------------------------- registration at a service centre

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CentreRegistration {
    pub phone: Option<String>,
    pub email: Option<String>,
    /// The person's documents, checked by the operator in hand.
    pub identity: domain::identity::IdentityForm,
}

#[derive(Debug, Clone, Serialize)]
pub struct CentreRegistered {
    pub id: Uuid,
    /// The person sets a password with the code sent to their contact
    /// (`/password-reset/{first_login}`).
    pub first_login: Uuid,
}

/// An operator registers a person from scratch: the account becomes
/// confirmed as soon as the registries verify the data the operator saw
/// (`domain::confirmation`), and the person receives a first-login code.
pub async fn register_person(
    state: &Portal,
    staff: &Staff,
    input: &CentreRegistration,
) -> Result<CentreRegistered, AppError> {
    let who = staff.require(state, Permission::RegisterPeople).await?;
    let now = state.now();
    let mut errors = Vec::new();
    let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
    let contact = match (blank(&input.phone), blank(&input.email)) {
        (false, true) => Phone::parse(input.phone.as_deref().unwrap_or(""))
            .map(|p| ("sms", p.as_str().to_owned(), p.masked()))
            .map_err(|e| {
                errors.push(FieldError {
                    field: "phone",
                    code: e.code,
                })
            })
            .ok(),
        (true, false) => Email::parse(input.email.as_deref().unwrap_or(""))
            .map(|m| ("email", m.as_str().to_owned(), m.masked()))
            .map_err(|e| {
                errors.push(FieldError {
                    field: "email",
                    code: e.code,
                })
            })
            .ok(),
        (true, true) => {
            errors.push(FieldError {
                field: "contact",
                code: "contact.required",
            });
            None
        }
        (false, false) => {
            errors.push(FieldError {
                field: "contact",
                code: "contact.one_only",
            });
            None
        }
    };
    let data = match input.identity.validate(super::today(now)) {
        Ok(d) => Some(d),
        Err(errs) => {
            errors.extend(errs);
            None
        }
    };
    let (Some((channel, to, masked)), Some(data), true) = (contact, data, errors.is_empty()) else {
        return Err(AppError::invalid(errors));
    };
    let lookup = super::identity::lookup_key(state, &data)?;
    let id = Uuid::now_v7();
    let sealed = state
        .vault
        .seal(
            &store::vault::place::identity(id),
            &serde_json::to_vec(&data).map_err(AppError::internal)?,
        )
        .map_err(AppError::internal)?;
    let password = crate::credentials::password::hash(
        crate::credentials::tokens::new_token(),
        state.config.password_cost,
    )
    .await?;
    let first_login = Uuid::now_v7();
    let code = domain::otp::code_from_random(rand::random());
    let deliver =
        super::accounts::first_login_job(state, first_login, channel, &to, &code, now).await?;
    let (phone, email) = if channel == "sms" {
        (Some(to.clone()), None)
    } else {
        (None, Some(to.clone()))
    };
    state
        .store
        .register_at_centre(
            store::NewAccount {
                id,
                surname: data.surname.clone(),
                given_name: data.given_name.clone(),
                patronymic: data.patronymic.clone(),
                phone,
                email,
                password_hash: password,
                status: AccountStatus::Active,
                // Confirmed when the registries verify what the operator saw.
                level: domain::account::AssuranceLevel::Simplified,
                role: Role::Applicant,
                office_id: None,
                lang: "ru".into(),
            },
            store::NewIdentity {
                account_id: id,
                surname: data.surname.clone(),
                given_name: data.given_name.clone(),
                patronymic: data.patronymic.clone(),
                document_kind: data.document.kind().to_owned(),
                snils_lookup: lookup,
                key_id: state.vault.key_id().to_owned(),
                sealed,
                masked: data.masked(),
            },
            store::NewChallenge {
                id: first_login,
                account_id: id,
                purpose: Purpose::Reset,
                channel: ChallengeChannel::delivery(channel)
                    .ok_or_else(|| AppError::internal("unknown delivery channel"))?,
                destination: masked,
                code_hash: crate::credentials::tokens::code_hash(&state.vault, first_login, &code),
                identity_version: None,
            },
            deliver,
            &who,
            now,
        )
        .await?;
    Ok(CentreRegistered { id, first_login })
}

/// Records a staff read of a person in their access log, then shows the card.
async fn read_person(
    state: &Portal,
    who: &StaffActor,
    account: Account,
    purpose: &str,
    reference: String,
) -> Result<PersonCard, AppError> {
    let identity = state.store.get_identity(account.id).await?;
    state
        .store
        .record_access(DataAccess {
            id: Uuid::now_v7(),
            person_id: account.id,
            staff_id: who.id,
            staff_role: who.role.as_str().to_owned(),
            office_id: who.office_id,
            at: state.now(),
            purpose: purpose.into(),
            reference: reference.clone(),
        })
        .await?;
    Ok(PersonCard {
        id: account.id,
        surname: account.surname,
        given_name: account.given_name,
        patronymic: account.patronymic,
        level: account.level,
        identity_state: identity
            .as_ref()
            .map_or(domain::account::VerificationState::NotSubmitted, |i| {
                i.state
            }),
        failure_reason: identity.as_ref().and_then(|i| i.failure_reason),
        documents: identity.map(|i| i.masked),
        request: reference,
    })
}

/// How many stuck jobs a page shows and one revival sets going.
pub const STUCK_JOBS_SHOWN: u32 = 200;

/// A job that failed for good, as an administrator sees it: its kind, how
/// often it was tried, when it was made and given up, and the last error
/// with contacts and long numbers masked (an error may quote an address).
#[derive(Debug, Clone, Serialize)]
pub struct StuckJob {
    pub id: Uuid,
    pub kind: String,
    pub attempts: u32,
    pub error: String,
    pub created_at: i64,
    pub failed_at: i64,
}

/// The stuck (dead) jobs, the latest first, with how many there are.
pub async fn stuck_jobs(state: &Portal, staff: &Staff) -> Result<(Vec<StuckJob>, u64), AppError> {
    staff.require(state, Permission::ManageJobs).await?;
    let total = state.store.job_stats().await?.dead;
    let jobs = state.store.dead_jobs(STUCK_JOBS_SHOWN).await?;
    let list = jobs
        .into_iter()
        .map(|j| StuckJob {
            id: j.id,
            kind: j.kind,
            attempts: j.attempts,
            error: mask_error(j.last_error.as_deref().unwrap_or_default()),
            created_at: j.created_at,
            failed_at: j.done_at,
        })
        .collect();
    Ok((list, total))
}

/// Sets the stuck jobs going again from their first attempt (after the
/// cause is mended: a gateway back, a setting corrected); audited.
pub async fn revive_jobs(state: &Portal, staff: &Staff) -> Result<u64, AppError> {
    let who = staff.require(state, Permission::ManageJobs).await?;
    let now = state.now();
    let revived = state.store.revive_dead_jobs(STUCK_JOBS_SHOWN, now).await?;
    state
        .store
        .audit_staff(&who, "jobs.revived", None, &revived.to_string(), now)
        .await?;
    Ok(revived)
}

/// An error text with e-mail addresses masked, and every number of five
/// or more digits — however it is spaced or dashed (`+7 916 123-45-67`,
/// `112-233-445 95`) — with its digits starred; cut to 300 characters.
pub fn mask_error(text: &str) -> String {
    let words: Vec<&str> = text.split(' ').collect();
    let joined = words
        .iter()
        .map(|w| {
            if w.contains('@') || w.to_ascii_lowercase().contains("%40") {
                "***@***"
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    let numberish = |c: char| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')' | '+');
    let chars: Vec<char> = joined.chars().collect();
    let mut out = String::with_capacity(joined.len());
    let mut i = 0;
    while i < chars.len() {
        if !(chars[i].is_ascii_digit() || matches!(chars[i], '+' | '(')) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let end = chars[i..]
            .iter()
            .position(|c| !numberish(*c))
            .map_or(chars.len(), |n| i + n);
        let run = &chars[i..end];
        let long = run.iter().filter(|c| c.is_ascii_digit()).count() >= 5;
        out.extend(
            run.iter()
                .map(|&c| if long && c.is_ascii_digit() { '*' } else { c }),
        );
        i = end;
    }
    out.chars().take(300).collect()
}

#[cfg(test)]
mod stuck_job_tests {
    use super::mask_error;

    #[test]
    fn contacts_and_long_numbers_are_masked() {
        assert_eq!(
            mask_error("550 no mailbox ivan@example.ru, to +79161234567 after 3 tries"),
            "550 no mailbox ***@*** to +*********** after 3 tries"
        );
        assert_eq!(mask_error("connection refused"), "connection refused");
        assert_eq!(
            mask_error("to +7 916 123-45-67: SNILS 112-233-445 95, user%40mail.ru"),
            "to +* *** ***-**-**: SNILS ***-***-*** **, ***@***"
        );
        assert_eq!(
            mask_error("HTTP 503 after 3 tries"),
            "HTTP 503 after 3 tries"
        );
        assert_eq!(mask_error(&"x".repeat(500)).chars().count(), 300);
    }
}
