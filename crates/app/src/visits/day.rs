//! The officer's day (SPEC §5): the visits of a day at the officer's
//! office, per window; recording that the person came, that they did not
//! (the application goes back to `accepted` and they are asked to book
//! again), and how the visit ended (the application moves on). Each end of
//! a visit is one transaction with the application's step.

use crate::Portal;
use crate::error::{AppError, ErrorKind};
use crate::staff::Staff;
use domain::lifecycle::{RefusalReason, Step};
use domain::permission::Permission;
use domain::schedule::VisitState;
use serde::Serialize;
use store::{StepBy, Transition, VisitClose};
use time::Date;
use uuid::Uuid;

/// The longest note an officer writes about a visit.
const MAX_NOTE_CHARS: usize = 1000;

/// A day of an office's visits.
#[derive(Debug, Clone, Serialize)]
pub struct DayView {
    pub office_id: Uuid,
    /// `YYYY-MM-DD` in the office's zone.
    pub date: String,
    pub today: bool,
    /// The most windows any visit of the day is received at.
    pub windows: u16,
    pub visits: Vec<DayVisitView>,
}

/// One visit of the day.
#[derive(Debug, Clone, Serialize)]
pub struct DayVisitView {
    pub appointment: Uuid,
    pub application: Uuid,
    pub number: Option<String>,
    pub service: String,
    pub applicant: String,
    /// `HH:MM` in the office's zone.
    pub time: String,
    pub start_ms: i64,
    pub minutes: i64,
    /// The window the person is received at (the slot's bookings take its
    /// windows in the order they were made).
    pub window: u16,
    pub state: VisitState,
    pub arrived_at: Option<i64>,
    pub outcome: Option<String>,
    /// The application's version, for the outcome's decision.
    pub version: i64,
    /// What the officer may record now: `arrive`, `served`, `no-show`.
    pub actions: Vec<&'static str>,
}

/// How a visit ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The person did not come.
    Missed,
    /// Received; the documents taken, the application moves on.
    Done,
    /// Received, and refused on the spot (originals missing, forged, …).
    Rejected(RefusalReason),
}

struct Here {
    office: store::Office,
    tz: jiff::tz::TimeZone,
    who: store::StaffActor,
}

async fn here(state: &Portal, staff: &Staff) -> Result<Here, AppError> {
    let who = staff.require(state, Permission::WorkApplications).await?;
    let id = who
        .office_id
        .ok_or_else(|| AppError::new(ErrorKind::Forbidden, "office.none"))?;
    let office = super::office(state, id).await?;
    let tz = jiff::tz::TimeZone::get(&office.time_zone).map_err(AppError::internal)?;
    Ok(Here { office, tz, who })
}

fn local_date(tz: &jiff::tz::TimeZone, ms: i64) -> Result<Date, AppError> {
    domain::schedule::local(tz, ms)
        .map(|(d, _)| d)
        .ok_or_else(|| AppError::internal("an instant outside the calendar"))
}

fn actions(state: VisitState, start_ms: i64, on_the_day: bool, now: i64) -> Vec<&'static str> {
    match state {
        VisitState::Booked if on_the_day => {
            let mut a = vec!["arrive", "served"];
            if now >= start_ms {
                a.push("no-show");
            }
            a
        }
        VisitState::Arrived => vec!["served"],
        _ => Vec::new(),
    }
}

/// The visits of `date` (today by default) at the officer's office, all
/// windows or one.
pub async fn day(
    state: &Portal,
    staff: &Staff,
    date: Option<Date>,
    window: Option<u16>,
) -> Result<DayView, AppError> {
    let h = here(state, staff).await?;
    let now = state.now();
    let today = local_date(&h.tz, now)?;
    let date = date.unwrap_or(today);
    let (from, to) = domain::schedule::day_bounds(&h.tz, date)
        .ok_or_else(|| AppError::field("date", "date.format"))?;
    let visits = state.store.day_visits(h.office.id, from, to).await?;
    let keys: Vec<(i64, ())> = visits
        .iter()
        .map(|v| (v.appointment.start_ms, ()))
        .collect();
    let windows = domain::schedule::window_numbers(&keys);
    let all = visits
        .into_iter()
        .zip(windows)
        .map(|(v, w)| {
            let a = &v.appointment;
            DayVisitView {
                appointment: a.id,
                application: a.application_id,
                number: v.number,
                service: v.service,
                applicant: crate::cases::full_name(
                    &v.surname,
                    &v.given_name,
                    v.patronymic.as_deref(),
                ),
                time: domain::schedule::local(&h.tz, a.start_ms)
                    .map(|(_, m)| format!("{:02}:{:02}", m / 60, m % 60))
                    .unwrap_or_default(),
                start_ms: a.start_ms,
                minutes: a.minutes,
                window: w,
                state: a.status,
                arrived_at: v.arrived_at,
                outcome: v.outcome,
                version: v.version,
                actions: actions(a.status, a.start_ms, date == today, now),
            }
        })
        .collect::<Vec<_>>();
    Ok(DayView {
        office_id: h.office.id,
        date: date.to_string(),
        today: date == today,
        windows: all.iter().map(|v| v.window).max().unwrap_or(0),
        visits: all
            .into_iter()
            .filter(|v| window.is_none_or(|w| v.window == w))
            .collect(),
    })
}

/// A visit of the officer's office; another office's is "not found".
async fn visit_here(
    state: &Portal,
    h: &Here,
    appointment: Uuid,
) -> Result<store::AppointmentRecord, AppError> {
    match state.store.appointment(appointment).await? {
        Some(a) if a.office_id == h.office.id => Ok(a),
        _ => {
            state
                .store
                .audit_staff(
                    &h.who,
                    "access.denied_other_office",
                    Some(appointment),
                    "appointment",
                    state.now(),
                )
                .await?;
            Err(AppError::not_found())
        }
    }
}

/// The person came, on the day of their visit.
pub async fn arrive(state: &Portal, staff: &Staff, appointment: Uuid) -> Result<(), AppError> {
    let h = here(state, staff).await?;
    let a = visit_here(state, &h, appointment).await?;
    let now = state.now();
    if local_date(&h.tz, a.start_ms)? != local_date(&h.tz, now)? {
        return Err(AppError::new(ErrorKind::Conflict, "visit.not_today"));
    }
    match state.store.record_arrival(a.id, &h.who, now).await {
        Err(store::StoreError::Conflict(code)) => Err(AppError::new(ErrorKind::Conflict, code)),
        other => Ok(other?),
    }
}

/// Ends a visit of the officer's office as the application's `version`
/// stood: missed (only once its time has come, only if the person did not
/// arrive), done or refused (on its day or after). The officer may write
/// what was done.
pub async fn close(
    state: &Portal,
    staff: &Staff,
    appointment: Uuid,
    version: i64,
    outcome: Outcome,
    note: Option<&str>,
) -> Result<crate::cases::Case, AppError> {
    let h = here(state, staff).await?;
    let a = visit_here(state, &h, appointment).await?;
    let now = state.now();
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS) {
        return Err(AppError::field("note", "lifecycle.comment_too_long"));
    }
    let (step, visit_state) = match outcome {
        Outcome::Missed if now < a.start_ms => {
            return Err(AppError::new(ErrorKind::Conflict, "visit.not_yet"));
        }
        Outcome::Missed if a.status == VisitState::Arrived => {
            return Err(AppError::new(ErrorKind::Conflict, "visit.arrived"));
        }
        Outcome::Missed => (Step::VisitMissed, VisitState::Missed),
        _ if local_date(&h.tz, now)? < local_date(&h.tz, a.start_ms)? => {
            return Err(AppError::new(ErrorKind::Conflict, "visit.not_today"));
        }
        Outcome::Done => (Step::VisitDone, VisitState::Served),
        Outcome::Rejected(reason) => (Step::Reject(reason), VisitState::Served),
    };
    if !matches!(a.status, VisitState::Booked | VisitState::Arrived) {
        return Err(AppError::new(ErrorKind::Conflict, "visit.changed"));
    }
    let (who, r) = crate::cases::at_office(state, staff, a.application_id).await?;
    if r.version != version {
        return Err(crate::cases::changed(&r));
    }
    let def = state.catalogue.get(&r.service).ok_or_else(|| {
        AppError::internal(format!("service {} is not in the catalogue", r.service))
    })?;
    let to = domain::lifecycle::step(&def.stages, r.status, crate::cases::step_actor(&who), &step)
        .map_err(|e| crate::cases::refused(e, r.status))?;
    let job = match step {
        // The person is asked to book again, not just told the status.
        Step::VisitMissed => crate::notice::job_at(
            r.account_id,
            "msg-visit-missed-subject",
            "msg-visit-missed-body",
            vec![(
                "when".into(),
                crate::i18n::local_moment_arg(a.start_ms, &h.office.time_zone),
            )],
            format!("/applications/{}/visit", r.id),
            format!("visit-missed:{}", a.id),
            now,
        ),
        _ => crate::cases::status_notice(now, &r, def, to, r.version),
    };
    let mut record = serde_json::json!({ "visit": a.start_ms, "outcome": visit_state.as_str() });
    if let Step::Reject(reason) = step {
        record["reason"] = reason.as_str().into();
    }
    if let Some(n) = note {
        record["note"] = n.into();
    }
    let close = VisitClose {
        appointment: a.id,
        office_id: h.office.id,
        state: visit_state,
        outcome: note.map(str::to_owned),
        transition: Transition {
            id: r.id,
            version,
            from: r.status,
            to,
            by: StepBy::Staff(who),
            note: Some(record.to_string()),
            jobs: std::iter::once(job)
                .chain(crate::documents::for_step(&r.service, to).map(|kind| {
                    crate::documents::job(
                        kind,
                        r.id,
                        format!("{}:{}:{version}", kind.as_str(), r.id),
                        None,
                        now,
                    )
                }))
                .collect(),
            answers: None,
            consent: None,
        },
    };
    match state.store.close_visit(close, now).await {
        Ok(_) => crate::cases::case(state, staff, r.id).await,
        Err(store::StoreError::Stale) => Err(crate::cases::changed(&r)),
        Err(store::StoreError::Conflict(code)) => Err(AppError::new(ErrorKind::Conflict, code)),
        Err(e) => Err(e.into()),
    }
}
