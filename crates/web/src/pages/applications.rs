//! Applying as pages, without JavaScript: my applications, a task list of
//! the form's sections, one page per section (saved on every "continue"),
//! "check your answers" with change links, and sending. The pages and the
//! API call the same use cases; the form is drawn from the definition.

use super::answers::{self, Draw, Widget, name_of, text};
use super::{Chrome, Ctx, ErrorItem, Link, MessagePage, parse_form, see_other};
use crate::error::{AppError, ErrorKind, HttpStatus};
use crate::state::AppState;
use app::applications::{self, ApplicationView};
use app::i18n::{Lang, error_key};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::application::Status;
use domain::catalogue::ServiceDef;
use domain::form::{Field, FieldKind, Problem, Section};
use serde_json::{Map, Value};
use std::collections::HashMap;
use uuid::Uuid;

pub(super) fn status_text(lang: Lang, s: Status) -> String {
    lang.t(&format!("status-{}", s.as_str().replace('_', "-")))
}

/// A page for a refusal that has no form to return to (who may apply, a
/// level too low): the reasons, each with the service's own words.
pub fn refusal(ctx: &Ctx, e: &AppError) -> Response {
    if e.status().is_server_error() || e.status() == StatusCode::NOT_FOUND {
        return super::error_page(ctx.lang, e);
    }
    let lang = ctx.lang;
    let mut paragraphs: Vec<String> = e.problems.iter().map(|p| problem_text(lang, p)).collect();
    if paragraphs.is_empty() {
        paragraphs.push(lang.t_args(&error_key(e.code), &e.args));
    }
    let page = MessagePage {
        chrome: ctx.chrome(lang.t("application-refused-title")),
        paragraphs,
        links: vec![
            Link {
                href: "/services".into(),
                text: lang.t("nav-services"),
                primary: false,
            },
            Link {
                href: "/account".into(),
                text: lang.t("nav-account"),
                primary: false,
            },
        ],
    };
    ctx.render(e.status(), &page)
}

/// A problem's text on a question page: an unanswered question is named
/// ("Заполните поле «Фамилия»"), as the error summary must say what to do
/// where; other problems say what is wrong with the answer.
fn problem_on_page(lang: Lang, fields: &[&Field], p: &Problem) -> String {
    if p.code == "field.required"
        && let Some((label, asks)) = answers::question_at(lang, fields, &p.path)
    {
        let key = match asks {
            answers::Asks::Fill => "form-required-fill",
            answers::Asks::Choose => "form-required-choose",
            answers::Asks::Confirm => "form-required-confirm",
            answers::Asks::Attach => "form-required-attach",
        };
        return lang.t_args(key, &[("label", label)]);
    }
    problem_text(lang, p)
}

pub(super) fn problem_text(lang: Lang, p: &Problem) -> String {
    let mut m = lang.t(&error_key(p.code));
    if let Some(note) = &p.note {
        m.push(' ');
        m.push_str(&text(lang, note));
    }
    m
}

/// The signed-in person and the posted form, when it carries this
/// browser's CSRF token; else the page to show instead.
pub(super) fn posted_by<'a>(
    ctx: &'a Ctx,
    body: &[u8],
) -> Result<(&'a app::session::Actor, HashMap<String, String>), Box<Response>> {
    let Some(actor) = &ctx.actor else {
        return Err(Box::new(see_other("/login")));
    };
    let form = parse_form(body);
    if !ctx.form_token_ok(&form) {
        return Err(Box::new(super::error_page(
            ctx.lang,
            &AppError::new(ErrorKind::Forbidden, "csrf"),
        )));
    }
    Ok((actor, form))
}

/// The signed-in person and the application, or the page to show instead.
async fn load(
    state: &AppState,
    ctx: &Ctx,
    raw: &str,
) -> Result<(ApplicationView, ServiceDef), Response> {
    let Some(actor) = &ctx.actor else {
        return Err(see_other("/login"));
    };
    let id =
        Uuid::parse_str(raw).map_err(|_| super::error_page(ctx.lang, &AppError::not_found()))?;
    let v = applications::get(state, actor, id)
        .await
        .map_err(|e| super::error_page(ctx.lang, &e))?;
    let def = app::services::get(state, &v.service)
        .map_err(|e| super::error_page(ctx.lang, &e))?
        .clone();
    Ok((v, def))
}

pub struct Line {
    pub href: String,
    pub service: String,
    pub number: String,
    pub status: String,
}

#[derive(Template)]
#[template(path = "applications.html")]
struct ListPage {
    chrome: Chrome,
    lines: Vec<Line>,
    next: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(actor) = &ctx.actor else {
        return see_other("/login");
    };
    let before = q.get("after").and_then(|c| Uuid::parse_str(c).ok());
    let (items, next) = match applications::list(&state, actor, before, 20).await {
        Ok(x) => x,
        Err(e) => return super::error_page(ctx.lang, &e),
    };
    let lang = ctx.lang;
    let lines = items
        .into_iter()
        .map(|a| Line {
            href: format!("/applications/{}", a.id),
            service: app::services::get(&state, &a.service)
                .map_or(a.service.clone(), |s| text(lang, &s.name)),
            number: a.number.unwrap_or_default(),
            status: status_text(lang, a.status),
        })
        .collect();
    let page = ListPage {
        chrome: ctx.chrome(lang.t("applications-title")),
        lines,
        next: next.map(|n| format!("/applications?after={n}")),
    };
    ctx.render(StatusCode::OK, &page)
}

pub struct Task {
    pub href: String,
    pub title: String,
    pub done: bool,
}

#[derive(Template)]
#[template(path = "task_list.html")]
struct TaskPage {
    chrome: Chrome,
    id: Uuid,
    status: String,
    number: Option<String>,
    editable: bool,
    tasks: Vec<Task>,
    ready: bool,
    /// The office's comments of a return, each linking to its field.
    comments: Vec<Link>,
}

fn section_fields(s: &Section) -> Vec<&Field> {
    s.fields.iter().collect()
}

/// Whether a JSON Pointer lies under one of the section's fields.
fn in_section(s: &Section, pointer: &str) -> bool {
    s.fields.iter().any(|f| {
        let at = format!("/{}", f.id);
        pointer == at || pointer.starts_with(&format!("{at}/"))
    })
}

pub async fn tasks(State(state): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> Response {
    let (v, def) = match load(&state, &ctx, &raw).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if !v.status.is_editable() {
        return see_other(&format!("/applications/{}/check", v.id));
    }
    let lang = ctx.lang;
    let tasks = def
        .form
        .sections
        .iter()
        .map(|s| Task {
            href: format!("/applications/{}/sections/{}", v.id, s.id),
            title: text(lang, &s.title),
            done: !v.missing.iter().any(|m| in_section(s, m)),
        })
        .collect();
    let page = TaskPage {
        chrome: ctx.chrome(text(lang, &def.name)),
        id: v.id,
        status: status_text(lang, v.status),
        number: v.number.clone(),
        editable: v.status == Status::Draft,
        ready: v.missing.is_empty(),
        tasks,
        comments: office_notes(&state, &ctx, &v, &def)
            .await
            .into_iter()
            .map(|(_, said, href)| Link {
                href,
                text: said,
                primary: false,
            })
            .collect(),
    };
    ctx.render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "section.html")]
struct SectionPage {
    chrome: Chrome,
    multipart: bool,
    files_base: String,
    action: String,
    back: String,
    version: i64,
    /// The conditional questions drawn ([`answers::revealed_names`]).
    shown: String,
    lead: Option<String>,
    errors: Vec<ErrorItem>,
    widgets: Vec<Widget>,
}

fn section<'a>(def: &'a ServiceDef, sid: &str) -> Option<(usize, &'a Section)> {
    def.form
        .sections
        .iter()
        .enumerate()
        .find(|(_, s)| s.id == sid)
}

/// Uploaded files of the application by id → name.
async fn file_names(state: &AppState, ctx: &Ctx, id: Uuid) -> HashMap<String, String> {
    let Some(actor) = &ctx.actor else {
        return HashMap::new();
    };
    app::attachments::list(state, actor, id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|f| (f.id, f.file_name))
        .collect()
}

/// What a section page shows beyond its answers: a group with one more
/// empty item, the addresses found for an address field.
#[derive(Default, Clone, Copy)]
struct Extra<'a> {
    more: Option<&'a str>,
    /// Problems of other sections: (link, message).
    elsewhere: &'a [(String, String)],
    found: Option<(&'a str, &'a str, &'a [domain::address::Place])>,
    /// The office's comments of a return, by field name: shown at their fields.
    notes: &'a [(String, String)],
}

#[allow(clippy::too_many_arguments)]
fn draw_section(
    ctx: &Ctx,
    files: &HashMap<String, String>,
    status: StatusCode,
    id: Uuid,
    s: &Section,
    version: i64,
    answers: &Map<String, Value>,
    problems: &[Problem],
    extra: Extra<'_>,
    lead: Option<String>,
) -> Response {
    let lang = ctx.lang;
    let fields = section_fields(s);
    let errors: HashMap<String, String> = problems
        .iter()
        .map(|p| (name_of(&p.path), problem_on_page(lang, &fields, p)))
        .collect();
    let mut widgets = Vec::new();
    Draw {
        lang,
        errors: &errors,
        more: extra.more,
        files,
        found: extra.found,
    }
    .fields(&fields, answers, "", &mut widgets);
    for w in &mut widgets {
        if let Some((_, note)) = extra.notes.iter().find(|(name, _)| *name == w.name) {
            w.hint = Some(match &w.hint {
                Some(h) => format!("{note} {h}"),
                None => note.clone(),
            });
        }
    }
    let items = problems
        .iter()
        .map(|p| ErrorItem {
            field: Some(format!("#{}", answers::field_id(&name_of(&p.path)))),
            message: problem_on_page(lang, &fields, p),
        })
        .chain(extra.elsewhere.iter().map(|(href, message)| ErrorItem {
            field: Some(href.clone()).filter(|h| !h.is_empty()),
            message: message.clone(),
        }))
        .collect::<Vec<_>>();
    let title = text(lang, &s.title);
    // With errors the title is prefixed in `Ctx::render`, the heading is not.
    let chrome = ctx.chrome(title);
    let multipart = widgets.iter().any(|w| w.kind == "file");
    let mut shown = Vec::new();
    answers::revealed_names(&fields, answers, "", &mut shown);
    let page = SectionPage {
        shown: shown.join(" "),
        chrome,
        multipart,
        files_base: format!("/applications/{id}/files/"),
        action: format!("/applications/{id}/sections/{}", s.id),
        back: format!("/applications/{id}"),
        version,
        lead,
        errors: items,
        widgets,
    };
    ctx.render(status, &page)
}

pub async fn section_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((raw, sid)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (v, def) = match load(&state, &ctx, &raw).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some((_, s)) = section(&def, &sid) else {
        return super::error_page(ctx.lang, &AppError::not_found());
    };
    if !v.status.is_editable() {
        return see_other(&format!("/applications/{}/check", v.id));
    }
    let empty = Map::new();
    let answers = v.answers.as_object().unwrap_or(&empty);
    let lead = q
        .contains_key("more-questions")
        .then(|| ctx.lang.t("form-more-questions"));
    let files = file_names(&state, &ctx, v.id).await;
    let notes: Vec<(String, String)> = office_notes(&state, &ctx, &v, &def)
        .await
        .into_iter()
        .map(|(name, said, _)| (name, said))
        .collect();
    draw_section(
        &ctx,
        &files,
        StatusCode::OK,
        v.id,
        s,
        v.version,
        answers,
        &[],
        Extra {
            more: q.get("more").map(String::as_str),
            notes: &notes,
            ..Extra::default()
        },
        lead,
    )
}

/// The office's comments of the last return, as (link, text) for the task
/// list and (field name, text) for the fields.
async fn office_notes(
    state: &AppState,
    ctx: &Ctx,
    v: &ApplicationView,
    def: &ServiceDef,
) -> Vec<(String, String, String)> {
    let Some(actor) = &ctx.actor else {
        return Vec::new();
    };
    if v.status != Status::Returned {
        return Vec::new();
    }
    let history = app::applicant_steps::history(state, actor, v.id)
        .await
        .unwrap_or_default();
    let Some(note) = history
        .iter()
        .rev()
        .find(|h| h.to == Status::Returned)
        .and_then(|h| h.note.clone())
    else {
        return Vec::new();
    };
    let lang = ctx.lang;
    note["comments"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .map(|c| {
                    let pointer = c["field"].as_str().unwrap_or_default();
                    let name = name_of(pointer);
                    let label = domain::form::field_at(&def.form, pointer)
                        .map_or_else(|| pointer.to_owned(), |f| text(lang, &f.label));
                    let said = lang.t_args(
                        "returned-comment",
                        &[
                            ("wrong", c["wrong"].as_str().unwrap_or_default().to_owned()),
                            ("fix", c["fix"].as_str().unwrap_or_default().to_owned()),
                        ],
                    );
                    let href = def
                        .form
                        .sections
                        .iter()
                        .find(|s| in_section(s, pointer))
                        .map(|s| {
                            format!(
                                "/applications/{}/sections/{}#{}",
                                v.id,
                                s.id,
                                answers::field_id(&name)
                            )
                        })
                        .unwrap_or_default();
                    (name, format!("{label}: {said}"), href)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A posted page: its fields, and the files it carries (multipart pages).
pub(super) async fn posted(
    state: &AppState,
    req: axum::extract::Request,
) -> Result<(HashMap<String, String>, Vec<(String, String, Vec<u8>)>), AppError> {
    use axum::extract::FromRequest;
    let multipart = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if multipart {
        let mp = axum::extract::Multipart::from_request(req, state)
            .await
            .map_err(|_| AppError::new(ErrorKind::Malformed, "multipart.invalid"))?;
        let parts = crate::api::applications::read_multipart(mp).await?;
        Ok((parts.texts.into_iter().collect(), parts.files))
    } else {
        let limit = state.limits().max_body_bytes;
        let bytes = axum::body::to_bytes(req.into_body(), limit)
            .await
            .map_err(|_| AppError::new(ErrorKind::Malformed, "body.too_large"))?;
        Ok((parse_form(&bytes), Vec::new()))
    }
}

pub async fn section_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((raw, sid)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    req: axum::extract::Request,
) -> Response {
    let (v, def) = match load(&state, &ctx, &raw).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(actor) = &ctx.actor else {
        return see_other("/login");
    };
    let Some((index, s)) = section(&def, &sid) else {
        return super::error_page(ctx.lang, &AppError::not_found());
    };
    let (mut form, uploads) = match posted(&state, req).await {
        Ok(x) => x,
        Err(e) => return super::error_page(ctx.lang, &e),
    };
    if !ctx.form_token_ok(&form) {
        return super::error_page(ctx.lang, &AppError::new(ErrorKind::Forbidden, "csrf"));
    }
    // Files first: each becomes the id its answer holds.
    let mut upload_problems = Vec::new();
    for (name, _, bytes) in &uploads {
        let pointer = format!("/{}", name.replace('.', "/"));
        match app::attachments::upload(&state, actor, v.id, &pointer, bytes, None).await {
            Ok(file) => {
                form.insert(name.clone(), file.id);
            }
            Err(e) if !e.problems.is_empty() => upload_problems.extend(e.problems),
            Err(e) => return refusal(&ctx, &e),
        }
    }
    let files = file_names(&state, &ctx, v.id).await;
    let action = form.get("_action").map(String::as_str).unwrap_or("save");
    let drop = action.strip_prefix("remove:");
    let fields = section_fields(s);
    let posted = answers::read(&fields, &form, "", drop);
    // This section's answers replace its old ones; the others stay as saved.
    let mut merged = v.answers.as_object().cloned().unwrap_or_default();
    for f in &fields {
        merged.remove(&f.id);
    }
    merged.extend(posted.clone());
    let version = form
        .get("version")
        .and_then(|x| x.trim().parse::<i64>().ok())
        .unwrap_or(v.version);
    // A refused file is said at its field; what was typed comes back.
    if !upload_problems.is_empty() {
        return draw_section(
            &ctx,
            &files,
            StatusCode::UNPROCESSABLE_ENTITY,
            v.id,
            s,
            version,
            &merged,
            &upload_problems,
            Extra::default(),
            None,
        );
    }
    // Finding an address in the directory, and choosing one: nothing is
    // saved yet, the page comes back with the choice filled in.
    let find = action
        .strip_prefix("find:")
        .or_else(|| action.strip_prefix("pick:"));
    // A search with nothing typed is taken as "save" (Enter in a field).
    let find = find.filter(|name| {
        form.get(&format!("{name}._find"))
            .is_some_and(|q| !q.trim().is_empty())
    });
    if let Some(name) = find {
        let query = form
            .get(&format!("{name}._find"))
            .cloned()
            .unwrap_or_default();
        let places = match app::addresses::search(&state, &query).await {
            Ok(p) => p,
            Err(e) => {
                let problems = [Problem::at(
                    e.code,
                    format!("/{}/_find", name.replace('.', "/")),
                )];
                return draw_section(
                    &ctx,
                    &files,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    v.id,
                    s,
                    version,
                    &merged,
                    &problems,
                    Extra::default(),
                    None,
                );
            }
        };
        let mut lead = None;
        if action.starts_with("pick:") {
            let chosen = form
                .get(&format!("{name}._pick"))
                .and_then(|i| i.parse::<usize>().ok())
                .and_then(|i| places.get(i));
            if let Some(place) = chosen {
                let mut all = Value::Object(merged.clone());
                fill_address(&mut all, name, place);
                if let Value::Object(m) = all {
                    merged = m;
                }
                lead = Some(ctx.lang.t("form-address-picked"));
            }
            return draw_section(
                &ctx,
                &files,
                StatusCode::OK,
                v.id,
                s,
                version,
                &merged,
                &[],
                Extra::default(),
                lead,
            );
        }
        return draw_section(
            &ctx,
            &files,
            StatusCode::OK,
            v.id,
            s,
            version,
            &merged,
            &[],
            Extra {
                found: Some((name, query.as_str(), &places)),
                ..Extra::default()
            },
            None,
        );
    }
    let saved =
        applications::save(&state, actor, v.id, version, &Value::Object(merged.clone())).await;
    // A save while typing (enhance.js): the draft keeps the answers so far
    // when they are valid; the reply is only the version the page's next
    // save must carry. Anything refused is said by the person's own save.
    if action == "autosave" {
        return match &saved {
            Ok(saved) => (
                StatusCode::NO_CONTENT,
                [("x-draft-version", saved.version.to_string())],
            )
                .into_response(),
            Err(e) if e.code == "application.stale" => StatusCode::CONFLICT.into_response(),
            Err(_) => StatusCode::UNPROCESSABLE_ENTITY.into_response(),
        };
    }
    let saved = match saved {
        Ok(saved) => saved,
        Err(e) if !e.problems.is_empty() => {
            // Answers elsewhere can go stale (a date relative to today):
            // those are listed too, each linked to its own section.
            let elsewhere: Vec<(String, String)> = e
                .problems
                .iter()
                .filter(|p| !in_section(s, &p.path))
                .map(|p| {
                    let target = def.form.sections.iter().find(|x| in_section(x, &p.path));
                    let href = target.map_or_else(String::new, |x| {
                        format!(
                            "/applications/{}/sections/{}#{}",
                            v.id,
                            x.id,
                            answers::field_id(&name_of(&p.path))
                        )
                    });
                    (href, problem_text(ctx.lang, p))
                })
                .collect();
            let problems: Vec<Problem> = e
                .problems
                .into_iter()
                .filter(|p| in_section(s, &p.path))
                .collect();
            return draw_section(
                &ctx,
                &files,
                StatusCode::UNPROCESSABLE_ENTITY,
                v.id,
                s,
                version,
                &merged,
                &problems,
                Extra {
                    elsewhere: &elsewhere,
                    ..Extra::default()
                },
                None,
            );
        }
        Err(e) if e.code == "application.stale" => {
            // Nothing is lost: the page comes back with what was typed, on the current version.
            let lead = Some(ctx.lang.t("err-application-stale"));
            return draw_section(
                &ctx,
                &files,
                StatusCode::CONFLICT,
                v.id,
                s,
                v.version,
                &merged,
                &[],
                Extra::default(),
                lead,
            );
        }
        Err(e) => return refusal(&ctx, &e),
    };
    let here = format!("/applications/{}/sections/{}", v.id, s.id);
    if let Some(group) = action.strip_prefix("add:") {
        return see_other(&format!("{here}?more={group}#{}", answers::field_id(group)));
    }
    if drop.is_some() {
        return see_other(&here);
    }
    if action == "leave" {
        return see_other(&format!("/applications/{}", v.id));
    }
    // Answers that reveal more questions (or leave some unanswered) keep the person here.
    let missing: Vec<Problem> = saved
        .missing
        .iter()
        .filter(|m| in_section(s, m))
        .map(|m| Problem::at("field.required", m.clone()))
        .collect();
    if !missing.is_empty() {
        let empty = Map::new();
        let answers = saved.answers.as_object().unwrap_or(&empty);
        let before = v.answers.as_object().unwrap_or(&empty);
        let fields = section_fields(s);
        let drawn: Option<Vec<&str>> = form
            .get("_shown")
            .map(|names| names.split_whitespace().collect());
        // Questions that were out of sight when the person filled the page
        // are asked, not blamed: once, with a calm line at the top.
        if !q.contains_key("more-questions")
            && missing
                .iter()
                .all(|p| hidden_before(&fields, before, drawn.as_deref(), &p.path))
        {
            return see_other(&format!("{here}?more-questions=1"));
        }
        return draw_section(
            &ctx,
            &files,
            StatusCode::UNPROCESSABLE_ENTITY,
            v.id,
            s,
            saved.version,
            answers,
            &missing,
            Extra::default(),
            None,
        );
    }
    if q.contains_key("from-check") {
        return see_other(&format!("/applications/{}/check", v.id));
    }
    match def.form.sections.get(index + 1) {
        Some(next) => see_other(&format!("/applications/{}/sections/{}", v.id, next.id)),
        None => see_other(&format!("/applications/{}/check", v.id)),
    }
}

/// Whether the question at `pointer` was out of sight on the page the person
/// filled: by the names of the conditional questions that page drew
/// (`drawn`, posted back), else by the `old` answers — hidden by a condition
/// at its own level or at its list item's as that item stood (a new item is
/// empty).
fn hidden_before<'a>(
    fields: &[&'a Field],
    old: &Map<String, Value>,
    drawn: Option<&[&str]>,
    pointer: &str,
) -> bool {
    let mut segments = pointer.trim_start_matches('/').split('/');
    let mut fields: Vec<&'a Field> = fields.to_vec();
    let mut level = old.clone();
    let mut name = String::new();
    while let Some(id) = segments.next() {
        let view = domain::form::shown(&fields, &level);
        let Some(field) = fields.iter().copied().find(|f| f.id == id) else {
            return false;
        };
        if !name.is_empty() {
            name.push('.');
        }
        name.push_str(id);
        if let Some(condition) = &field.show_when {
            let out_of_sight = match drawn {
                Some(drawn) => !drawn.contains(&name.as_str()),
                None => !domain::form::holds(condition, &view),
            };
            if out_of_sight {
                return true;
            }
        }
        let FieldKind::Group { fields: inner, .. } = &field.kind else {
            return false;
        };
        let item = segments.next();
        level = item
            .and_then(|i| i.parse::<usize>().ok())
            .and_then(|i| view.get(id)?.as_array()?.get(i)?.as_object().cloned())
            .unwrap_or_default();
        name.push('.');
        name.push_str(item.unwrap_or_default());
        fields = inner.iter().collect();
    }
    false
}

pub struct Row {
    pub label: String,
    pub value: String,
    pub change: String,
}

pub struct Block {
    pub title: String,
    pub rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "check.html")]
struct CheckPage {
    chrome: Chrome,
    id: Uuid,
    version: i64,
    status: String,
    number: Option<String>,
    late: bool,
    editable: bool,
    errors: Vec<ErrorItem>,
    blocks: Vec<Block>,
    /// A returned application goes back with "resubmit".
    resubmit: bool,
    next_step: Option<String>,
    consent: Option<(String, Option<String>)>,
    messages: Option<Link>,
    /// The booked visit (when and where), and the way to book or change it.
    visit: Option<(Option<String>, Link)>,
    fee: Option<super::payments::FeePanel>,
    can_cancel: bool,
    history: Vec<(String, String, String)>,
    /// Offices to choose from, where the service allows any.
    offices: Vec<(String, String)>,
}

/// What a sent application's page shows beyond its answers.
#[derive(Default)]
pub(super) struct Followup {
    offices: Vec<(String, String)>,
    next_step: Option<String>,
    consent: Option<(String, Option<String>)>,
    messages: Option<Link>,
    visit: Option<(Option<String>, Link)>,
    fee: Option<super::payments::FeePanel>,
    history: Vec<(String, String, String)>,
}

/// The history, the owner's consent, the thread and what to do next.
async fn followup(state: &AppState, ctx: &Ctx, v: &ApplicationView, def: &ServiceDef) -> Followup {
    let Some(actor) = &ctx.actor else {
        return Followup::default();
    };
    if v.status == Status::Draft {
        let offices = if def.any_office {
            app::applications::offices(state)
                .await
                .unwrap_or_default()
                .into_iter()
                .map(|o| (o.code, format!("{} — {}", o.name, o.address)))
                .collect()
        } else {
            Vec::new()
        };
        return Followup {
            offices,
            ..Followup::default()
        };
    }
    let lang = ctx.lang;
    let history = app::applicant_steps::history(state, actor, v.id)
        .await
        .unwrap_or_default();
    let consent = app::consents::of_my_application(state, actor, v.id)
        .await
        .ok()
        .flatten()
        .map(|c| {
            (
                lang.t(&format!("consent-mine-{}", c.status)),
                c.code.clone(),
            )
        });
    let unread = app::messages::unread_of(state, actor, v.id)
        .await
        .unwrap_or(0);
    let messages = Some(Link {
        href: format!("/applications/{}/messages", v.id),
        text: if unread > 0 {
            lang.t_args("messages-unread-link", &[("count", unread.to_string())])
        } else {
            lang.t("messages-link")
        },
        primary: unread > 0,
    });
    let visit = match app::visits::to_book(state, actor, v.id).await {
        Ok(Some(_)) => {
            let booked = app::visits::mine(state, actor, v.id).await.ok().flatten();
            let href = format!("/applications/{}/visit", v.id);
            Some(match booked {
                Some(b) => (
                    Some(lang.t_args(
                        "visit-booked-at",
                        &[("when", b.when), ("address", b.address)],
                    )),
                    Link {
                        href,
                        text: lang.t("visit-link-change"),
                        primary: b.displaced,
                    },
                ),
                None => (
                    None,
                    Link {
                        href,
                        text: lang.t("visit-link-book"),
                        primary: true,
                    },
                ),
            })
        }
        _ => None,
    };
    Followup {
        offices: Vec::new(),
        fee: super::payments::of_application(state, ctx, v.id).await,
        visit,
        next_step: Some(lang.t(&format!("next-{}", v.status.as_str().replace('_', "-")))),
        consent,
        messages,
        history: super::office::history_rows(lang, Some(def), &history),
    }
}

/// The answers by section, as "check your answers" and the case page show them.
pub(super) fn answer_blocks(
    lang: Lang,
    def: &ServiceDef,
    answers: &Map<String, Value>,
    files: &HashMap<String, String>,
    id: Uuid,
) -> Vec<Block> {
    def.form
        .sections
        .iter()
        .map(|s| Block {
            title: text(lang, &s.title),
            rows: s
                .fields
                .iter()
                .filter_map(|f| {
                    answers.get(&f.id).map(|val| Row {
                        label: text(lang, &f.label),
                        value: answers::show(lang, f, val, files),
                        change: format!(
                            "/applications/{id}/sections/{}?from-check=1#{}",
                            s.id,
                            answers::field_id(&f.id)
                        ),
                    })
                })
                .collect(),
        })
        .filter(|b| !b.rows.is_empty())
        .collect()
}

fn check_page(
    ctx: &Ctx,
    more: Followup,
    files: &HashMap<String, String>,
    status: StatusCode,
    v: &ApplicationView,
    def: &ServiceDef,
    problems: &[Problem],
) -> Response {
    let lang = ctx.lang;
    let empty = Map::new();
    let answers = v.answers.as_object().unwrap_or(&empty);
    let editable = v.status.is_editable();
    let blocks = answer_blocks(lang, def, answers, files, v.id);
    // A problem links to its field on its section's page.
    let errors = problems
        .iter()
        .map(|p| {
            let target = def.form.sections.iter().find(|s| in_section(s, &p.path));
            ErrorItem {
                field: target.map(|s| {
                    format!(
                        "/applications/{}/sections/{}#{}",
                        v.id,
                        s.id,
                        answers::field_id(&name_of(&p.path))
                    )
                }),
                message: problem_text(lang, p),
            }
        })
        .collect();
    let title = if v.status == Status::Draft {
        lang.t("check-title")
    } else {
        text(lang, &def.name)
    };
    let page = CheckPage {
        chrome: ctx.chrome(title),
        id: v.id,
        version: v.version,
        status: status_text(lang, v.status),
        number: v.number.clone(),
        late: v.late,
        editable,
        errors,
        blocks,
        resubmit: v.status == Status::Returned,
        next_step: more.next_step,
        consent: more.consent,
        messages: more.messages,
        visit: more.visit,
        fee: more.fee,
        can_cancel: domain::lifecycle::may(v.status, domain::lifecycle::Ability::Cancel),
        history: more.history,
        offices: more.offices,
    };
    ctx.render(status, &page)
}

pub async fn check(State(state): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> Response {
    match load(&state, &ctx, &raw).await {
        Ok((v, def)) => {
            let files = file_names(&state, &ctx, v.id).await;
            let more = followup(&state, &ctx, &v, &def).await;
            check_page(&ctx, more, &files, StatusCode::OK, &v, &def, &[])
        }
        Err(r) => r,
    }
}

pub async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    let (v, def) = match load(&state, &ctx, &raw).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let (actor, form) = match posted_by(&ctx, &body) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    // The version the person checked: a change since (another tab, the
    // API) is not sent unseen.
    let checked = form
        .get("version")
        .and_then(|x| x.trim().parse::<i64>().ok());
    let files = file_names(&state, &ctx, v.id).await;
    let office = form.get("office_code").map(String::as_str);
    match applications::submit_at(
        &state,
        actor,
        v.id,
        checked.or(Some(v.version)),
        None,
        office,
    )
    .await
    {
        Ok(sent) => {
            let more = followup(&state, &ctx, &sent, &def).await;
            check_page(&ctx, more, &files, StatusCode::OK, &sent, &def, &[])
        }
        // A second click: it was sent, show it so.
        Err(e) if e.code == "application.not_draft" && v.status != Status::Draft => {
            let more = followup(&state, &ctx, &v, &def).await;
            check_page(&ctx, more, &files, StatusCode::OK, &v, &def, &[])
        }
        Err(e) if !e.problems.is_empty() => check_page(
            &ctx,
            Followup::default(),
            &files,
            StatusCode::UNPROCESSABLE_ENTITY,
            &v,
            &def,
            &e.problems,
        ),
        Err(e) if e.status().is_server_error() => super::error_page(ctx.lang, &e),
        Err(e) => check_page(
            &ctx,
            Followup::default(),
            &files,
            e.status(),
            &v,
            &def,
            &[Problem::at(e.code, "")],
        ),
    }
}

pub async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    let (v, _) = match load(&state, &ctx, &raw).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let (actor, _) = match posted_by(&ctx, &body) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    match applications::delete(&state, actor, v.id).await {
        Ok(()) => see_other("/applications?deleted=1"),
        Err(e) => refusal(&ctx, &e),
    }
}

/// A file of the person's application, as a download.
pub async fn file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((raw, file)): Path<(String, String)>,
) -> Response {
    let Some(actor) = &ctx.actor else {
        return see_other("/login");
    };
    let Ok(id) = Uuid::parse_str(&raw) else {
        return super::error_page(ctx.lang, &AppError::not_found());
    };
    match app::attachments::download(&state, actor, id, &file).await {
        Ok((meta, bytes)) => {
            crate::api::applications::file_response(&meta.media_type, &meta.file_name, bytes)
        }
        Err(e) => super::error_page(ctx.lang, &e),
    }
}

/// Puts a chosen place into the address answer named `name` (dotted), keeping
/// the house, building and flat already typed.
fn fill_address(answers: &mut Value, name: &str, place: &domain::address::Place) {
    let pointer = format!("/{}", name.replace('.', "/"));
    if answers.pointer(&pointer).is_none() {
        // A top-level address not given yet: start it.
        if let (Value::Object(m), false) = (&mut *answers, name.contains('.')) {
            m.insert(name.to_owned(), Value::Object(Map::new()));
        }
    }
    if let Some(Value::Object(a)) = answers.pointer_mut(&pointer) {
        let mut set = |k: &str, v: &str| {
            a.insert(k.to_owned(), Value::String(v.to_owned()));
        };
        set("region_code", &place.region_code);
        set("region", &place.region);
        set("district", &place.district);
        set("settlement", &place.settlement);
        set("postcode", &place.postcode);
        match &place.street {
            Some(st) => set("street", st),
            None => {
                a.remove("street");
            }
        }
    }
}
