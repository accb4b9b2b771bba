//! An officer's day at the office in a real browser: three people booked at
//! one time take windows 1–3; one arrives and is received, one does not
//! come, one is refused (first without the reason the law needs, then with
//! it). Each result moves the application on, seen through its owner's API.

use super::webdriver::Driver;
use super::{Tab, available, setups, staff_login};
use crate::support::*;
use crate::visit_day::visit_at;
use uuid::Uuid;

/// The CSS selector of the visit section that shows this application number.
pub(super) async fn visit_of(tab: &Tab, number: &str) -> String {
    let xpath = format!("//section[contains(@class,'visit')][.//a[normalize-space(.)='{number}']]");
    let section = tab.s.by_xpath(&xpath).await;
    let id = tab.s.attribute(&section, "id").await.unwrap();
    format!("#{id}")
}

async fn status(app: &TestApp, token: &str, id: Uuid) -> String {
    let v = crate::applications::application(app, token, &id.to_string()).await;
    v["status"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn an_officers_day_in_a_real_browser() {
    let Some(axe) = available() else { return };
    let driver = Driver::start().await;
    for setup in setups() {
        let app = TestApp::spawn_with("sqlite", true).await;
        let (people, _, numbers) = crate::visit_day::booked_together(&app, 3).await;
        // Their time has come: a running server's clock cannot move, the visits can.
        let now = app::system_clock() - 1000;
        for n in &numbers {
            visit_at(&app, n, now).await;
        }

        let mut officer = Tab::open(&driver, &app.url, &axe, setup, "officer").await;
        staff_login(
            &mut officer,
            "officer@demo.migportal.ru",
            "Demo-Officer-2026",
        )
        .await;
        officer.go("/staff/visits").await;
        for n in &numbers {
            officer.see(n).await;
        }
        officer.shot("day").await;
        // One window's list: the second person's only.
        officer.follow("Окно 2").await;
        let window = officer.body_text().await;
        assert!(
            window.contains(&numbers[1]) && !window.contains(&numbers[0]),
            "{window}"
        );
        officer.follow("Все окна").await;

        // The first arrives and is received: the application moves on.
        let first = visit_of(&officer, &numbers[0]).await;
        officer
            .press_at(&format!("{first} form[action$='/arrival'] button"))
            .await;
        officer.see("Пришёл, ждёт приёма").await;
        officer
            .press_at(&format!("{first} form.compact button.primary"))
            .await;
        assert_eq!(status(&app, &people[0].0, people[0].1).await, "visit_done");

        // The second did not come: the application waits for a new booking.
        let second = visit_of(&officer, &numbers[1]).await;
        officer
            .press_at(&format!("{second} form.inline button.plain"))
            .await;
        assert_eq!(status(&app, &people[1].0, people[1].1).await, "accepted");

        // The third is refused: without a reason the page says what is missing.
        let third = visit_of(&officer, &numbers[2]).await;
        let note = format!("note-{}", third.trim_start_matches("#v-"));
        officer.choose("outcome", "rejected").await;
        officer.fill(&note, "Нет оригинала").await;
        officer
            .press_at(&format!("{third} form.compact button.primary"))
            .await;
        officer.see("Укажите причину отказа из перечня").await;
        officer.shot("day-refusal-error").await;
        assert_eq!(status(&app, &people[2].0, people[2].1).await, "invited");
        let third = visit_of(&officer, &numbers[2]).await;
        let kept = officer
            .s
            .find(&format!("{third} input[value=\"rejected\"]"))
            .await;
        assert!(
            officer.s.attribute(&kept, "checked").await.is_some(),
            "the choice to refuse is kept"
        );
        let typed = officer.s.find(&format!("#{note}")).await;
        assert_eq!(
            officer.s.text(&typed).await,
            "Нет оригинала",
            "the note is kept"
        );
        officer.answer("reason", "documents_missing").await;
        officer
            .press_at(&format!("{third} form.compact button.primary"))
            .await;
        assert_eq!(status(&app, &people[2].0, people[2].1).await, "rejected");
        officer.shot("day-done").await;

        officer.close().await;
        app.stop().await;
    }
}
