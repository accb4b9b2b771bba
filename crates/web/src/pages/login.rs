use super::{Ctx, Field, FormPage, FormView, Link, Section, parse_form, see_other};
use crate::error::{AppError, ErrorKind, HttpStatus};
use crate::session::{self, user_agent};
use crate::state::AppState;
use app::accounts::{self, Entrance, LoggedIn, LoginOutcome};
use app::second_factor::Enrolment;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use std::collections::HashMap;
use store::SessionKind;
use uuid::Uuid;

fn login_form(ctx: &Ctx, staff: bool) -> FormView {
    let l = ctx.lang;
    let links = if staff {
        Vec::new()
    } else {
        vec![
            Link {
                href: "/password-reset".into(),
                text: l.t("login-forgot"),
                primary: false,
            },
            Link {
                href: "/register".into(),
                text: l.t("login-no-account"),
                primary: false,
            },
        ]
    };
    FormView {
        action: if staff {
            "/staff/login".into()
        } else {
            "/login".into()
        },
        lead: Some(l.t(if staff {
            "staff-login-lead"
        } else {
            "login-lead"
        })),
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
        links,
    }
}

fn title(ctx: &Ctx, staff: bool) -> String {
    ctx.lang.t(if staff {
        "staff-login-title"
    } else {
        "login-title"
    })
}

pub async fn form(ctx: Ctx, Query(q): Query<HashMap<String, String>>) -> Response {
    let mut form = login_form(&ctx, false);
    for (flag, key) in [
        ("confirmed", "confirm-done"),
        ("out", "logout-done"),
        ("everywhere", "sessions-ended"),
        ("reset", "reset-done"),
    ] {
        if q.contains_key(flag) {
            form.notice = Some(ctx.lang.t(key));
        }
    }
    let page = FormPage {
        chrome: ctx.chrome(title(&ctx, false)),
        form,
    };
    ctx.render(StatusCode::OK, &page)
}

pub async fn staff_form(ctx: Ctx) -> Response {
    let page = FormPage {
        chrome: ctx.chrome(title(&ctx, true)),
        form: login_form(&ctx, true),
    };
    ctx.render(StatusCode::OK, &page)
}

fn redisplay(ctx: &Ctx, staff: bool, values: &HashMap<String, String>, err: &AppError) -> Response {
    let mut form = login_form(ctx, staff);
    form.errors = ctx.error_items(err, &[]);
    form.fill(values);
    let page = FormPage {
        chrome: ctx.chrome(title(ctx, staff)),
        form,
    };
    let mut res = ctx.render(err.status(), &page);
    if let Some(s) = err.retry_after_secs
        && let Ok(v) = HeaderValue::from_str(&s.to_string())
    {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

pub async fn submit(state: State<AppState>, ctx: Ctx, headers: HeaderMap, body: Bytes) -> Response {
    login_at(state, ctx, headers, body, false).await
}

pub async fn staff_submit(
    state: State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    login_at(state, ctx, headers, body, true).await
}

/// Starts a session for the browser: the cookie, and the old session ended.
/// The pages then speak the language of the person's profile, whatever this
/// browser had chosen before (the profile comes first, then the switch, then
/// `Accept-Language`).
async fn signed_in(state: &AppState, ctx: &Ctx, done: &LoggedIn, to: &str) -> Response {
    if let Some(old) = &ctx.actor {
        let _ = accounts::logout(state, old).await;
    }
    let mut res = see_other(to);
    if let Ok(v) = HeaderValue::from_str(&session::session_cookie(state, Some(&done.token))) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    match app::profile::language(state, done.account_id).await {
        Ok(Some(lang)) => super::home::remember_lang(&mut res, lang),
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e.code, "the profile's language was not read"),
    }
    res
}

async fn login_at(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    body: Bytes,
    staff: bool,
) -> Response {
    let values = parse_form(&body);
    if !ctx.form_token_ok(&values) {
        return redisplay(
            &ctx,
            staff,
            &values,
            &AppError::new(ErrorKind::Forbidden, "csrf"),
        );
    }
    let get = |k: &str| values.get(k).map_or("", String::as_str);
    let entrance = if staff {
        Entrance::Staff
    } else {
        Entrance::Public
    };
    match accounts::login(
        &state,
        entrance,
        get("login"),
        get("password"),
        SessionKind::Cookie,
        user_agent(&headers),
    )
    .await
    {
        // A new token at every login: a session id planted before login is useless.
        Ok(LoginOutcome::Session(done)) => {
            signed_in(
                &state,
                &ctx,
                &done,
                if staff { "/staff" } else { "/account" },
            )
            .await
        }
        Ok(LoginOutcome::SecondFactor {
            challenge_id,
            destination,
            enrolment,
            ..
        }) => {
            let mut res = second_factor_page(
                &ctx,
                challenge_id,
                enrolment,
                destination,
                None,
                StatusCode::OK,
            );
            // Only this browser may see a pending enrolment again.
            let binding = app::second_factor::enrolment_binding(&state, challenge_id);
            let secure = if state.config.secure_cookies() {
                "; Secure"
            } else {
                ""
            };
            let cookie = format!(
                "{ENROLMENT_COOKIE}={binding}; Path=/login/second-factor; HttpOnly; SameSite=Strict{secure}"
            );
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
        Err(err) => redisplay(&ctx, staff, &values, &err),
    }
}

fn second_factor_page(
    ctx: &Ctx,
    challenge: Uuid,
    enrolment: Option<Enrolment>,
    destination: Option<String>,
    err: Option<&AppError>,
    status: StatusCode,
) -> Response {
    let l = ctx.lang;
    let lead = match (&enrolment, destination) {
        (Some(e), _) => l.t_args(
            "second-factor-enrol",
            &[("secret", e.secret.clone()), ("uri", e.otpauth_uri.clone())],
        ),
        (None, Some(d)) if !d.is_empty() => {
            l.t_args("second-factor-code-sent", &[("destination", d)])
        }
        _ => l.t("second-factor-lead"),
    };
    let mut form = FormView {
        action: format!("/login/second-factor/{challenge}"),
        lead: Some(lead),
        notice: None,
        submit: l.t("login-submit"),
        sections: vec![Section {
            legend: None,
            fields: vec![
                Field::new(l, "code", "field-second-factor", "text")
                    .hint(l, "hint-second-factor")
                    .auto("one-time-code"),
            ],
        }],
        errors: Vec::new(),
        secondary: None,
        links: Vec::new(),
    };
    if let Some(e) = err {
        form.errors = ctx.error_items(e, &[]);
        form.fill(&HashMap::new());
    }
    let page = FormPage {
        chrome: ctx.chrome(l.t("second-factor-title")),
        form,
    };
    ctx.render(status, &page)
}

pub async fn second_factor_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    let Ok(id) = Uuid::parse_str(&raw) else {
        return super::error_page(ctx.lang, &AppError::not_found());
    };
    let values = parse_form(&body);
    let result = if ctx.form_token_ok(&values) {
        accounts::second_factor(
            &state,
            id,
            values.get("code").map_or("", String::as_str),
            SessionKind::Cookie,
            user_agent(&headers),
        )
        .await
    } else {
        Err(AppError::new(ErrorKind::Forbidden, "csrf"))
    };
    match result {
        Ok((done, codes)) => {
            let staff = app::queries::is_staff(&state, done.account_id)
                .await
                .unwrap_or(false);
            let home = if staff { "/staff" } else { "/account" };
            let Some(codes) = codes else {
                return signed_in(&state, &ctx, &done, home).await;
            };
            // Show the recovery codes once, with the session already set.
            let l = ctx.lang;
            let page = super::MessagePage {
                chrome: ctx.chrome(l.t("recovery-title")),
                paragraphs: std::iter::once(l.t("recovery-lead")).chain(codes).collect(),
                links: vec![Link {
                    href: home.into(),
                    text: l.t("recovery-continue"),
                    primary: true,
                }],
            };
            let mut res = ctx.render(StatusCode::OK, &page);
            if let Ok(v) =
                HeaderValue::from_str(&session::session_cookie(&state, Some(&done.token)))
            {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
        Err(err) => {
            // A pending enrolment is shown again so the person can finish it,
            // but only to the browser that typed the password.
            let binding = cookie_value(&headers, ENROLMENT_COOKIE);
            let enrolment = app::second_factor::pending_enrolment(&state, id, binding.as_deref())
                .await
                .ok()
                .flatten();
            let destination = app::queries::login_code_destination(&state, id)
                .await
                .ok()
                .flatten();
            second_factor_page(&ctx, id, enrolment, destination, Some(&err), err.status())
        }
    }
}

const ENROLMENT_COOKIE: &str = "mp_2fa";

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    session::cookie(headers, name).map(str::to_owned)
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
