//! Demo data: offices with reception hours, one account per role, and the
//! applicant's story (a confirmed identity, applications sent and a draft),
//! so a newcomer can look around at once. Seeding is idempotent.

use app::PasswordCost;
use domain::account::{AccountStatus, AssuranceLevel, Role};
use std::sync::Arc;
use store::{NewAccount, Office, OfficeHours, Store, StoreError};
use uuid::Uuid;

/// A demo login printed at start.
pub struct DemoLogin {
    pub role: Role,
    pub login: &'static str,
    pub password: &'static str,
}

pub const LOGINS: [DemoLogin; 6] = [
    DemoLogin {
        role: Role::Applicant,
        login: "applicant@demo.migportal.ru",
        password: "Demo-Applicant-2026",
    },
    DemoLogin {
        role: Role::Officer,
        login: "officer@demo.migportal.ru",
        password: "Demo-Officer-2026",
    },
    DemoLogin {
        role: Role::HeadOfOffice,
        login: "head@demo.migportal.ru",
        password: "Demo-Head-2026",
    },
    DemoLogin {
        role: Role::Operator,
        login: "operator@demo.migportal.ru",
        password: "Demo-Operator-2026",
    },
    DemoLogin {
        role: Role::Administrator,
        login: "admin@demo.migportal.ru",
        password: "Demo-Admin-2026",
    },
    DemoLogin {
        role: Role::Auditor,
        login: "auditor@demo.migportal.ru",
        password: "Demo-Auditor-2026",
    },
];

fn offices() -> Vec<(Office, Vec<OfficeHours>)> {
    let weekdays = |open: u16, close: u16, saturday: Option<(u16, u16)>| {
        let mut v: Vec<OfficeHours> = (1..=5)
            .map(|d| OfficeHours {
                weekday: d,
                opens_min: open,
                closes_min: close,
            })
            .collect();
        if let Some((o, c)) = saturday {
            v.push(OfficeHours {
                weekday: 6,
                opens_min: o,
                closes_min: c,
            });
        }
        v
    };
    vec![
        (
            Office {
                id: Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0001),
                code: "770-001".into(),
                name: "ОВМ ОМВД России по району Хамовники г. Москвы".into(),
                address: "г. Москва, ул. Тимура Фрунзе, д. 11".into(),
                time_zone: "Europe/Moscow".into(),
                territory: vec!["77".into()],
            },
            weekdays(9 * 60, 18 * 60, Some((10 * 60, 14 * 60))),
        ),
        (
            Office {
                id: Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0002),
                code: "780-022".into(),
                name: "ОВМ УМВД России по Центральному району г. Санкт-Петербурга".into(),
                address: "г. Санкт-Петербург, ул. Караванная, д. 9".into(),
                time_zone: "Europe/Moscow".into(),
                territory: vec!["78".into(), "47".into()],
            },
            weekdays(9 * 60, 17 * 60, None),
        ),
        (
            Office {
                id: Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0003),
                code: "540-001".into(),
                name: "ОВМ УМВД России по г. Новосибирску".into(),
                address: "г. Новосибирск, Красный проспект, д. 18".into(),
                time_zone: "Asia/Novosibirsk".into(),
                territory: vec!["54".into()],
            },
            weekdays(9 * 60, 18 * 60, Some((9 * 60, 13 * 60))),
        ),
    ]
}

pub async fn seed(store: &Arc<dyn Store>, cost: PasswordCost, now: i64) -> anyhow::Result<()> {
    let offices = offices();
    let first_office = offices.first().map(|(o, _)| o.id);
    for (office, hours) in offices {
        store.upsert_office(office, hours, now).await?;
    }
    for (i, l) in LOGINS.iter().enumerate() {
        let hash = app::credentials::password::hash(l.password.into(), cost)
            .await
            .map_err(anyhow::Error::msg)?;
        let (surname, given) = DEMO_NAMES[i];
        let account = NewAccount {
            id: Uuid::now_v7(),
            surname: surname.into(),
            given_name: given.into(),
            patronymic: (l.role == Role::Applicant).then(|| "Сергеевна".into()),
            phone: None,
            email: Some(l.login.into()),
            password_hash: hash,
            status: AccountStatus::Active,
            level: AssuranceLevel::Simplified,
            role: l.role,
            office_id: if l.role.needs_office() {
                first_office
            } else {
                None
            },
            lang: "ru".into(),
        };
        match store.create_account(account, None, now).await {
            Ok(()) | Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    seed_schedules(store, now).await
}

/// Reception schedules of the demo offices (kept if already set): weekdays
/// 9:00–13:00 and 14:00–18:00 with three windows, Moscow also on Saturday
/// morning with one; visits of 15 minutes, booked up to 30 days ahead.
async fn seed_schedules(store: &Arc<dyn Store>, now: i64) -> anyhow::Result<()> {
    use domain::schedule::{Schedule, Span};
    let Some(admin) = store
        .find_auth(&store::LoginLookup::Email(LOGINS[4].login.to_owned()))
        .await?
    else {
        return Ok(());
    };
    let by = store::StaffActor {
        id: admin.id,
        role: Role::Administrator,
        office_id: None,
    };
    let day = vec![
        Span {
            from: 540,
            to: 780,
            windows: 3,
        },
        Span {
            from: 840,
            to: 1080,
            windows: 3,
        },
    ];
    for (i, (office, _)) in offices().into_iter().enumerate() {
        if store.schedule_of(office.id).await?.is_some() {
            continue;
        }
        let saturday = if i == 0 {
            vec![Span {
                from: 600,
                to: 840,
                windows: 1,
            }]
        } else {
            vec![]
        };
        let schedule = Schedule {
            week: [
                day.clone(),
                day.clone(),
                day.clone(),
                day.clone(),
                day.clone(),
                saturday,
                vec![],
            ],
            exceptions: vec![],
            services: Default::default(),
        };
        store
            .save_schedule(
                store::ReceptionSchedule {
                    office_id: office.id,
                    schedule: serde_json::to_string(&schedule)?,
                    slot_minutes: 15,
                    horizon_days: 30,
                    lead_minutes: 120,
                    cutoff_minutes: 24 * 60,
                    max_moves: 2,
                },
                store::Displacement::default(),
                &by,
                now,
            )
            .await?;
    }
    Ok(())
}

/// The applicant is a person of the reference registry's demo population
/// (her identity check passes against it).
const DEMO_NAMES: [(&str, &str); 6] = [
    ("Петрова", "Анна"),
    ("Офицеров", "Олег"),
    ("Начальникова", "Нина"),
    ("Операторов", "Остап"),
    ("Админов", "Антон"),
    ("Аудиторова", "Алла"),
];

/// The demo's registration address in Moscow (region 77, the demo
/// office's), at flat `flat`: one the address register binds.
pub fn moscow_address(flat: &str) -> app::profile::AddressInput {
    app::profile::AddressInput {
        region_code: "77".into(),
        postcode: "119021".into(),
        region: "г. Москва".into(),
        city: "Москва".into(),
        street: "ул. Льва Толстого".into(),
        house: "16".into(),
        flat: flat.into(),
    }
}

/// The demo applicant's story, so every capability can be tried at once:
/// identity verified and confirmed (as at a service centre by the demo
/// operator), one application sent, one sent for another service, one
/// draft half filled. Skipped when she has applications already.
pub async fn seed_story(portal: &app::Portal, now: i64) -> anyhow::Result<()> {
    use domain::account::Verification;
    let store = &portal.store;
    let find = |login: &str| store::LoginLookup::Email(login.to_owned());
    let (Some(applicant), Some(operator)) = (
        store.find_auth(&find(LOGINS[0].login)).await?,
        store.find_auth(&find(LOGINS[3].login)).await?,
    ) else {
        return Ok(());
    };
    if !store
        .list_applications(applicant.id, None, 1)
        .await?
        .is_empty()
    {
        return Ok(());
    }
    let Some(account) = store.get_account(applicant.id).await? else {
        return Ok(());
    };
    let mut actor = app::session::Actor {
        account,
        token_hash: String::new(),
        csrf: String::new(),
    };
    // A story only for an applicant whose identity is hers to seed: none
    // yet, or verified (an older demo database may hold another state).
    let identity = store.get_identity(applicant.id).await?;
    if identity
        .as_ref()
        .is_some_and(|i| i.state != domain::account::VerificationState::Verified)
    {
        return Ok(());
    }
    if identity.is_none() {
        // Petrova of the reference registry's demo population.
        let form = domain::identity::IdentityForm {
            citizenship: "russian".into(),
            surname: "Петрова".into(),
            given_name: "Анна".into(),
            patronymic: "Сергеевна".into(),
            birth_date: "02.07.1990".into(),
            snils: "123-456-789 64".into(),
            passport: "45 12 654321".into(),
            passport_issued_on: "15.08.2020".into(),
            office_code: "770-002".into(),
            ..Default::default()
        };
        let version = app::identity::submit(portal, &actor, form)
            .await
            .map_err(|e| anyhow::anyhow!("demo identity: {}", e.code))?;
        let id = applicant.id;
        let verified = move |_: Verification| {
            app::notice::job(
                id,
                "msg-identity-subject",
                "msg-identity-verified",
                vec![],
                format!("demo-verified:{id}"),
                now,
            )
        };
        // The worker may have checked it first (with the same result).
        match store
            .finish_identity_check(
                applicant.id,
                version,
                Verification::Verified,
                &verified,
                now,
            )
            .await
        {
            Ok(_) | Err(store::StoreError::Stale) => {}
            Err(e) => return Err(e.into()),
        }
        let by = store::StaffActor {
            id: operator.id,
            role: Role::Operator,
            office_id: None,
        };
        store
            .confirm_identity(
                applicant.id,
                version,
                None,
                &by,
                "service_centre",
                app::notice::job(
                    id,
                    "msg-confirmed-subject",
                    "msg-confirmed-body",
                    vec![],
                    format!("demo-confirmed:{id}"),
                    now,
                ),
                now,
            )
            .await?;
    }
    let Some(account) = store.get_account(applicant.id).await? else {
        return Ok(());
    };
    actor.account = account;
    let today = app::today(now);
    // Registered in Moscow, so that her applications reach the demo office.
    app::profile::save_address(portal, &actor, "registration", &moscow_address("12"))
        .await
        .map_err(|e| anyhow::anyhow!("demo address: {}", e.code))?;
    let mut sent = Vec::new();
    for (code, send) in [
        ("address-reference", true),
        ("registration-stay", true),
        ("deregistration", true),
        ("passport-foreign-old", true),
        ("passport-foreign-biometric", false),
    ] {
        let draft = app::applications::create(portal, &actor, code, None)
            .await
            .map_err(|e| anyhow::anyhow!("demo {code}: {}", e.code))?;
        let Some(mut answers) = portal.catalogue.example(code, today) else {
            continue;
        };
        // What the portal knows of her stays as it pre-filled it.
        for (key, known) in draft.answers.as_object().into_iter().flatten() {
            answers[key] = known.clone();
        }
        // The examples' St Petersburg addresses swapped with the Moscow ones:
        // the place that decides the office is in Moscow, where the demo officer works.
        for (here, there) in [
            ("dwelling_address", "residence_address"),
            ("registered_address", "new_address"),
        ] {
            if let (Some(a), Some(b)) = (answers.get(here).cloned(), answers.get(there).cloned()) {
                answers[here] = b;
                answers[there] = a;
            }
        }
        if !send {
            // Half filled: the first section only.
            let first: Vec<&str> = portal
                .catalogue
                .get(code)
                .and_then(|d| d.form.sections.first())
                .map(|s| s.fields.iter().map(|f| f.id.as_str()).collect())
                .unwrap_or_default();
            if let Some(o) = answers.as_object_mut() {
                o.retain(|k, _| first.contains(&k.as_str()));
            }
        }
        if send {
            attach_photos(portal, &actor, draft.id, &mut answers).await?;
        }
        let saved = app::applications::save(portal, &actor, draft.id, draft.version, &answers)
            .await
            .map_err(|e| anyhow::anyhow!("demo {code}: {} {:?}", e.code, e.problems))?;
        if send {
            // A passport is made at the office she chooses: the Moscow one.
            let office = portal
                .catalogue
                .get(code)
                .is_some_and(|d| d.any_office)
                .then(|| "770-001".to_owned());
            let done = app::applications::submit_at(
                portal,
                &actor,
                draft.id,
                Some(saved.version),
                None,
                office.as_deref(),
            )
            .await
            .map_err(|e| anyhow::anyhow!("demo {code}: {} {:?}", e.code, e.problems))?;
            sent.push((code, done.id, done.version));
        }
    }
    office_story(portal, &sent).await
}

/// The placeholder the examples hold where a file goes.
const FILE_PLACEHOLDER: &str = "0123456789abcdef0123456789abcdef";

/// Uploads a passport-sized photo (413 × 531 px) for each file the
/// example's answers leave as a placeholder.
async fn attach_photos(
    portal: &app::Portal,
    actor: &app::session::Actor,
    id: Uuid,
    answers: &mut serde_json::Value,
) -> anyhow::Result<()> {
    let keys: Vec<String> = answers
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, v)| v.as_str() == Some(FILE_PLACEHOLDER))
        .map(|(k, _)| k.clone())
        .collect();
    if keys.is_empty() {
        return Ok(());
    }
    let img = image::RgbImage::from_fn(413, 531, |x, y| {
        let shade = u8::try_from((x + y) % 64).unwrap_or(0);
        image::Rgb([200 + shade / 2, 210 + shade / 3, 220])
    });
    let mut png = std::io::Cursor::new(Vec::new());
    img.write_to(&mut png, image::ImageFormat::Png)?;
    let png = png.into_inner();
    for key in keys {
        let file = app::attachments::upload(portal, actor, id, &format!("/{key}"), &png, None)
            .await
            .map_err(|e| anyhow::anyhow!("demo photo {key}: {}", e.code))?;
        answers[&key] = serde_json::json!(file.id);
    }
    Ok(())
}

/// The demo officer's share: one application returned with a comment, one
/// accepted, one accepted and given a visit time by the office, one left
/// new, so that every queue, the officer's day and both sides have something.
async fn office_story(portal: &app::Portal, sent: &[(&str, Uuid, i64)]) -> anyhow::Result<()> {
    use app::cases::OfficeStep;
    let store = &portal.store;
    let Some(officer) = store
        .find_auth(&store::LoginLookup::Email(LOGINS[1].login.to_owned()))
        .await?
    else {
        return Ok(());
    };
    let Some(account) = store.get_account(officer.id).await? else {
        return Ok(());
    };
    let staff = app::staff::Staff(app::session::Actor {
        account,
        token_hash: String::new(),
        csrf: String::new(),
    });
    for (code, id, version) in sent {
        let step = match *code {
            "registration-stay" => OfficeStep::Return(vec![domain::lifecycle::Comment {
                field: "/stay_to".into(),
                wrong: "Срок пребывания дольше срока, на который заключён договор найма.".into(),
                fix:
                    "Укажите дату не позднее окончания договора найма или приложите новый договор."
                        .into(),
            }]),
            "deregistration" | "passport-foreign-old" => OfficeStep::Accept,
            _ => continue,
        };
        let case = app::cases::act(portal, &staff, *id, *version, step)
            .await
            .map_err(|e| anyhow::anyhow!("demo office step on {code}: {}", e.code))?;
        // She paid the fee at a bank; the office records it from the
        // statement, then sets her visit at its first free time.
        if *code == "passport-foreign-old" {
            for charge in store.charges_of(*id).await? {
                if charge.status == store::ChargeStatus::Due {
                    app::payments::record_bank_payment(
                        portal,
                        &staff,
                        &charge.uin,
                        charge.kopecks,
                        "ПАО Сбербанк, п/п 104",
                    )
                    .await
                    .map_err(|e| anyhow::anyhow!("demo payment: {}", e.code))?;
                }
            }
        }
        if *code == "passport-foreign-old"
            && let Some(office) = case.office_id
        {
            let today = app::today(portal.now());
            let first = app::visits::availability(
                portal,
                office,
                Some(code),
                today,
                today + time::Duration::days(14),
            )
            .await
            .map_err(|e| anyhow::anyhow!("demo visit times: {}", e.code))?
            .into_iter()
            .next();
            if let Some(slot) = first {
                app::visits::set_time(portal, &staff, *id, slot.start_ms)
                    .await
                    .map_err(|e| anyhow::anyhow!("demo visit: {}", e.code))?;
            }
        }
    }
    Ok(())
}
