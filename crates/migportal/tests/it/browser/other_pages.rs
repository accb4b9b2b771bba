//! The pages no journey passes through — a person's profile, confirmation,
//! access log and consents, the demo mailbox, each staff role's own pages —
//! in every set-up, in Russian and in English, with the checks every page
//! passes (axe, title, focus, reflow, weight).

use super::webdriver::Driver;
use super::{Tab, available, setups, staff_login};
use crate::support::*;

const PERSON_PAGES: [&str; 5] = [
    "/account/profile",
    "/account/confirmation",
    "/account/data-access",
    "/consents",
    "/demo/mailbox",
];

/// Each role with the pages only it reaches.
const STAFF: [(&str, &str, &[&str]); 4] = [
    (
        "admin@demo.migportal.ru",
        "Demo-Admin-2026",
        &["/staff", "/staff/admin", "/staff/schedule"],
    ),
    (
        "auditor@demo.migportal.ru",
        "Demo-Auditor-2026",
        &["/staff/audit", "/staff/audit?action=staff."],
    ),
    (
        "operator@demo.migportal.ru",
        "Demo-Operator-2026",
        &["/staff", "/staff/operator"],
    ),
    (
        "head@demo.migportal.ru",
        "Demo-Head-2026",
        &["/staff/schedule", "/staff/applications", "/staff/visits"],
    ),
];

#[tokio::test]
async fn the_other_pages_in_a_real_browser() {
    let Some(axe) = available() else { return };
    let driver = Driver::start().await;
    for setup in setups() {
        let app = TestApp::spawn_with("sqlite", true).await;
        let mut person = Tab::open(&driver, &app.url, &axe, setup, "person").await;
        person.go("/login").await;
        person.fill("login", "applicant@demo.migportal.ru").await;
        person.fill("password", "Demo-Applicant-2026").await;
        person.press("Войти").await;
        for page in PERSON_PAGES {
            person.go(page).await;
        }
        person.shot("profile-data-access").await;
        person.menu("English").await;
        for page in PERSON_PAGES {
            person.go(page).await;
        }
        person.shot("en-data-access").await;
        person.close().await;

        for (login, password, pages) in STAFF {
            let who = login.split('@').next().unwrap_or(login);
            let mut staff = Tab::open(&driver, &app.url, &axe, setup, who).await;
            staff_login(&mut staff, login, password).await;
            for page in pages {
                staff.go(page).await;
            }
            staff.shot(&format!("{who}-pages")).await;
            staff.menu("English").await;
            for page in pages {
                staff.go(page).await;
            }
            staff.shot(&format!("en-{who}-pages")).await;
            staff.close().await;
        }
        app.stop().await;
    }
}
