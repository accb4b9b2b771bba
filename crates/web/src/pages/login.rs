use super::{Ctx, Field, FormPage, FormView, Link, Section, parse_form, see_other};
use crate::error::AppError;
use crate::service::accounts;
use crate::session::{self, user_agent};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use std::collections::HashMap;
use store::SessionKind;

fn login_form(ctx: &Ctx) -> FormView {
    let l = ctx.lang;
    FormView {
        action: "/login".into(),
        lead: Some(l.t("login-lead")),
        notice: None,
        submit: l.t("login-submit"),
        sections: vec![Section {
            legend: None,
            fields: vec![
                Field::new(l, "login", "field-login", "text").auto("username"),
                Field::new(l, "password", "field-login-password", "password")
                    .auto("current-password"),
            ],
        }],
        errors: Vec::new(),
        secondary: None,
        links: vec![Link {
            href: "/register".into(),
            text: l.t("login-no-account"),
            primary: false,
        }],
    }
}

pub async fn form(ctx: Ctx, Query(q): Query<HashMap<String, String>>) -> Response {
    let mut form = login_form(&ctx);
    if q.contains_key("confirmed") {
        form.notice = Some(ctx.lang.t("confirm-done"));
    } else if q.contains_key("out") {
        form.notice = Some(ctx.lang.t("logout-done"));
    } else if q.contains_key("everywhere") {
        form.notice = Some(ctx.lang.t("sessions-ended"));
    } else if q.contains_key("reset") {
        form.notice = Some(ctx.lang.t("reset-done"));
    }
    let page = FormPage {
        chrome: ctx.chrome(ctx.lang.t("login-title")),
        form,
    };
    ctx.render(StatusCode::OK, &page)
}

fn redisplay(ctx: &Ctx, values: &HashMap<String, String>, err: &AppError) -> Response {
    let mut form = login_form(ctx);
    form.errors = ctx.error_items(err, &[]);
    form.fill(values);
    let page = FormPage {
        chrome: ctx.chrome(ctx.lang.t("login-title")),
        form,
    };
    let mut res = ctx.render(err.status, &page);
    if let Some(s) = err.retry_after_secs
        && let Ok(v) = HeaderValue::from_str(&s.to_string())
    {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

pub async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let values = parse_form(&body);
    if !ctx.form_token_ok(&values) {
        return redisplay(&ctx, &values, &AppError::new(StatusCode::FORBIDDEN, "csrf"));
    }
    let get = |k: &str| values.get(k).map_or("", String::as_str);
    match accounts::login(
        &state,
        get("login"),
        get("password"),
        SessionKind::Cookie,
        user_agent(&headers),
    )
    .await
    {
        Ok(done) => {
            // Signing in again ends the session this browser had.
            if let Some(old) = &ctx.actor {
                let _ = accounts::logout(&state, old).await;
            }
            // A new token at every login: a session id planted before login is useless.
            let mut res = see_other("/account");
            if let Ok(v) =
                HeaderValue::from_str(&session::session_cookie(&state, Some(&done.token)))
            {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
        Err(err) => redisplay(&ctx, &values, &err),
    }
}

pub async fn logout(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let values = parse_form(&body);
    // A forged cross-site logout changes nothing.
    if !ctx.form_token_ok(&values) {
        return see_other("/");
    }
    if let Some(actor) = &ctx.actor
        && let Err(e) = accounts::logout(&state, actor).await
    {
        return super::error_page(ctx.lang, &e);
    }
    let mut res = see_other("/login?out=1");
    if let Ok(v) = HeaderValue::from_str(&session::session_cookie(&state, None)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}
