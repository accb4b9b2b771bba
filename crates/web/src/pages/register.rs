use super::{Ctx, Field, FormPage, FormView, Link, Secondary, Section, parse_form, see_other};
use crate::error::{AppError, ErrorKind, HttpStatus};
use crate::state::AppState;
use app::accounts::{self, RegisterInput};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use std::collections::HashMap;
use uuid::Uuid;

fn register_form(ctx: &Ctx) -> FormView {
    let l = ctx.lang;
    FormView {
        action: "/register".into(),
        lead: Some(l.t("register-lead")),
        notice: None,
        submit: l.t("register-submit"),
        sections: vec![Section {
            legend: None,
            fields: vec![
                Field::new(l, "surname", "field-surname", "text").auto("family-name"),
                Field::new(l, "given_name", "field-given-name", "text").auto("given-name"),
                Field::new(l, "patronymic", "field-patronymic", "text").auto("additional-name"),
                Field::new(l, "contact", "field-contact", "text")
                    .hint(l, "hint-contact")
                    .auto("username"),
                Field::new(l, "password", "field-password", "password")
                    .hint(l, "hint-password")
                    .auto("new-password"),
                Field::new(l, "password_repeat", "field-password-repeat", "password")
                    .auto("new-password"),
            ],
        }],
        errors: Vec::new(),
        secondary: None,
        links: vec![Link {
            href: "/login".into(),
            text: l.t("register-have-account"),
            primary: false,
        }],
    }
}

pub async fn form(ctx: Ctx) -> Response {
    let page = FormPage {
        chrome: ctx.chrome(ctx.lang.t("register-title")),
        form: register_form(&ctx),
    };
    ctx.render(StatusCode::OK, &page)
}

fn redisplay(ctx: &Ctx, values: &HashMap<String, String>, err: &AppError) -> Response {
    let mut form = register_form(ctx);
    form.errors = ctx.error_items(err, &[("phone", "contact"), ("email", "contact")]);
    form.fill(values);
    let page = FormPage {
        chrome: ctx.chrome(ctx.lang.t("register-title")),
        form,
    };
    ctx.render(err.status(), &page)
}

pub async fn submit(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let values = parse_form(&body);
    if !ctx.form_token_ok(&values) {
        return redisplay(&ctx, &values, &AppError::new(ErrorKind::Forbidden, "csrf"));
    }
    let get = |k: &str| values.get(k).cloned().unwrap_or_default();
    let contact = get("contact");
    let is_email = contact.contains('@');
    let input = RegisterInput {
        surname: get("surname"),
        given_name: get("given_name"),
        patronymic: Some(get("patronymic")).filter(|p| !p.trim().is_empty()),
        phone: (!is_email).then(|| contact.clone()),
        email: is_email.then(|| contact.clone()),
        password: get("password"),
        password_repeat: Some(get("password_repeat")),
    };
    match accounts::register(&state, input, ctx.lang).await {
        Ok(done) => see_other(&format!("/register/confirm/{}", done.challenge_id)),
        Err(err) => redisplay(&ctx, &values, &err),
    }
}

fn code_view(ctx: &Ctx, id: Uuid, destination: &str) -> FormView {
    let l = ctx.lang;
    FormView {
        action: format!("/register/confirm/{id}"),
        lead: Some(l.t_args("confirm-lead", &[("destination", destination.to_owned())])),
        notice: None,
        submit: l.t("confirm-submit"),
        sections: vec![Section {
            legend: None,
            fields: vec![
                Field::new(l, "code", "field-code", "text")
                    .auto("one-time-code")
                    .numeric(),
            ],
        }],
        errors: Vec::new(),
        secondary: Some(Secondary {
            action: format!("/register/confirm/{id}/resend"),
            label: l.t("confirm-resend"),
        }),
        links: Vec::new(),
    }
}

async fn show_code_form(
    state: &AppState,
    ctx: &Ctx,
    raw_id: &str,
    err: Option<&AppError>,
    notice: Option<String>,
) -> Response {
    let Ok(id) = Uuid::parse_str(raw_id) else {
        return super::error_page(ctx.lang, &AppError::not_found());
    };
    let destination = match accounts::challenge_destination(state, id).await {
        Ok(d) => d,
        Err(e) => return super::error_page(ctx.lang, &e),
    };
    let mut form = code_view(ctx, id, &destination);
    form.notice = notice;
    let status = match err {
        Some(e) => {
            form.errors = ctx.error_items(e, &[]);
            form.fill(&HashMap::new());
            e.status()
        }
        None => StatusCode::OK,
    };
    let page = FormPage {
        chrome: ctx.chrome(ctx.lang.t("confirm-title")),
        form,
    };
    ctx.render(status, &page)
}

pub async fn code_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Response {
    show_code_form(&state, &ctx, &id, None, None).await
}

pub async fn code_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    let values = parse_form(&body);
    if !ctx.form_token_ok(&values) {
        let err = AppError::new(ErrorKind::Forbidden, "csrf");
        return show_code_form(&state, &ctx, &raw, Some(&err), None).await;
    }
    let Ok(id) = Uuid::parse_str(&raw) else {
        return super::error_page(ctx.lang, &AppError::not_found());
    };
    let code = values.get("code").map_or("", String::as_str);
    match accounts::confirm(&state, id, code).await {
        Ok(()) => see_other("/login?confirmed=1"),
        Err(err) => show_code_form(&state, &ctx, &raw, Some(&err), None).await,
    }
}

pub async fn resend(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    let values = parse_form(&body);
    if !ctx.form_token_ok(&values) {
        let err = AppError::new(ErrorKind::Forbidden, "csrf");
        return show_code_form(&state, &ctx, &raw, Some(&err), None).await;
    }
    let Ok(id) = Uuid::parse_str(&raw) else {
        return super::error_page(ctx.lang, &AppError::not_found());
    };
    match accounts::resend(&state, id, ctx.lang).await {
        Ok(()) => {
            show_code_form(&state, &ctx, &raw, None, Some(ctx.lang.t("confirm-resent"))).await
        }
        Err(err) => show_code_form(&state, &ctx, &raw, Some(&err), None).await,
    }
}
