//! The person's side after sending, in the browser: cancel, resubmit a
//! corrected application, the thread with the office, the inbox, and the
//! requests for consent addressed to them as a dwelling's owner.

use super::applications::{posted, posted_by, problem_text};
use super::thread::{ThreadItem, items, uploads};
use super::{Chrome, Ctx, ErrorItem, Link, see_other};
use crate::error::{AppError, HttpStatus};
use crate::state::AppState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use std::collections::HashMap;
use uuid::Uuid;

fn id_of(ctx: &Ctx, raw: &str) -> Result<Uuid, Box<Response>> {
    Uuid::parse_str(raw).map_err(|_| Box::new(super::error_page(ctx.lang, &AppError::not_found())))
}

fn version_of(form: &HashMap<String, String>) -> Option<i64> {
    form.get("version").and_then(|v| v.trim().parse().ok())
}

pub async fn cancel(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    let id = match id_of(&ctx, &raw) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let (actor, form) = match posted_by(&ctx, &body) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    match app::applicant_steps::cancel(&state, actor, id, version_of(&form)).await {
        Ok(_) => see_other(&format!("/applications/{id}/check")),
        Err(e) => super::error_page(ctx.lang, &e),
    }
}

pub async fn resubmit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    let id = match id_of(&ctx, &raw) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let (actor, form) = match posted_by(&ctx, &body) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    match app::applicant_steps::resubmit(&state, actor, id, version_of(&form)).await {
        Ok(_) => see_other(&format!("/applications/{id}/check")),
        // The electronic check's problems: on the task list's pages.
        Err(e) if !e.problems.is_empty() => {
            let lang = ctx.lang;
            let page = super::MessagePage {
                chrome: ctx.chrome(lang.t("check-problems")),
                paragraphs: e.problems.iter().map(|p| problem_text(lang, p)).collect(),
                links: vec![Link {
                    href: format!("/applications/{id}"),
                    text: lang.t("check-back-to-tasks"),
                    primary: true,
                }],
            };
            ctx.render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => super::error_page(ctx.lang, &e),
    }
}

#[derive(Template)]
#[template(path = "thread_page.html")]
struct ThreadPage {
    chrome: Chrome,
    errors: Vec<ErrorItem>,
    thread: Vec<ThreadItem>,
    write_to: Option<String>,
    back: String,
}

async fn thread_page(
    state: &AppState,
    ctx: &Ctx,
    id: Uuid,
    status: StatusCode,
    errors: Vec<ErrorItem>,
) -> Response {
    let Some(actor) = &ctx.actor else {
        return see_other("/login");
    };
    let lang = ctx.lang;
    let v = match app::applications::get(state, actor, id).await {
        Ok(v) => v,
        Err(e) => return super::error_page(lang, &e),
    };
    let thread = match app::messages::applicant_thread(state, actor, id).await {
        Ok(t) => t,
        Err(e) => return super::error_page(lang, &e),
    };
    let page = ThreadPage {
        chrome: ctx.chrome(lang.t_args(
            "messages-page-title",
            &[("number", v.number.clone().unwrap_or_default())],
        )),
        errors,
        thread: items(
            lang,
            &thread,
            &format!("/applications/{id}/messages/files"),
            false,
        ),
        write_to: domain::lifecycle::may(v.status, domain::lifecycle::Ability::Write)
            .then(|| format!("/applications/{id}/messages")),
        back: format!("/applications/{id}/check"),
    };
    ctx.render(status, &page)
}

pub async fn messages(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(raw): Path<String>,
) -> Response {
    match id_of(&ctx, &raw) {
        Ok(id) => thread_page(&state, &ctx, id, StatusCode::OK, Vec::new()).await,
        Err(r) => *r,
    }
}

pub async fn write(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(raw): Path<String>,
    req: axum::extract::Request,
) -> Response {
    let id = match id_of(&ctx, &raw) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let Some(actor) = &ctx.actor else {
        return see_other("/login");
    };
    let (form, files) = match posted(&state, req).await {
        Ok(x) => x,
        Err(e) => return super::error_page(ctx.lang, &e),
    };
    if !ctx.form_token_ok(&form) {
        return super::error_page(
            ctx.lang,
            &AppError::new(crate::error::ErrorKind::Forbidden, "csrf"),
        );
    }
    let text = form.get("text").cloned().unwrap_or_default();
    match app::messages::applicant_write(&state, actor, id, &text, uploads(files)).await {
        Ok(_) => see_other(&format!("/applications/{id}/messages")),
        Err(e) if e.status().is_server_error() || e.status() == StatusCode::NOT_FOUND => {
            super::error_page(ctx.lang, &e)
        }
        Err(e) => {
            let lang = ctx.lang;
            let mut errors: Vec<ErrorItem> = e
                .problems
                .iter()
                .map(|p| ErrorItem {
                    field: Some(
                        if p.path.starts_with("/files") {
                            "#file"
                        } else {
                            "#text"
                        }
                        .into(),
                    ),
                    message: problem_text(lang, p),
                })
                .collect();
            if errors.is_empty() {
                errors.push(ErrorItem {
                    field: None,
                    message: ctx.message(e.code, &e),
                });
            }
            thread_page(&state, &ctx, id, e.status(), errors).await
        }
    }
}

pub async fn message_file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((raw, file)): Path<(String, String)>,
) -> Response {
    let id = match id_of(&ctx, &raw) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let Some(actor) = &ctx.actor else {
        return see_other("/login");
    };
    match app::messages::file(&state, app::messages::Reader::Applicant(actor), id, &file).await {
        Ok((meta, bytes)) => {
            crate::api::applications::file_response(&meta.media_type, &meta.file_name, bytes)
        }
        Err(e) => super::error_page(ctx.lang, &e),
    }
}

pub struct NoticeLine {
    pub id: Uuid,
    pub at: String,
    pub title: String,
    pub text: String,
    pub href: Option<String>,
    pub unread: bool,
}

pub struct Filter {
    pub href: String,
    pub text: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    chrome: Chrome,
    todo: Vec<Link>,
    unread: i64,
    filters: Vec<Filter>,
    notices: Vec<NoticeLine>,
    next: Option<String>,
}

pub async fn inbox(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(actor) = &ctx.actor else {
        return see_other("/login");
    };
    let lang = ctx.lang;
    let unread_only = q.get("unread").is_some_and(|v| v == "1");
    let kind = q
        .get("kind")
        .filter(|k| app::inbox::KINDS.contains(&k.as_str()))
        .cloned();
    let before = q.get("before").and_then(|b| Uuid::parse_str(b).ok());
    let view = match app::inbox::inbox(
        &state,
        actor,
        lang,
        app::inbox::Filter {
            unread_only,
            kind: kind.clone(),
            before,
            limit: Some(30),
        },
    )
    .await
    {
        Ok(v) => v,
        Err(e) => return super::error_page(lang, &e),
    };
    let filters = [
        ("/inbox", "inbox-filter-all", !unread_only && kind.is_none()),
        ("/inbox?unread=1", "inbox-filter-unread", unread_only),
        (
            "/inbox?kind=applications",
            "inbox-filter-applications",
            kind.as_deref() == Some("applications"),
        ),
        (
            "/inbox?kind=security",
            "inbox-filter-security",
            kind.as_deref() == Some("security"),
        ),
    ]
    .into_iter()
    .map(|(href, key, current)| Filter {
        href: href.into(),
        text: lang.t(key),
        current,
    })
    .collect();
    let page = InboxPage {
        chrome: ctx.chrome(lang.t("inbox-title")),
        todo: view
            .todo
            .iter()
            .map(|t| Link {
                href: t.link.clone(),
                text: t.title.clone(),
                primary: false,
            })
            .collect(),
        unread: view.unread_total,
        filters,
        notices: view
            .notices
            .iter()
            .map(|n| NoticeLine {
                id: n.id,
                at: lang.moment(n.created_at),
                title: n.title.clone(),
                text: n.text.clone(),
                href: n.link.clone(),
                unread: n.read_at.is_none(),
            })
            .collect(),
        next: view.next.map(|n| {
            let mut href = format!("/inbox?before={n}");
            if unread_only {
                href.push_str("&unread=1");
            }
            if let Some(k) = &kind {
                href.push_str(&format!("&kind={k}"));
            }
            href
        }),
    };
    ctx.render(StatusCode::OK, &page)
}

pub async fn read_one(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    let (actor, _) = match posted_by(&ctx, &body) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let id = Uuid::parse_str(&raw).ok();
    if let Some(id) = id
        && let Err(e) = app::inbox::mark_read(&state, actor, Some(id)).await
    {
        return super::error_page(ctx.lang, &e);
    }
    see_other("/inbox")
}

pub async fn read_all(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let (actor, _) = match posted_by(&ctx, &body) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    match app::inbox::mark_read(&state, actor, None).await {
        Ok(_) => see_other("/inbox"),
        Err(e) => super::error_page(ctx.lang, &e),
    }
}

pub struct RequestLine {
    pub id: Uuid,
    pub who: String,
    pub service: String,
    pub dwelling: String,
    pub status: String,
    pub until: String,
    pub pending: bool,
}

#[derive(Template)]
#[template(path = "consents.html")]
struct ConsentsPage {
    chrome: Chrome,
    errors: Vec<ErrorItem>,
    requests: Vec<RequestLine>,
    code: String,
}

/// An address answer as one line.
fn address_line(v: &serde_json::Value) -> String {
    [
        "postcode",
        "region",
        "district",
        "settlement",
        "street",
        "house",
        "building",
        "flat",
    ]
    .iter()
    .filter_map(|k| v.get(*k).and_then(serde_json::Value::as_str))
    .filter(|s| !s.trim().is_empty())
    .collect::<Vec<_>>()
    .join(", ")
}

async fn consents_page(
    state: &AppState,
    ctx: &Ctx,
    status: StatusCode,
    errors: Vec<ErrorItem>,
    code: String,
) -> Response {
    let Some(actor) = &ctx.actor else {
        return see_other("/login");
    };
    let lang = ctx.lang;
    let requests = match app::consents::addressed_to_me(state, actor).await {
        Ok(r) => r,
        Err(e) => return super::error_page(lang, &e),
    };
    let page = ConsentsPage {
        chrome: ctx.chrome(lang.t("consents-title")),
        errors,
        requests: requests
            .into_iter()
            .map(|r| RequestLine {
                id: r.id,
                who: r.applicant,
                service: app::catalogue::service_name(&r.service_code, lang.code())
                    .unwrap_or(r.service),
                dwelling: r.dwelling.as_ref().map(address_line).unwrap_or_default(),
                status: lang.t(&format!("consent-{}", r.status)),
                until: lang.moment(r.expires_at),
                pending: r.status == "pending",
            })
            .collect(),
        code,
    };
    ctx.render(status, &page)
}

pub async fn consents(State(state): State<AppState>, ctx: Ctx) -> Response {
    consents_page(&state, &ctx, StatusCode::OK, Vec::new(), String::new()).await
}

pub async fn claim(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let (actor, form) = match posted_by(&ctx, &body) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let code = form.get("code").cloned().unwrap_or_default();
    match app::consents::claim(&state, actor, &code).await {
        Ok(_) => see_other("/consents"),
        Err(e) if e.status().is_server_error() => super::error_page(ctx.lang, &e),
        Err(e) => {
            let errors = e
                .fields
                .iter()
                .map(|f| ErrorItem {
                    field: Some("#code".into()),
                    message: ctx.message(f.code, &e),
                })
                .collect();
            consents_page(&state, &ctx, e.status(), errors, code).await
        }
    }
}

async fn answer(state: AppState, ctx: Ctx, raw: &str, body: &[u8], approve: bool) -> Response {
    let (actor, _) = match posted_by(&ctx, body) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let id = match id_of(&ctx, raw) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    match app::consents::answer(&state, actor, id, approve).await {
        Ok(_) => see_other("/consents"),
        Err(e) if e.status() == StatusCode::CONFLICT => {
            let errors = vec![ErrorItem {
                field: None,
                message: ctx.message(e.code, &e),
            }];
            consents_page(&state, &ctx, e.status(), errors, String::new()).await
        }
        Err(e) => super::error_page(ctx.lang, &e),
    }
}

pub async fn approve(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    answer(state, ctx, &raw, &body, true).await
}

pub async fn refuse(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    answer(state, ctx, &raw, &body, false).await
}
