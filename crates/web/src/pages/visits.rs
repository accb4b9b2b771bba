//! Visits in the browser, without JavaScript: the person chooses a day from
//! a list, then a time, and books (or moves, or cancels) their visit; the
//! officer's day lists the visits per window with a form for each thing
//! that may be recorded.

use super::applications::posted_by;
use super::office::Tab;
use super::staff::staff_of;
use super::{Chrome, Ctx, ErrorItem, Link, see_other};
use crate::error::{AppError, HttpStatus};
use crate::state::AppState;
use app::i18n::Lang;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use std::collections::{BTreeMap, HashMap};
use time::Date;
use time::format_description::well_known::Iso8601;
use uuid::Uuid;

fn parse_day(s: &str) -> Option<Date> {
    Date::parse(s, &Iso8601::DATE).ok()
}

/// `понедельник, 1 декабря` / `Monday, 1 December`.
pub(super) fn day_text(lang: Lang, d: Date) -> String {
    lang.t_args(
        "visit-day",
        &[
            (
                "weekday",
                lang.t(&format!("weekday-{}", d.weekday().number_from_monday())),
            ),
            ("day", d.day().to_string()),
            ("month", lang.t(&format!("month-{}", u8::from(d.month())))),
        ],
    )
}

/// A day with free times.
pub struct DayChoice {
    pub href: String,
    pub text: String,
}

/// A free time of the chosen day.
pub struct TimeChoice {
    pub start_ms: i64,
    pub time: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "visit.html")]
struct VisitPage {
    chrome: Chrome,
    errors: Vec<ErrorItem>,
    id: Uuid,
    current: Option<app::visits::MyVisit>,
    /// The list of days, or (once a day is chosen) its times.
    days: Vec<DayChoice>,
    day: Option<String>,
    times: Vec<TimeChoice>,
    /// Whether days may be chosen (nothing booked, or a booking that may move).
    choose: bool,
    back: Link,
}

async fn visit_page(
    state: &AppState,
    ctx: &Ctx,
    id: Uuid,
    chosen: Option<Date>,
    status: StatusCode,
    errors: Vec<ErrorItem>,
) -> Response {
    let Some(actor) = &ctx.actor else {
        return see_other("/login");
    };
    let lang = ctx.lang;
    let (office, service) = match app::visits::to_book(state, actor, id).await {
        Ok(Some(o)) => o,
        Ok(None) => {
            return super::error_page(
                lang,
                &AppError::new(crate::error::ErrorKind::Conflict, "visit.not_needed"),
            );
        }
        Err(e) => return super::error_page(lang, &e),
    };
    let current = match app::visits::mine(state, actor, id).await {
        Ok(c) => c,
        Err(e) => return super::error_page(lang, &e),
    };
    let today = app::today(state.now());
    let free = app::visits::availability(
        state,
        office,
        Some(&service),
        today,
        today + time::Duration::days(app::visits::MAX_DAYS),
    )
    .await
    .unwrap_or_default();
    let mut by_day: BTreeMap<String, Vec<&app::visits::FreeSlot>> = BTreeMap::new();
    for s in &free {
        by_day.entry(s.date.clone()).or_default().push(s);
    }
    let day = chosen.map(|d| d.to_string());
    let page = VisitPage {
        chrome: ctx.chrome(match chosen {
            Some(d) => lang.t_args("visit-day-title", &[("day", day_text(lang, d))]),
            None => lang.t("visit-title"),
        }),
        errors,
        id,
        days: by_day
            .iter()
            .filter_map(|(d, slots)| {
                let date = parse_day(d)?;
                Some(DayChoice {
                    href: format!("/applications/{id}/visit?date={d}"),
                    text: lang.t_args(
                        "visit-day-free",
                        &[
                            ("day", day_text(lang, date)),
                            ("count", slots.len().to_string()),
                        ],
                    ),
                })
            })
            .collect(),
        times: day
            .as_ref()
            .and_then(|d| by_day.get(d))
            .map(|slots| {
                slots
                    .iter()
                    .enumerate()
                    .map(|(i, s)| TimeChoice {
                        start_ms: s.start_ms,
                        time: s.time.clone(),
                        checked: i == 0,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        day,
        choose: current.as_ref().is_none_or(|c| c.may_change),
        current,
        back: Link {
            href: format!("/applications/{id}/check"),
            text: lang.t("visit-back-application"),
            primary: false,
        },
    };
    ctx.render(status, &page)
}

pub async fn visit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(raw): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Ok(id) = Uuid::parse_str(&raw) else {
        return super::error_page(ctx.lang, &AppError::not_found());
    };
    let chosen = q.get("date").and_then(|d| parse_day(d));
    visit_page(&state, &ctx, id, chosen, StatusCode::OK, Vec::new()).await
}

pub async fn book(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    let Ok(id) = Uuid::parse_str(&raw) else {
        return super::error_page(ctx.lang, &AppError::not_found());
    };
    let (actor, form) = match posted_by(&ctx, &body) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let chosen = form.get("date").and_then(|d| parse_day(d));
    let start = form
        .get("start_ms")
        .and_then(|s| s.trim().parse::<i64>().ok());
    let result = match start {
        Some(ms) => app::visits::book(&state, actor, id, ms, None)
            .await
            .map(|_| ()),
        None => Err(AppError::field("start_ms", "visit.not_a_slot")),
    };
    match result {
        Ok(()) => see_other(&format!("/applications/{id}/check")),
        Err(e) if e.status() == StatusCode::NOT_FOUND => super::error_page(ctx.lang, &e),
        Err(e) => {
            let errors = ctx.error_items(&e, &[("start_ms", "#times")]);
            let status = e.status();
            visit_page(&state, &ctx, id, chosen, status, errors).await
        }
    }
}

pub async fn cancel(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    let Ok(id) = Uuid::parse_str(&raw) else {
        return super::error_page(ctx.lang, &AppError::not_found());
    };
    let (actor, _) = match posted_by(&ctx, &body) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    match app::visits::cancel(&state, actor, id).await {
        Ok(_) => see_other(&format!("/applications/{id}/check")),
        Err(e) if e.status() == StatusCode::NOT_FOUND => super::error_page(ctx.lang, &e),
        Err(e) => {
            let errors = ctx.error_items(&e, &[]);
            visit_page(&state, &ctx, id, None, e.status(), errors).await
        }
    }
}

/// A visit of the officer's day, as the page shows it.
pub struct DayRow {
    pub v: app::visits::DayVisitView,
    pub state: String,
    pub service: String,
    pub arrive: bool,
    pub no_show: bool,
    pub served: bool,
    /// What the officer chose for this visit, kept when it came back with
    /// an error: refusing, the reason, the note.
    pub refuse: bool,
    pub reason: String,
    pub note: String,
    /// The error at the reason, said again beside it.
    pub reason_error: Option<String>,
}

#[derive(Template)]
#[template(path = "office_day.html")]
struct DayPage {
    chrome: Chrome,
    errors: Vec<ErrorItem>,
    date: String,
    windows: Vec<Tab>,
    prev: String,
    next: String,
    rows: Vec<DayRow>,
    reasons: Vec<(String, String)>,
}

async fn day_page(
    state: &AppState,
    ctx: &Ctx,
    q: &HashMap<String, String>,
    status: StatusCode,
    errors: Vec<ErrorItem>,
    kept: Option<(Uuid, &HashMap<String, String>)>,
) -> Response {
    let staff = match staff_of(ctx) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let lang = ctx.lang;
    let date = q.get("date").and_then(|d| parse_day(d));
    let window = q.get("window").and_then(|w| w.parse::<u16>().ok());
    let day = match app::visits::day(state, &staff, date, window).await {
        Ok(d) => d,
        Err(e) => return super::error_page(lang, &e),
    };
    let Some(shown) = parse_day(&day.date) else {
        return super::error_page(lang, &AppError::internal("a day without a date"));
    };
    let link = |d: Date, w: Option<u16>| match w {
        Some(w) => format!("/staff/visits?date={d}&window={w}"),
        None => format!("/staff/visits?date={d}"),
    };
    let page = DayPage {
        chrome: ctx.chrome(lang.t_args("day-title", &[("day", day_text(lang, shown))])),
        errors: errors.clone(),
        date: day.date.clone(),
        windows: std::iter::once(None)
            .chain((1..=day.windows).map(Some))
            .map(|w| Tab {
                href: link(shown, w),
                text: w.map_or_else(
                    || lang.t("day-window-all"),
                    |n| lang.t_args("day-window", &[("n", n.to_string())]),
                ),
                current: w == window,
            })
            .collect(),
        prev: link(shown.previous_day().unwrap_or(shown), window),
        next: link(shown.next_day().unwrap_or(shown), window),
        rows: day
            .visits
            .into_iter()
            .map(|v| {
                let kept = kept
                    .filter(|(id, _)| *id == v.appointment)
                    .map(|(_, form)| form);
                let posted =
                    |name: &str| kept.and_then(|f| f.get(name)).cloned().unwrap_or_default();
                let at_reason = format!("reason-{}", v.appointment);
                DayRow {
                    reason_error: errors
                        .iter()
                        .find(|e| e.field.as_deref() == Some(at_reason.as_str()))
                        .map(|e| e.message.clone()),
                    refuse: posted("outcome") == "rejected",
                    reason: posted("reason"),
                    note: posted("note"),
                    arrive: v.actions.contains(&"arrive"),
                    no_show: v.actions.contains(&"no-show"),
                    served: v.actions.contains(&"served"),
                    state: lang.t(&format!("visit-state-{}", v.state.as_str())),
                    service: state.catalogue.get(&v.service).map_or_else(
                        || v.service.clone(),
                        |d| super::answers::text(lang, &d.name),
                    ),
                    v,
                }
            })
            .collect(),
        reasons: domain::lifecycle::RefusalReason::ALL
            .iter()
            .map(|r| {
                (
                    r.as_str().to_owned(),
                    lang.t(&format!("reason-{}", r.as_str().replace('_', "-"))),
                )
            })
            .collect(),
    };
    ctx.render(status, &page)
}

pub async fn day(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    day_page(&state, &ctx, &q, StatusCode::OK, Vec::new(), None).await
}

/// Arrival, served, refused or no-show, posted from the day's page.
pub async fn record(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((raw, what)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let (staff, form) = match super::staff::staff_posted(&ctx, &body) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let Ok(id) = Uuid::parse_str(&raw) else {
        return super::error_page(ctx.lang, &AppError::not_found());
    };
    let version = super::staff::posted_version(&form);
    let result = match what.as_str() {
        "arrival" => app::visits::arrive(&state, &staff, id).await,
        "outcome" => {
            match crate::api::visits::outcome(
                form.get("outcome").map_or("", String::as_str),
                form.get("reason")
                    .map(String::as_str)
                    .filter(|r| !r.is_empty()),
            ) {
                Ok(how) => app::visits::close(
                    &state,
                    &staff,
                    id,
                    version,
                    how,
                    form.get("note").map(String::as_str),
                )
                .await
                .map(|_| ()),
                Err(e) => Err(e),
            }
        }
        _ => Err(AppError::not_found()),
    };
    let mut q = HashMap::new();
    let date = form.get("date").and_then(|d| parse_day(d));
    if let Some(d) = date {
        q.insert("date".to_owned(), d.to_string());
    }
    match result {
        Ok(()) => see_other(&match date {
            Some(d) => format!("/staff/visits?date={d}#v-{id}"),
            None => format!("/staff/visits#v-{id}"),
        }),
        Err(e) if e.status() == StatusCode::NOT_FOUND => super::error_page(ctx.lang, &e),
        Err(e) => {
            // Each visit has its own controls: the summary links to this one's.
            let mut errors = ctx.error_items(&e, &[]);
            for item in &mut errors {
                item.field = item.field.take().map(|f| match f.as_str() {
                    "reason" | "note" => format!("{f}-{id}"),
                    "outcome" => format!("o-{id}-s"),
                    _ => f,
                });
            }
            day_page(&state, &ctx, &q, e.status(), errors, Some((id, &form))).await
        }
    }
}
