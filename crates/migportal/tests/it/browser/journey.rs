//! The applicant's whole journey for the biometric foreign passport, with
//! the operator who confirms the identity and the officer who handles the
//! application, each at their own browser.

use super::webdriver::{Driver, Setup};
use super::{Tab, available, setups, staff_login};
use crate::applications::{answers_for, flatten};
use crate::support::*;
use std::time::{Duration, Instant};

const PHONE: &str = "+79031234567";
const PASSWORD: &str = "Zelenyj-Slon-1985";

#[tokio::test]
async fn the_applicants_journey_in_a_real_browser() {
    let Some(axe) = available() else { return };
    let driver = Driver::start().await;
    for setup in setups() {
        journey(&driver, &axe, setup).await;
    }
}

async fn journey(driver: &Driver, axe: &str, setup: Setup) {
    let app = TestApp::spawn_with("sqlite", true).await;
    app.sim
        .add_person(registries::sim::SimPerson {
            surname: "Соколова".into(),
            given_name: "Мария".into(),
            patronymic: Some("Игоревна".into()),
            birth_date: "1985-03-14".into(),
            snils: Some("98765432183".into()),
            inn: None,
            passport: Some(registries::sim::SimPassport {
                series: "4519".into(),
                number: "765432".into(),
                issued_on: "2015-04-20".into(),
                office_code: "770-001".into(),
                status: registries::sim::DocStatus::Valid,
            }),
            foreign: None,
        })
        .unwrap();
    let mut person = Tab::open(driver, &app.url, axe, setup, "applicant").await;

    // Register, with a mistake first.
    person.go("/").await;
    person.shot("home").await;
    person.menu("Зарегистрироваться").await;
    person.fill("surname", "Соколова").await;
    person.fill("contact", "+7 903 123-45-67").await;
    person.fill("password", PASSWORD).await;
    person.fill("password_repeat", "другой").await;
    person.press("Зарегистрироваться").await;
    person.see("Пароли не совпадают").await;
    person.shot("register-errors").await;
    person.fill("given_name", "Мария").await;
    person.fill("patronymic", "Игоревна").await;
    person.fill("password", PASSWORD).await;
    person.fill("password_repeat", PASSWORD).await;
    person.press("Зарегистрироваться").await;
    let code = app.sms_code(PHONE, 0).await;
    person.fill("code", &code).await;
    person.press("Подтвердить").await;
    person.see("Контакт подтверждён").await;
    person.fill("login", PHONE).await;
    person.fill("password", PASSWORD).await;
    person.press("Войти").await;
    person.see("Соколова Мария Игоревна").await;

    // Identity: the registry checks it.
    person.go("/account/identity").await;
    person.choose("citizenship", "russian").await;
    person.fill("birth_date", "14.03.1985").await;
    person.fill("snils", "987-654-321 83").await;
    person.fill("passport", "4519 765432").await;
    person.fill("passport_issued_on", "20.04.2015").await;
    person.fill("office_code", "770-001").await;
    person.shot("identity").await;
    person.press("Отправить на проверку").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while !person.body_text().await.contains("Стандартная") {
        assert!(
            Instant::now() < deadline,
            "the identity was never verified: {}",
            person.body_text().await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        person.go("/account").await;
    }

    // The operator at a service centre confirms the identity.
    let mut operator = Tab::open(driver, &app.url, axe, setup, "operator").await;
    staff_login(
        &mut operator,
        "operator@demo.migportal.ru",
        "Demo-Operator-2026",
    )
    .await;
    operator.go("/staff/operator").await;
    operator.fill("find-snils", "987-654-321 83").await;
    operator.press("Найти").await;
    operator.see("Соколова Мария Игоревна").await;
    operator.fill("confirm-passport", "4519 765432").await;
    operator.shot("operator-confirm").await;
    operator.press("Подтвердить личность").await;
    operator.see("подтвержд").await;
    operator.close().await;

    person.go("/account").await;
    person.see("Подтверждённая").await;
    person.shot("account").await;

    // Apply: the service page, the task list, every question page, the check.
    let code = "passport-foreign-biometric";
    person.go("/services").await;
    person.go(&format!("/services/{code}")).await;
    person.shot("service").await;
    person.press("Начать").await;
    let tasks = person.path().await;
    let id = tasks.trim_start_matches("/applications/").to_owned();
    person.shot("task-list").await;
    let token = app.login(PHONE, PASSWORD).await;
    let (_, draft) = app
        .with_token(
            reqwest::Method::GET,
            &format!("/applications/{id}"),
            &token,
            None,
        )
        .await;
    let answers = answers_for(code, &draft);
    // Typing alone keeps an answer where scripts run (the draft is saved a
    // moment after typing stops); without them only the page's buttons save.
    let about = format!("/applications/{id}/sections/person");
    person.go(&about).await;
    person.fill("birth_place", "г. Тула").await;
    let deadline = Instant::now() + Duration::from_secs(if setup.scripts { 10 } else { 3 });
    while Instant::now() < deadline && !person.body_text().await.contains("Черновик сохранён")
    {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    person.go(&about).await;
    let kept = person
        .s
        .execute(
            "return document.getElementsByName('birth_place')[0].value;",
            serde_json::json!([]),
        )
        .await;
    assert_eq!(
        kept == "г. Тула",
        setup.scripts,
        "typed, not saved by a button: {kept}"
    );
    let catalogue = app::catalogue::Catalogue::builtin().unwrap();
    let def = catalogue.get(code).unwrap();
    for section in &def.form.sections {
        let path = format!("/applications/{id}/sections/{}", section.id);
        let mut fields = Vec::new();
        for f in &section.fields {
            if let Some(v) = answers.get(&f.id) {
                flatten(&f.id, v, &mut fields);
            }
        }
        person.go(&path).await;
        person.answer_section(&path, &fields).await;
    }
    person.go(&format!("/applications/{id}/check")).await;
    person.shot("check-answers").await;
    person.press("Отправить заявление").await;
    person.see("Отправлено в ведомство").await;
    person.shot("sent").await;

    // The officer returns it with a comment at a field.
    let mut officer = Tab::open(driver, &app.url, axe, setup, "officer").await;
    staff_login(
        &mut officer,
        "officer@demo.migportal.ru",
        "Demo-Officer-2026",
    )
    .await;
    officer.go("/staff/applications?queue=new").await;
    officer.see("Соколова Мария Игоревна").await;
    officer.shot("officer-queue").await;
    let case = format!("/staff/applications/{id}");
    officer.go(&case).await;
    officer.shot("officer-case").await;
    officer.answer("field_0", "/birth_place").await;
    officer.fill("wrong-0", "Не указан район").await;
    officer
        .fill("fix-0", "Допишите район, как в паспорте")
        .await;
    officer.press("Вернуть на доработку").await;
    officer.see("Возвращено на доработку").await;

    // The person reads the comment at its field, fixes it, sends it again.
    person.go(&format!("/applications/{id}")).await;
    person.see("Не указан район").await;
    person.shot("returned").await;
    let section = def
        .form
        .sections
        .iter()
        .find(|s| s.fields.iter().any(|f| f.id == "birth_place"))
        .unwrap();
    person
        .go(&format!("/applications/{id}/sections/{}", section.id))
        .await;
    person.see("Допишите район, как в паспорте").await;
    person
        .fill("birth_place", "гор. Москва, район Хамовники")
        .await;
    person.press_at(".actions button[value=\"save\"]").await;
    person.go(&format!("/applications/{id}/check")).await;
    person.press("Отправить исправленное заявление").await;
    person.see("Отправлено в ведомство").await;

    // The officer accepts it.
    officer.go(&case).await;
    officer.press("Принять").await;
    officer.see("Принято").await;

    // The person pays the fee at the bank's page and comes back.
    person.go(&format!("/applications/{id}/check")).await;
    person.see("Ожидает оплаты").await;
    person.shot("fee-due").await;
    // The pay button leads to the bank's own page (another origin).
    person
        .press_outside(&format!("form[action=\"/applications/{id}/pay\"] button"))
        .await;
    assert!(!person.s.current_url().await.starts_with(&app.url));
    person.press_outside("button[value=\"pay\"]").await;
    person.check().await;
    person.see("Госпошлина оплачена").await;
    person.shot("paid").await;

    // A visit: a day, a time.
    person.go(&format!("/applications/{id}/visit")).await;
    person.shot("visit-days").await;
    // The last day offered: a whole day of times whatever the hour the test
    // runs at (late in the afternoon today may have a single one left).
    person.follow_at("ul.days li:last-child a").await;
    let first = person.s.find("input[name=\"start_ms\"]").await;
    let taken: i64 = person
        .s
        .attribute(&first, "value")
        .await
        .unwrap()
        .parse()
        .unwrap();
    person.s.click(&first).await;
    // Meanwhile others take the chosen time. With scripts the page learns it
    // by itself; without, the booking is refused with the way on.
    take_the_time(&app, taken).await;
    if setup.scripts {
        let deadline = Instant::now() + Duration::from_secs(40);
        while !person.body_text().await.contains("только что заняли") {
            assert!(Instant::now() < deadline, "the taken time is not withdrawn");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let gone = person
            .s
            .find(&format!("input[name=\"start_ms\"][value=\"{taken}\"]"))
            .await;
        assert!(person.s.attribute(&gone, "disabled").await.is_some());
    } else {
        person.press("Записаться").await;
        person.see("Это время только что заняли").await;
    }
    person.shot("visit-taken").await;
    let time = person
        .s
        .find("input[name=\"start_ms\"]:not([disabled])")
        .await;
    person.s.click(&time).await;
    person.shot("visit-times").await;
    person.press("Записаться").await;
    person.see("Приём:").await;
    // The time comes (whatever the hour the test runs at): a running
    // server's clock cannot move, the visit can.
    let number = crate::visit_day::number(&app, &token, &id).await;
    crate::visit_day::visit_at(&app, &number, app::system_clock() - 1000).await;

    // Messages both ways.
    person.go(&format!("/applications/{id}/messages")).await;
    person.fill("text", "Можно ли прийти с ребёнком?").await;
    if setup.scripts {
        // Sent twice in a row (a double click): the second is held back.
        let held = person
            .s
            .execute(
                "var f = document.querySelector('textarea[name=text]').form, held = null;\
                 document.addEventListener('submit', function (e) { held = e.defaultPrevented; });\
                 f.requestSubmit(); f.requestSubmit(); return held;",
                serde_json::json!([]),
            )
            .await;
        assert_eq!(held, true, "the second submission is stopped");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !person
            .body_text()
            .await
            .contains("Можно ли прийти с ребёнком?")
        {
            assert!(
                Instant::now() < deadline,
                "the message page did not come back"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        person.check().await;
    } else {
        person.press("Отправить").await;
    }
    let thread = person.body_text().await;
    assert_eq!(
        thread.matches("Можно ли прийти с ребёнком?").count(),
        1,
        "sent once: {thread}"
    );
    officer.go(&case).await;
    officer.see("Можно ли прийти с ребёнком?").await;
    officer.fill("text", "Да, можно.").await;
    officer.press("Отправить").await;
    person.go(&format!("/applications/{id}/messages")).await;
    person.see("Да, можно.").await;
    person.shot("messages").await;

    // The officer's day: the person arrives, the documents are taken; then
    // production and ready on the case page.
    officer.go("/staff/visits").await;
    officer.see("Соколова Мария Игоревна").await;
    officer.shot("officer-day").await;
    let ours = super::officer_day::visit_of(&officer, &number).await;
    officer
        .press_at(&format!("{ours} form[action$='/arrival'] button"))
        .await;
    officer
        .press_at(&format!("{ours} form.compact button.primary"))
        .await;
    // Recorded on the day page, the visit moves the application on.
    officer.go(&case).await;
    officer.see("Документы приняты").await;
    officer.press("Передать в производство").await;
    officer.press("Готово к выдаче").await;
    officer.see("Готов к выдаче").await;
    officer.close().await;

    // Ready: the person sees it and has the documents.
    person.go(&format!("/applications/{id}/check")).await;
    person.see("Готов к выдаче").await;
    person.menu("Входящие").await;
    person.shot("inbox").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        person.go("/documents").await;
        if person.body_text().await.contains("Квитанция об оплате") {
            break;
        }
        assert!(Instant::now() < deadline, "{}", person.body_text().await);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    person.shot("documents").await;

    person.close().await;
    app.stop().await;
}

/// The public pages in English (the browser asks for it), with a mistake.
#[tokio::test]
async fn the_pages_in_english_in_a_real_browser() {
    let Some(axe) = available() else { return };
    let driver = Driver::start().await;
    for setup in setups() {
        let app = TestApp::spawn_with("sqlite", true).await;
        let mut visitor = Tab::open_in(&driver, &app.url, &axe, setup, "visitor", "en-GB").await;
        visitor.go("/").await;
        visitor.menu("Services").await;
        visitor.go("/services/passport-foreign-biometric").await;
        visitor.see("Foreign passport of the new generation").await;
        visitor.see("6,000.00").await;
        visitor.shot("en-service").await;
        visitor.go("/register").await;
        visitor.fill("surname", "Smith").await;
        visitor.fill("password", PASSWORD).await;
        visitor.press("Create account").await;
        visitor.shot("en-register-errors").await;
        visitor.go("/login").await;
        if !setup.phone {
            // Zoomed to 200 %: the same pages reflow into half the width.
            visitor.s.set_size(640, 900).await;
            visitor.go("/services/passport-foreign-biometric").await;
            visitor.go("/register").await;
            visitor.press("Create account").await;
            visitor.shot("en-register-errors-zoom-200").await;
            visitor.s.set_size(1280, 900).await;
        }
        // Signed in, the profile's language (Russian) comes first, until
        // the switch, which the profile then keeps.
        visitor.go("/login").await;
        visitor.fill("login", "applicant@demo.migportal.ru").await;
        visitor.fill("password", "Demo-Applicant-2026").await;
        visitor.press("Sign in").await;
        let lang = "return document.documentElement.lang;";
        assert_eq!(visitor.s.execute(lang, serde_json::json!([])).await, "ru");
        visitor.menu("English").await;
        assert_eq!(visitor.s.execute(lang, serde_json::json!([])).await, "en");
        for page in [
            "/applications",
            "/inbox",
            "/documents",
            "/account",
            "/account/security",
        ] {
            visitor.go(page).await;
        }
        visitor.shot("en-account").await;
        visitor.go("/applications").await;
        visitor.follow_at("main table a").await;
        visitor.shot("en-application").await;
        visitor.close().await;
        app.stop().await;
    }
}

/// Books every free place of the time starting at `start_ms` at the Moscow
/// office (where the journey's application is) for other people.
async fn take_the_time(app: &TestApp, start_ms: i64) {
    use crate::visits::{MOSCOW, accepted_applicants, free};
    let slot = free(app, MOSCOW, 30)
        .await
        .into_iter()
        .find(|s| s["start_ms"].as_i64() == Some(start_ms))
        .expect("the chosen time is free");
    let places = usize::try_from(slot["free"].as_i64().unwrap()).unwrap();
    let office = uuid::Uuid::parse_str(MOSCOW).unwrap();
    for (token, id) in accepted_applicants(app, office, places).await {
        let (status, _, body) = crate::applications::call(
            app,
            reqwest::Method::PUT,
            &format!("/applications/{id}/appointment"),
            &token,
            &[],
            Some(serde_json::json!({"start_ms": start_ms})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
}
