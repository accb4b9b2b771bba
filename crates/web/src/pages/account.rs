use super::{Ctx, Field, FormPage, FormView, Section, parse_form, see_other};
use crate::error::{AppError, ErrorKind, HttpStatus};
use crate::state::AppState;
use app::identity;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::account::{AssuranceLevel, VerificationState};
use domain::identity::IdentityForm;
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: super::Chrome,
    notice: Option<String>,
    name: String,
    contact: String,
    level: String,
    level_help: String,
    identity_state: &'static str,
    identity_text: String,
    failure: Option<String>,
    identity_link: Option<String>,
    confirm_link: Option<String>,
}

pub async fn overview(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(actor) = &ctx.actor else {
        return see_other("/login");
    };
    let view = match identity::view(&state, actor).await {
        Ok(v) => v,
        Err(e) => return super::error_page(ctx.lang, &e),
    };
    let l = ctx.lang;
    let a = &actor.account;
    let level = match a.level {
        AssuranceLevel::Simplified => "simplified",
        AssuranceLevel::Standard => "standard",
        AssuranceLevel::Confirmed => "confirmed",
    };
    let masked = view.masked.clone().unwrap_or_default();
    let confirm_link = (a.level != AssuranceLevel::Confirmed
        && view.state == VerificationState::Verified)
        .then(|| l.t("confirm-level-link"));
    let link = match (a.level, view.state) {
        (AssuranceLevel::Confirmed, _) => None,
        (_, VerificationState::NotSubmitted) => Some("identity-start-link"),
        (_, VerificationState::Failed) => Some("identity-fix-link"),
        (_, VerificationState::Verified | VerificationState::Pending) => {
            Some("identity-change-link")
        }
    };
    let page = AccountPage {
        chrome: ctx.chrome(l.t("account-title")),
        notice: q
            .contains_key("submitted")
            .then(|| l.t("identity-submitted")),
        name: [
            Some(a.surname.as_str()),
            Some(a.given_name.as_str()),
            a.patronymic.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" "),
        contact: a
            .phone
            .clone()
            .or_else(|| a.email.clone())
            .unwrap_or_default(),
        level: l.t(&format!("level-{level}")),
        level_help: l.t(&format!("level-help-{level}")),
        identity_state: view.state.as_str(),
        identity_text: l.t_args(
            &format!("identity-state-{}", view.state.as_str()),
            &[("masked", masked)],
        ),
        failure: view
            .failure_reason
            .map(|r| l.t(&format!("reason-{}", r.public_code()))),
        identity_link: link.map(|k| l.t(k)),
        confirm_link,
    };
    ctx.render(StatusCode::OK, &page)
}

fn identity_view(ctx: &Ctx) -> FormView {
    let l = ctx.lang;
    let text = |name, key| Field::new(l, name, key, "text");
    FormView {
        action: "/account/identity".into(),
        lead: Some(l.t("identity-lead")),
        notice: None,
        submit: l.t("identity-submit"),
        sections: vec![
            Section {
                legend: None,
                fields: vec![
                    Field::new(l, "citizenship", "section-citizenship", "radio")
                        .option("russian", l.t("citizenship-russian"))
                        .option("foreign", l.t("citizenship-foreign")),
                ],
            },
            Section {
                legend: Some(l.t("section-person")),
                fields: vec![
                    text("surname", "field-surname").auto("family-name"),
                    text("given_name", "field-given-name").auto("given-name"),
                    text("patronymic", "field-patronymic").auto("additional-name"),
                    text("birth_date", "field-birth-date")
                        .hint(l, "hint-date")
                        .auto("bday"),
                    text("snils", "field-snils").hint(l, "hint-snils").numeric(),
                    text("inn", "field-inn").hint(l, "hint-inn").numeric(),
                ],
            },
            Section {
                legend: Some(l.t("section-russian")),
                fields: vec![
                    text("passport", "field-passport")
                        .hint(l, "hint-passport")
                        .numeric(),
                    text("passport_issued_on", "field-passport-issued-on").hint(l, "hint-date"),
                    text("office_code", "field-office-code")
                        .hint(l, "hint-office-code")
                        .numeric(),
                ],
            },
            Section {
                legend: Some(l.t("section-foreign")),
                fields: vec![
                    text("foreign_passport", "field-foreign-passport"),
                    text("country", "field-country").hint(l, "hint-country"),
                    text("migration_card", "field-migration-card")
                        .hint(l, "hint-migration-card")
                        .numeric(),
                ],
            },
        ],
        errors: Vec::new(),
        secondary: None,
        links: vec![super::Link {
            href: "/account".into(),
            text: l.t("back-link"),
            primary: false,
        }],
    }
}

fn form_values(f: &IdentityForm) -> HashMap<String, String> {
    [
        ("citizenship", &f.citizenship),
        ("surname", &f.surname),
        ("given_name", &f.given_name),
        ("patronymic", &f.patronymic),
        ("birth_date", &f.birth_date),
        ("snils", &f.snils),
        ("inn", &f.inn),
        ("passport", &f.passport),
        ("passport_issued_on", &f.passport_issued_on),
        ("office_code", &f.office_code),
        ("foreign_passport", &f.foreign_passport),
        ("country", &f.country),
        ("migration_card", &f.migration_card),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.clone()))
    .collect()
}

pub async fn identity_form(State(state): State<AppState>, ctx: Ctx) -> Response {
    let Some(actor) = &ctx.actor else {
        return see_other("/login");
    };
    let current = match identity::current_form(&state, actor).await {
        Ok(f) => f,
        Err(e) => return super::error_page(ctx.lang, &e),
    };
    let mut form = identity_view(&ctx);
    form.fill(&form_values(&current));
    let page = FormPage {
        chrome: ctx.chrome(ctx.lang.t("identity-title")),
        form,
    };
    ctx.render(StatusCode::OK, &page)
}

pub async fn identity_submit(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let Some(actor) = &ctx.actor else {
        return see_other("/login");
    };
    let values = parse_form(&body);
    let get = |k: &str| values.get(k).cloned().unwrap_or_default();
    let form = IdentityForm {
        citizenship: get("citizenship"),
        surname: get("surname"),
        given_name: get("given_name"),
        patronymic: get("patronymic"),
        birth_date: get("birth_date"),
        snils: get("snils"),
        inn: get("inn"),
        passport: get("passport"),
        passport_issued_on: get("passport_issued_on"),
        office_code: get("office_code"),
        foreign_passport: get("foreign_passport"),
        country: get("country"),
        migration_card: get("migration_card"),
    };
    let result = if ctx.form_token_ok(&values) {
        identity::submit(&state, actor, form).await
    } else {
        Err(AppError::new(ErrorKind::Forbidden, "csrf"))
    };
    match result {
        Ok(_) => see_other("/account?submitted=1"),
        Err(err) => {
            let mut view = identity_view(&ctx);
            view.errors = ctx.error_items(&err, &[]);
            view.fill(&values);
            let page = FormPage {
                chrome: ctx.chrome(ctx.lang.t("identity-title")),
                form: view,
            };
            ctx.render(err.status(), &page)
        }
    }
}
