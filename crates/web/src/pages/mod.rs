//! Server-rendered pages: work without JavaScript, Russian by default.
//! Forms are described as data (`FormView`) and drawn by one accessible
//! template with an error summary and per-field messages.

mod account;
mod answers;
mod applications;
mod confirmation;
mod documents;
mod followup;
mod home;
mod login;
mod mailbox;
mod office;
mod payments;
mod profile;
mod register;
mod schedule;
mod security;
mod services;
mod staff;
mod thread;
mod view;
mod visits;

use crate::error::{AppError, HttpStatus};
use crate::security::csrf;
use crate::session;
use crate::state::AppState;
use app::credentials::tokens;
use app::i18n::{Lang, error_key};
use askama::Template;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use std::collections::HashMap;

pub use view::{Chrome, ErrorItem, Field, FormPage, FormView, Link, Secondary, Section};

pub const LANG_COOKIE: &str = "mp_lang";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home::index))
        .route("/register", get(register::form).post(register::submit))
        .route(
            "/register/confirm/{id}",
            get(register::code_form).post(register::code_submit),
        )
        .route("/register/confirm/{id}/resend", post(register::resend))
        .route("/login", get(login::form).post(login::submit))
        .route(
            "/login/second-factor/{id}",
            post(login::second_factor_submit),
        )
        .route(
            "/staff/login",
            get(login::staff_form).post(login::staff_submit),
        )
        .route("/logout", post(login::logout))
        .route("/account", get(account::overview))
        .route(
            "/account/identity",
            get(account::identity_form).post(account::identity_submit),
        )
        .route("/account/security", get(security::overview))
        .route("/account/sessions/end", post(security::end_all))
        .route(
            "/account/second-factor/code",
            post(security::second_factor_code),
        )
        .route(
            "/account/second-factor/totp",
            post(security::second_factor_totp),
        )
        .route(
            "/account/second-factor/totp/confirm",
            post(security::second_factor_totp_confirm),
        )
        .route(
            "/account/second-factor/off",
            post(security::second_factor_off),
        )
        .route(
            "/account/password",
            get(security::password_form).post(security::password_submit),
        )
        .route(
            "/password-reset",
            get(security::reset_form).post(security::reset_submit),
        )
        .route(
            "/password-reset/{id}",
            get(security::reset_code_form).post(security::reset_code_submit),
        )
        .route("/staff", get(staff::home))
        .route("/staff/operator", get(staff::operator))
        .route("/staff/operator/find", post(staff::operator_find))
        .route(
            "/staff/operator/{id}/confirm",
            post(staff::operator_confirm),
        )
        .route("/staff/operator/register", post(staff::operator_register))
        .route("/staff/visits", get(visits::day))
        .route("/staff/schedule", get(schedule::show).post(schedule::save))
        .route("/staff/visits/{id}/{what}", post(visits::record))
        .route(
            "/applications/{id}/visit",
            get(visits::visit).post(visits::book),
        )
        .route("/applications/{id}/visit/cancel", post(visits::cancel))
        .route("/staff/applications", get(office::queue))
        .route("/staff/applications/ready", post(office::ready))
        .route("/staff/applications/{id}", get(office::case))
        .route("/staff/applications/{id}/{step}", post(office::step))
        .route(
            "/staff/applications/{id}/messages",
            post(office::write).layer(axum::extract::DefaultBodyLimit::max(
                crate::api::applications::MAX_UPLOAD_BYTES,
            )),
        )
        .route("/staff/applications/{id}/files/{file}", get(office::file))
        .route(
            "/staff/applications/{id}/messages/files/{file}",
            get(office::message_file),
        )
        .route("/staff/audit", get(staff::audit))
        .route("/staff/admin", get(staff::admin))
        .route("/staff/admin/offices", post(staff::admin_office))
        .route("/staff/admin/staff", post(staff::admin_staff))
        .route("/staff/admin/jobs", get(staff::stuck_jobs))
        .route("/staff/admin/jobs/revive", post(staff::revive_jobs))
        .route("/account/data-access", get(staff::my_access))
        .route("/account/profile", get(profile::overview))
        .route(
            "/account/profile/addresses/{kind}",
            post(profile::save_address),
        )
        .route(
            "/account/profile/notifications",
            post(profile::save_notifications),
        )
        .route("/account/profile/contacts", post(profile::add_contact))
        .route(
            "/account/profile/contacts/{id}",
            post(profile::confirm_contact),
        )
        .route("/account/confirmation", get(confirmation::overview))
        .route(
            "/account/confirmation/letter",
            post(confirmation::order_letter),
        )
        .route(
            "/account/confirmation/letter/code",
            post(confirmation::letter_code),
        )
        .route(
            "/account/confirmation/signature",
            post(confirmation::signature_start),
        )
        .route(
            "/account/confirmation/signature/{id}",
            post(confirmation::signature_submit),
        )
        .route("/services", get(services::catalogue))
        .route("/services/{code}", get(services::service))
        .route("/services/{code}/start", post(services::start))
        .route("/applications", get(applications::list))
        .route("/applications/{id}", get(applications::tasks))
        .route(
            "/applications/{id}/sections/{section}",
            get(applications::section_form)
                .post(applications::section_submit)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::api::applications::MAX_UPLOAD_BYTES,
                )),
        )
        .route("/applications/{id}/files/{file}", get(applications::file))
        .route("/applications/{id}/check", get(applications::check))
        .route("/applications/{id}/submit", post(applications::submit))
        .route("/applications/{id}/delete", post(applications::delete))
        .route("/applications/{id}/cancel", post(followup::cancel))
        .route("/applications/{id}/pay", post(payments::pay))
        .route("/documents", get(documents::list))
        .route("/documents/{id}", get(documents::download))
        .route("/staff/documents/{id}", get(documents::staff_download))
        .route(
            "/applications/{id}/payment/{payment}",
            get(payments::returned),
        )
        .route("/applications/{id}/resubmit", post(followup::resubmit))
        .route(
            "/applications/{id}/messages",
            get(followup::messages).post(followup::write).layer(
                axum::extract::DefaultBodyLimit::max(crate::api::applications::MAX_UPLOAD_BYTES),
            ),
        )
        .route(
            "/applications/{id}/messages/files/{file}",
            get(followup::message_file),
        )
        .route("/inbox", get(followup::inbox))
        .route("/inbox/read", post(followup::read_all))
        .route("/inbox/{id}/read", post(followup::read_one))
        .route("/consents", get(followup::consents))
        .route("/consents/claim", post(followup::claim))
        .route("/consents/{id}/approve", post(followup::approve))
        .route("/consents/{id}/refuse", post(followup::refuse))
        .route("/demo/mailbox", get(mailbox::list))
        .route("/lang/{code}", get(home::switch_lang))
        .route("/static/style.css", get(home::stylesheet))
        .route("/static/enhance.js", get(home::script))
}

/// The language of a request: the `mp_lang` cookie, else `Accept-Language`, else Russian.
pub fn request_lang(headers: &HeaderMap) -> Lang {
    session::cookie(headers, LANG_COOKIE)
        .and_then(Lang::parse)
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or_default()
}

/// What every page needs: language, who is signed in, the CSRF token.
pub struct Ctx {
    pub lang: Lang,
    pub actor: Option<app::session::Actor>,
    pub csrf: String,
    csrf_is_new: bool,
    pub path: String,
    pub demo: bool,
    secure: bool,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let lang = request_lang(&parts.headers);
        let actor = match session::resolve_parts(state, parts).await {
            Ok(a) => a,
            Err(e) => return Err(error_page(lang, &e)),
        };
        let existing = session::cookie(&parts.headers, csrf::COOKIE)
            .filter(|t| t.len() >= 32 && t.len() <= 64)
            .map(str::to_owned);
        let csrf_is_new = existing.is_none();
        Ok(Self {
            lang,
            actor,
            csrf: existing.unwrap_or_else(tokens::new_token),
            csrf_is_new,
            path: parts.uri.path().to_owned(),
            demo: state.config.demo_mode,
            secure: state.config.secure_cookies(),
        })
    }
}

impl Ctx {
    pub fn chrome(&self, title: String) -> Chrome {
        Chrome {
            lang: self.lang,
            title,
            signed_in: self
                .actor
                .as_ref()
                .map(|a| format!("{} {}", a.account.given_name, a.account.surname)),
            staff: self
                .actor
                .as_ref()
                .is_some_and(|a| a.account.role.is_staff()),
            csrf: self.csrf.clone(),
            demo: self.demo,
            path: self.path.clone(),
        }
    }

    /// Renders a template with the page status, setting the CSRF cookie if new.
    pub fn render(&self, status: StatusCode, page: &impl Template) -> Response {
        let mut html = match page.render() {
            Ok(h) => h,
            Err(e) => return error_page(self.lang, &AppError::internal(e)),
        };
        // A page that shows an error summary says so first in its title, so
        // a screen reader hears it before anything else (GOV.UK's pattern).
        if html.contains("class=\"error-summary\"") {
            let prefix = format!("<title>{} ", self.lang.t("title-error-prefix"));
            html = html.replacen("<title>", &prefix, 1);
        }
        let mut res = (status, Html(html)).into_response();
        if self.csrf_is_new {
            let secure = if self.secure { "; Secure" } else { "" };
            let cookie = format!(
                "{}={}; Path=/; HttpOnly; SameSite=Lax{secure}",
                csrf::COOKIE,
                self.csrf
            );
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
        }
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        res
    }

    /// Whether a posted form carries this browser's CSRF token.
    pub fn form_token_ok(&self, form: &HashMap<String, String>) -> bool {
        !self.csrf_is_new
            && form
                .get("csrf")
                .is_some_and(|t| tokens::same(t, &self.csrf))
    }

    /// The message of an error code with the error's arguments.
    pub fn message(&self, code: &str, err: &AppError) -> String {
        self.lang.t_args(&error_key(code), &err.args)
    }

    /// Error items for the summary; `rename` maps service field names to page fields.
    pub fn error_items(&self, err: &AppError, rename: &[(&str, &'static str)]) -> Vec<ErrorItem> {
        if err.fields.is_empty() {
            return vec![ErrorItem {
                field: None,
                message: self.message(err.code, err),
            }];
        }
        err.fields
            .iter()
            .map(|f| {
                let field = rename
                    .iter()
                    .find(|(from, _)| *from == f.field)
                    .map_or(f.field, |(_, to)| to);
                ErrorItem {
                    field: Some(field.to_owned()),
                    message: self.message(f.code, err),
                }
            })
            .collect()
    }
}

/// Parses an urlencoded body leniently: unknown fields are ignored, a broken
/// body becomes an empty form (and then fails validation with clear messages).
pub fn parse_form(body: &[u8]) -> HashMap<String, String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .map(|v| v.into_iter().collect())
        .unwrap_or_default()
}

pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub chrome: Chrome,
    pub paragraphs: Vec<String>,
    pub links: Vec<Link>,
}

/// A plain page for errors that have no form to return to.
pub fn error_page(lang: Lang, err: &AppError) -> Response {
    let (title, lead) = if err.status() == StatusCode::NOT_FOUND {
        (lang.t("page-not-found"), lang.t("page-not-found-lead"))
    } else if err.status().is_server_error() {
        (lang.t("page-error"), lang.t("page-error-lead"))
    } else {
        (lang.t_args(&error_key(err.code), &err.args), String::new())
    };
    let page = MessagePage {
        chrome: Chrome {
            lang,
            title,
            signed_in: None,
            staff: false,
            csrf: String::new(),
            demo: false,
            path: "/".into(),
        },
        paragraphs: vec![lead].into_iter().filter(|p| !p.is_empty()).collect(),
        links: vec![Link {
            href: "/".into(),
            text: lang.t("nav-home"),
            primary: false,
        }],
    };
    let html = page.render().unwrap_or_default();
    (err.status(), Html(html)).into_response()
}

pub async fn not_found(headers: HeaderMap) -> Response {
    error_page(request_lang(&headers), &AppError::not_found())
}
