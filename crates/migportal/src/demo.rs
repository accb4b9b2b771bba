//! Demo data: offices with reception hours and one account per role, so a
//! newcomer can look around at once. Seeding is idempotent.

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
            patronymic: None,
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
        };
        match store.create_account(account, None, now).await {
            Ok(()) | Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

const DEMO_NAMES: [(&str, &str); 6] = [
    ("Заявителева", "Мария"),
    ("Офицеров", "Олег"),
    ("Начальникова", "Нина"),
    ("Операторов", "Остап"),
    ("Админов", "Антон"),
    ("Аудиторова", "Алла"),
];
