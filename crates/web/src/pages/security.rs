use super::{Ctx, Field, FormPage, FormView, Link, Section, parse_form, see_other};
use crate::error::{AppError, ErrorKind, HttpStatus};
use crate::session;
use crate::state::AppState;
use app::security;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use std::collections::HashMap;
use uuid::Uuid;

struct SessionItem {
    kind: String,
    current: bool,
    device: String,
    started: String,
    last_seen: String,
}

#[derive(Template)]
#[template(path = "security.html")]
struct SecurityPage {
    chrome: super::Chrome,
    notice: Option<String>,
    sessions: Vec<SessionItem>,
    /// How the second factor works now, in words; `None` when off.
    second_factor: Option<String>,
    staff: bool,
}

pub async fn overview(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(actor) = &ctx.actor else {
        return see_other("/login");
    };
    let list = match security::sessions(&state, actor).await {
        Ok(l) => l,
        Err(e) => return super::error_page(ctx.lang, &e),
    };
    let l = ctx.lang;
    let sessions = list
        .into_iter()
        .map(|s| SessionItem {
            kind: l.t(&format!("session-kind-{}", s.kind)),
            current: s.current,
            device: s.device,
            started: l.moment(s.created_at),
            last_seen: l.moment(s.last_seen_at),
        })
        .collect();
    let method = match app::second_factor::method(&state, actor.account.id).await {
        Ok(m) => m,
        Err(e) => return super::error_page(ctx.lang, &e),
    };
    let notice = if q.contains_key("password") {
        Some(l.t("password-changed"))
    } else if q.contains_key("second_factor_off") {
        Some(l.t("second-factor-turned-off"))
    } else {
        None
    };
    let page = SecurityPage {
        chrome: ctx.chrome(l.t("security-title")),
        notice,
        sessions,
        second_factor: method.map(|m| l.t(&format!("second-factor-is-{}", m.as_str()))),
        staff: actor.account.role.is_staff(),
    };
    ctx.render(StatusCode::OK, &page)
}

pub async fn end_all(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let Some(actor) = &ctx.actor else {
        return see_other("/login");
    };
    if !ctx.form_token_ok(&parse_form(&body)) {
        return super::error_page(ctx.lang, &AppError::new(ErrorKind::Forbidden, "csrf"));
    }
    if let Err(e) = security::end_all(&state, actor).await {
        return super::error_page(ctx.lang, &e);
    }
    let mut res = see_other("/login?everywhere=1");
    if let Ok(v) = HeaderValue::from_str(&session::session_cookie(&state, None)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

fn password_view(ctx: &Ctx) -> FormView {
    let l = ctx.lang;
    FormView {
        action: "/account/password".into(),
        lead: None,
        notice: None,
        submit: l.t("password-submit"),
        sections: vec![Section {
            legend: None,
            fields: vec![
                Field::new(l, "current_password", "field-current-password", "password")
                    .auto("current-password"),
                Field::new(l, "new_password", "field-new-password", "password")
                    .hint(l, "hint-password")
                    .auto("new-password"),
                Field::new(
                    l,
                    "new_password_repeat",
                    "field-new-password-repeat",
                    "password",
                )
                .auto("new-password"),
            ],
        }],
        errors: Vec::new(),
        secondary: None,
        links: vec![Link {
            href: "/account/security".into(),
            text: l.t("back-link"),
            primary: false,
        }],
    }
}

pub async fn password_form(ctx: Ctx) -> Response {
    if ctx.actor.is_none() {
        return see_other("/login");
    }
    let page = FormPage {
        chrome: ctx.chrome(ctx.lang.t("password-heading")),
        form: password_view(&ctx),
    };
    ctx.render(StatusCode::OK, &page)
}

pub async fn password_submit(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let Some(actor) = &ctx.actor else {
        return see_other("/login");
    };
    let values = parse_form(&body);
    let get = |k: &str| values.get(k).map_or("", String::as_str);
    let result = if ctx.form_token_ok(&values) {
        security::change_password(
            &state,
            actor,
            get("current_password"),
            get("new_password"),
            Some(get("new_password_repeat")),
        )
        .await
    } else {
        Err(AppError::new(ErrorKind::Forbidden, "csrf"))
    };
    match result {
        Ok(()) => see_other("/account/security?password=1"),
        Err(err) => {
            let mut form = password_view(&ctx);
            form.errors = ctx.error_items(&err, &[]);
            form.fill(&values);
            let page = FormPage {
                chrome: ctx.chrome(ctx.lang.t("password-heading")),
                form,
            };
            ctx.render(err.status(), &page)
        }
    }
}

fn reset_view(ctx: &Ctx) -> FormView {
    let l = ctx.lang;
    FormView {
        action: "/password-reset".into(),
        lead: Some(l.t("reset-lead")),
        notice: None,
        submit: l.t("reset-submit"),
        sections: vec![Section {
            legend: None,
            fields: vec![Field::new(l, "login", "field-login", "text").auto("username")],
        }],
        errors: Vec::new(),
        secondary: None,
        links: vec![Link {
            href: "/login".into(),
            text: l.t("back-link"),
            primary: false,
        }],
    }
}

pub async fn reset_form(ctx: Ctx) -> Response {
    let page = FormPage {
        chrome: ctx.chrome(ctx.lang.t("reset-title")),
        form: reset_view(&ctx),
    };
    ctx.render(StatusCode::OK, &page)
}

pub async fn reset_submit(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let values = parse_form(&body);
    let result = if ctx.form_token_ok(&values) {
        security::start_reset(
            &state,
            values.get("login").map_or("", String::as_str),
            ctx.lang,
        )
        .await
    } else {
        Err(AppError::new(ErrorKind::Forbidden, "csrf"))
    };
    match result {
        Ok(done) => see_other(&format!("/password-reset/{}", done.challenge_id)),
        Err(err) => {
            let mut form = reset_view(&ctx);
            form.errors = ctx.error_items(&err, &[]);
            form.fill(&values);
            let page = FormPage {
                chrome: ctx.chrome(ctx.lang.t("reset-title")),
                form,
            };
            ctx.render(err.status(), &page)
        }
    }
}

fn reset_code_view(ctx: &Ctx, id: &str) -> FormView {
    let l = ctx.lang;
    FormView {
        action: format!("/password-reset/{id}"),
        lead: Some(l.t("reset-code-lead")),
        notice: None,
        submit: l.t("reset-code-submit"),
        sections: vec![Section {
            legend: None,
            fields: vec![
                Field::new(l, "code", "field-code", "text")
                    .auto("one-time-code")
                    .numeric(),
                Field::new(l, "new_password", "field-new-password", "password")
                    .hint(l, "hint-password")
                    .auto("new-password"),
                Field::new(
                    l,
                    "new_password_repeat",
                    "field-new-password-repeat",
                    "password",
                )
                .auto("new-password"),
            ],
        }],
        errors: Vec::new(),
        secondary: None,
        links: Vec::new(),
    }
}

pub async fn reset_code_form(ctx: Ctx, Path(id): Path<String>) -> Response {
    if Uuid::parse_str(&id).is_err() {
        return super::error_page(ctx.lang, &AppError::not_found());
    }
    let page = FormPage {
        chrome: ctx.chrome(ctx.lang.t("reset-code-title")),
        form: reset_code_view(&ctx, &id),
    };
    ctx.render(StatusCode::OK, &page)
}

pub async fn reset_code_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Ok(challenge) = Uuid::parse_str(&id) else {
        return super::error_page(ctx.lang, &AppError::not_found());
    };
    let values = parse_form(&body);
    let get = |k: &str| values.get(k).map_or("", String::as_str);
    let result = if ctx.form_token_ok(&values) {
        security::complete_reset(
            &state,
            challenge,
            get("code"),
            get("new_password"),
            Some(get("new_password_repeat")),
        )
        .await
    } else {
        Err(AppError::new(ErrorKind::Forbidden, "csrf"))
    };
    match result {
        Ok(()) => see_other("/login?reset=1"),
        Err(err) => {
            let mut form = reset_code_view(&ctx, &id);
            form.errors = ctx.error_items(&err, &[]);
            form.fill(&values);
            let page = FormPage {
                chrome: ctx.chrome(ctx.lang.t("reset-code-title")),
                form,
            };
            ctx.render(err.status(), &page)
        }
    }
}

fn recovery_page(ctx: &Ctx, codes: Vec<String>) -> Response {
    let l = ctx.lang;
    let page = super::MessagePage {
        chrome: ctx.chrome(l.t("recovery-title")),
        paragraphs: std::iter::once(l.t("recovery-lead")).chain(codes).collect(),
        links: vec![Link {
            href: "/account/security".into(),
            text: l.t("recovery-continue"),
            primary: true,
        }],
    };
    ctx.render(StatusCode::OK, &page)
}

pub async fn second_factor_code(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let Some(actor) = &ctx.actor else {
        return see_other("/login");
    };
    if !ctx.form_token_ok(&parse_form(&body)) {
        return super::error_page(ctx.lang, &AppError::new(ErrorKind::Forbidden, "csrf"));
    }
    match app::second_factor::enable_code(&state, &actor.account).await {
        Ok(codes) => recovery_page(&ctx, codes),
        Err(e) => super::error_page(ctx.lang, &e),
    }
}

fn totp_form(
    ctx: &Ctx,
    enrolment: &app::second_factor::Enrolment,
    err: Option<&AppError>,
) -> Response {
    let l = ctx.lang;
    let mut form = FormView {
        action: "/account/second-factor/totp/confirm".into(),
        lead: Some(l.t_args(
            "second-factor-enrol",
            &[
                ("secret", enrolment.secret.clone()),
                ("uri", enrolment.otpauth_uri.clone()),
            ],
        )),
        notice: None,
        submit: l.t("confirm-submit"),
        sections: vec![Section {
            legend: None,
            fields: vec![
                Field::new(l, "code", "field-second-factor", "text")
                    .auto("one-time-code")
                    .numeric(),
            ],
        }],
        errors: Vec::new(),
        secondary: None,
        links: vec![Link {
            href: "/account/security".into(),
            text: l.t("back-link"),
            primary: false,
        }],
    };
    if let Some(e) = err {
        form.errors = ctx.error_items(e, &[]);
        form.fill(&HashMap::new());
    }
    let page = FormPage {
        chrome: ctx.chrome(l.t("second-factor-heading")),
        form,
    };
    ctx.render(err.map_or(StatusCode::OK, |e| e.status()), &page)
}

pub async fn second_factor_totp(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let Some(actor) = &ctx.actor else {
        return see_other("/login");
    };
    if !ctx.form_token_ok(&parse_form(&body)) {
        return super::error_page(ctx.lang, &AppError::new(ErrorKind::Forbidden, "csrf"));
    }
    match app::second_factor::enrol_start(&state, &actor.account).await {
        Ok(e) => totp_form(&ctx, &e, None),
        Err(e) => super::error_page(ctx.lang, &e),
    }
}

pub async fn second_factor_totp_confirm(
    State(state): State<AppState>,
    ctx: Ctx,
    body: Bytes,
) -> Response {
    let Some(actor) = &ctx.actor else {
        return see_other("/login");
    };
    let v = parse_form(&body);
    if !ctx.form_token_ok(&v) {
        return super::error_page(ctx.lang, &AppError::new(ErrorKind::Forbidden, "csrf"));
    }
    let code = v.get("code").map_or("", String::as_str);
    match app::second_factor::finish_enrolment(&state, actor, code).await {
        Ok(codes) => recovery_page(&ctx, codes),
        Err(err) if err.code == "validation_failed" => {
            // Show the same pending secret again with the error.
            match app::second_factor::pending_enrolment_of(&state, actor).await {
                Ok(Some(e)) => totp_form(&ctx, &e, Some(&err)),
                _ => see_other("/account/security"),
            }
        }
        Err(e) => super::error_page(ctx.lang, &e),
    }
}

pub async fn second_factor_off(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let Some(actor) = &ctx.actor else {
        return see_other("/login");
    };
    let v = parse_form(&body);
    if !ctx.form_token_ok(&v) {
        return super::error_page(ctx.lang, &AppError::new(ErrorKind::Forbidden, "csrf"));
    }
    match app::second_factor::disable_with_password(
        &state,
        actor,
        v.get("password").map_or("", String::as_str),
    )
    .await
    {
        Ok(()) => see_other("/account/security?second_factor_off=1"),
        Err(e) => super::error_page(ctx.lang, &e),
    }
}
