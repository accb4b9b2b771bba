//! An office's reception schedule in the browser, for its head or an
//! administrator: a day's hours as people write them (`09:00-13:00 x3,
//! 14:00-18:00 x2`), days that differ as lines (`31.12.2026: -`), the slot
//! length and the booking rules. Saving says how many booked people the new
//! hours displaced (they were asked to choose another time).

use super::staff::staff_of;
use super::{Chrome, Ctx, ErrorItem, see_other};
use crate::error::{AppError, HttpStatus};
use crate::state::AppState;
use app::visits::ScheduleInput;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::schedule::{BookingRules, Exception, Schedule, parse_spans, spans_text};
use std::collections::HashMap;
use uuid::Uuid;

/// The most lines of exceptions one form takes.
const MAX_EXCEPTIONS: usize = 400;
/// Where each field's error links to.
const ANCHORS: [(&str, &str); 15] = [
    ("day_1", "#day_1"),
    ("day_2", "#day_2"),
    ("day_3", "#day_3"),
    ("day_4", "#day_4"),
    ("day_5", "#day_5"),
    ("day_6", "#day_6"),
    ("day_7", "#day_7"),
    ("exceptions", "#exceptions"),
    ("slot_minutes", "#slot_minutes"),
    ("horizon_days", "#horizon_days"),
    ("lead_minutes", "#lead_minutes"),
    ("cutoff_minutes", "#cutoff_minutes"),
    ("max_moves", "#max_moves"),
    // What the use case checks of the whole: the week's first field, the rules'.
    ("schedule", "#day_1"),
    ("rules", "#horizon_days"),
];
/// The form's fields of the week, Monday first.
const DAYS: [&str; 7] = [
    "day_1", "day_2", "day_3", "day_4", "day_5", "day_6", "day_7",
];

#[derive(Template)]
#[template(path = "schedule.html")]
struct SchedulePage {
    chrome: Chrome,
    errors: Vec<ErrorItem>,
    notice: Option<String>,
    office: String,
    /// Other offices an administrator may switch to (id, name, current).
    offices: Vec<(String, String, bool)>,
    /// (field name, weekday label, value)
    days: Vec<(String, String, String)>,
    exceptions: String,
    slot_minutes: String,
    horizon_days: String,
    lead_minutes: String,
    cutoff_minutes: String,
    max_moves: String,
}

fn field(form: &HashMap<String, String>, name: &str) -> String {
    form.get(name).cloned().unwrap_or_default()
}

/// The form as the schedule fills it.
fn form_of(input: Option<&ScheduleInput>) -> HashMap<String, String> {
    let mut f = HashMap::new();
    let Some(s) = input else {
        f.insert("slot_minutes".into(), "15".into());
        f.insert("horizon_days".into(), "30".into());
        f.insert("lead_minutes".into(), "120".into());
        f.insert("cutoff_minutes".into(), "1440".into());
        f.insert("max_moves".into(), "2".into());
        return f;
    };
    for (i, day) in s.schedule.week.iter().enumerate() {
        f.insert(format!("day_{}", i + 1), spans_text(day));
    }
    let lines: Vec<String> = s
        .schedule
        .exceptions
        .iter()
        .map(|e| {
            let hours = if e.spans.is_empty() {
                "-".to_owned()
            } else {
                spans_text(&e.spans)
            };
            format!(
                "{:02}.{:02}.{}: {hours}",
                e.date.day(),
                u8::from(e.date.month()),
                e.date.year()
            )
        })
        .collect();
    f.insert("exceptions".into(), lines.join("\n"));
    f.insert("slot_minutes".into(), s.slot_minutes.to_string());
    f.insert("horizon_days".into(), s.rules.horizon_days.to_string());
    f.insert("lead_minutes".into(), s.rules.lead_minutes.to_string());
    f.insert("cutoff_minutes".into(), s.rules.cutoff_minutes.to_string());
    f.insert("max_moves".into(), s.rules.max_moves.to_string());
    f
}

/// The schedule a posted form describes; the first mistake names its field.
fn read(form: &HashMap<String, String>, services: &Schedule) -> Result<ScheduleInput, AppError> {
    let mut week: [Vec<domain::schedule::Span>; 7] = Default::default();
    for (day, name) in week.iter_mut().zip(DAYS) {
        *day = parse_spans(&field(form, name), 1).map_err(|p| AppError::field(name, p.code()))?;
    }
    let mut exceptions = Vec::new();
    for line in field(form, "exceptions")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(MAX_EXCEPTIONS)
    {
        let bad = || AppError::field("exceptions", "schedule.bad_exception");
        let (date, hours) = line.split_once(':').ok_or_else(bad)?;
        let date = domain::person::parse_date(date.trim()).map_err(|_| bad())?;
        let spans = parse_spans(hours, 1).map_err(|p| AppError::field("exceptions", p.code()))?;
        exceptions.push(Exception { date, spans });
    }
    let number = |name: &'static str, code: &'static str| {
        field(form, name)
            .trim()
            .parse::<u32>()
            .map_err(|_| AppError::field(name, code))
    };
    let slot = number("slot_minutes", "schedule.slot_minutes")?;
    Ok(ScheduleInput {
        schedule: Schedule {
            week,
            exceptions,
            // Visit lengths per service are kept as they were (set over the API).
            services: services.services.clone(),
        },
        slot_minutes: u16::try_from(slot)
            .map_err(|_| AppError::field("slot_minutes", "schedule.slot_minutes"))?,
        rules: BookingRules {
            horizon_days: u16::try_from(number("horizon_days", "schedule.rules")?)
                .map_err(|_| AppError::field("horizon_days", "schedule.rules"))?,
            lead_minutes: number("lead_minutes", "schedule.rules")?,
            cutoff_minutes: number("cutoff_minutes", "schedule.rules")?,
            max_moves: u8::try_from(number("max_moves", "schedule.rules")?)
                .map_err(|_| AppError::field("max_moves", "schedule.rules"))?,
        },
    })
}

/// The office being edited: the head's own; an administrator's chosen one.
async fn office_of(
    state: &AppState,
    staff: &app::staff::Staff,
    asked: Option<&String>,
) -> Result<(store::Office, Vec<store::Office>), AppError> {
    let offices = state.store.list_offices().await?;
    let who = staff.who();
    let id = asked
        .and_then(|a| Uuid::parse_str(a).ok())
        .or(who.office_id)
        .or_else(|| offices.first().map(|o| o.id))
        .ok_or_else(AppError::not_found)?;
    let office = offices
        .iter()
        .find(|o| o.id == id)
        .cloned()
        .ok_or_else(AppError::not_found)?;
    Ok((office, offices))
}

#[allow(clippy::too_many_arguments)]
fn render(
    ctx: &Ctx,
    staff: &app::staff::Staff,
    office: &store::Office,
    offices: Vec<store::Office>,
    form: &HashMap<String, String>,
    status: StatusCode,
    errors: Vec<ErrorItem>,
    notice: Option<String>,
) -> Response {
    let lang = ctx.lang;
    let admin = domain::permission::may(
        staff.who().role,
        domain::permission::Permission::ManageOffices,
    );
    let page = SchedulePage {
        chrome: ctx.chrome(lang.t_args("schedule-title", &[("office", office.name.clone())])),
        errors,
        notice,
        office: format!(
            "{} — {} ({})",
            office.name, office.address, office.time_zone
        ),
        offices: if admin {
            offices
                .iter()
                .map(|o| (o.id.to_string(), o.name.clone(), o.id == office.id))
                .collect()
        } else {
            Vec::new()
        },
        days: (1..=7)
            .map(|i| {
                let name = format!("day_{i}");
                let value = field(form, &name);
                (name, lang.t(&format!("weekday-{i}")), value)
            })
            .collect(),
        exceptions: field(form, "exceptions"),
        slot_minutes: field(form, "slot_minutes"),
        horizon_days: field(form, "horizon_days"),
        lead_minutes: field(form, "lead_minutes"),
        cutoff_minutes: field(form, "cutoff_minutes"),
        max_moves: field(form, "max_moves"),
    };
    ctx.render(status, &page)
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let staff = match staff_of(&ctx) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let (office, offices) = match office_of(&state, &staff, q.get("office")).await {
        Ok(x) => x,
        Err(e) => return super::error_page(ctx.lang, &e),
    };
    let current = match app::visits::current_schedule(&state, &staff, office.id).await {
        Ok(c) => c,
        Err(e) => return super::error_page(ctx.lang, &e),
    };
    let notice = q
        .get("displaced")
        .and_then(|n| n.parse::<usize>().ok())
        .map(|n| {
            ctx.lang
                .t_args("schedule-saved", &[("displaced", n.to_string())])
        });
    let form = form_of(current.as_ref());
    render(
        &ctx,
        &staff,
        &office,
        offices,
        &form,
        StatusCode::OK,
        Vec::new(),
        notice,
    )
}

pub async fn save(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let (staff, form) = match super::staff::staff_posted(&ctx, &body) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let (office, offices) = match office_of(&state, &staff, form.get("office")).await {
        Ok(x) => x,
        Err(e) => return super::error_page(ctx.lang, &e),
    };
    let current = match app::visits::current_schedule(&state, &staff, office.id).await {
        Ok(c) => c,
        Err(e) => return super::error_page(ctx.lang, &e),
    };
    let kept = current.map(|c| c.schedule).unwrap_or(Schedule {
        week: Default::default(),
        exceptions: Vec::new(),
        services: Default::default(),
    });
    let result = match read(&form, &kept) {
        Ok(input) => app::visits::save_schedule(&state, &staff, office.id, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(n) => see_other(&format!(
            "/staff/schedule?office={}&displaced={n}",
            office.id
        )),
        Err(e) if e.status() == StatusCode::FORBIDDEN || e.status() == StatusCode::NOT_FOUND => {
            super::error_page(ctx.lang, &e)
        }
        Err(e) => {
            let errors = ctx.error_items(&e, &ANCHORS);
            let status = e.status();
            render(&ctx, &staff, &office, offices, &form, status, errors, None)
        }
    }
}
