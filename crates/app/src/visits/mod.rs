//! Visits to the office (SPEC §5, issue 18): free slots from the office's
//! reception schedule, and booking one that never overbooks — the place is
//! taken in the database statement that checks it is free. A first booking
//! moves the application to `invited`; a later one moves the booking.

use crate::Portal;
use crate::error::{AppError, ErrorKind};
use crate::session::Actor;
use domain::application::Status;
use domain::catalogue::Stage;
use domain::schedule::{BookingRules, Schedule, Slot};
use serde::Serialize;
use std::collections::HashMap;
use store::{Booking, ReceptionSchedule, StepBy, Transition};
use time::Date;
use uuid::Uuid;

mod day;
mod reminders;
mod schedule;

pub use day::{DayView, DayVisitView, Outcome, arrive, close, day};
pub use reminders::VisitReminders;
pub(crate) use reminders::local_time as local_time_text;
use reminders::reminders;
pub use schedule::{ScheduleInput, current as current_schedule, save_schedule};

/// Every code this module reports.
pub const CODES: [&str; 25] = [
    "schedule.bad_exception",
    "visit.service_not_offered",
    "schedule.service_minutes",
    "visit.unknown_outcome",
    "visit.none",
    "visit.not_today",
    "visit.not_yet",
    "visit.arrived",
    "schedule.bad_span",
    "schedule.overlap",
    "schedule.duplicate_exception",
    "schedule.slot_minutes",
    "schedule.rules",
    "visit.bad_range",
    "visit.too_many_moves",
    "visit.taken",
    "visit.already_booked",
    "visit.changed",
    "visit.not_a_slot",
    "visit.no_schedule",
    "visit.not_needed",
    "visit.past",
    "visit.too_soon",
    "visit.beyond_horizon",
    "visit.after_cutoff",
];

/// The longest range of availability one request may ask for.
pub const MAX_DAYS: i64 = 62;

/// A free time, as the office's clock shows it and in UTC.
#[derive(Debug, Clone, Serialize)]
pub struct FreeSlot {
    pub start_ms: i64,
    /// `YYYY-MM-DD` and `HH:MM` in the office's zone.
    pub date: String,
    pub time: String,
    pub minutes: u16,
    pub free: i64,
}

struct Plan {
    schedule: Schedule,
    rules: BookingRules,
    minutes: u16,
    tz: jiff::tz::TimeZone,
}

/// An office by id; "not found" when there is none.
pub(crate) async fn office(state: &Portal, office_id: Uuid) -> Result<store::Office, AppError> {
    state
        .store
        .list_offices()
        .await?
        .into_iter()
        .find(|o| o.id == office_id)
        .ok_or_else(AppError::not_found)
}

async fn plan(state: &Portal, office_id: Uuid) -> Result<Plan, AppError> {
    let stored = state
        .store
        .schedule_of(office_id)
        .await?
        .ok_or_else(|| AppError::new(ErrorKind::Conflict, "visit.no_schedule"))?;
    let office = office(state, office_id).await?;
    parse_plan(&stored, &office.time_zone)
}

fn parse_plan(s: &ReceptionSchedule, zone: &str) -> Result<Plan, AppError> {
    let input = schedule::input_of(s)?;
    Ok(Plan {
        schedule: input.schedule,
        rules: input.rules,
        minutes: input.slot_minutes,
        tz: jiff::tz::TimeZone::get(zone).map_err(AppError::internal)?,
    })
}

fn free_slot(s: &Slot, free: i64) -> FreeSlot {
    FreeSlot {
        start_ms: s.start_ms,
        date: s.date.to_string(),
        time: format!("{:02}:{:02}", s.minute / 60, s.minute % 60),
        minutes: s.minutes,
        free,
    }
}

/// How many consecutive slots a visit for `service` takes at the office
/// (one when no service is named); `None` when it does not receive for it.
fn places_for(p: &Plan, service: Option<&str>) -> Option<u16> {
    match service {
        None => Some(1),
        Some(s) => p.schedule.places_for(s, p.minutes),
    }
}

/// The free times of an office from `from` to `to` (office dates), bookable
/// now, for a visit for `service` (as long as it takes there).
pub async fn availability(
    state: &Portal,
    office_id: Uuid,
    service: Option<&str>,
    from: Date,
    to: Date,
) -> Result<Vec<FreeSlot>, AppError> {
    if to < from || (to - from).whole_days() > MAX_DAYS {
        return Err(AppError::field("to", "visit.bad_range"));
    }
    let p = plan(state, office_id).await?;
    let places = places_for(&p, service)
        .ok_or_else(|| AppError::field("service", "visit.service_not_offered"))?;
    let slots = domain::schedule::slots(&p.schedule, &state.calendar, &p.tz, p.minutes, from, to);
    let (Some(first), Some(last)) = (slots.first(), slots.last()) else {
        return Ok(Vec::new());
    };
    let taken: HashMap<i64, i64> = state
        .store
        .taken_places(office_id, first.start_ms, last.start_ms + 1)
        .await?
        .into_iter()
        .collect();
    let windows: HashMap<i64, u16> = slots.iter().map(|s| (s.start_ms, s.windows)).collect();
    let now = state.now();
    Ok(domain::schedule::visits(&slots, places)
        .iter()
        .filter(|v| p.rules.may_book(v.slot.start_ms, now).is_ok())
        .map(|v| {
            // The fewest places left among the slots it takes.
            let free = v
                .places
                .iter()
                .map(|at| {
                    i64::from(windows.get(at).copied().unwrap_or(0))
                        - taken.get(at).copied().unwrap_or(0)
                })
                .min()
                .unwrap_or(0);
            free_slot(&v.slot, free)
        })
        .filter(|s| s.free > 0)
        .collect())
}

/// Who books: the person for their own application, or an officer of the
/// application's office setting (or moving) the time for them.
enum Booker {
    Person(Uuid),
    Office(store::StaffActor),
}

/// Books the slot starting at `start_ms` for one's own application (or
/// moves its booking there). The losing request of a race for the last
/// place gets `visit.taken` with the nearest free times.
pub async fn book(
    state: &Portal,
    actor: &Actor,
    application_id: Uuid,
    start_ms: i64,
    idem: Option<crate::applications::Idempotency>,
) -> Result<crate::applications::ApplicationView, AppError> {
    let r = state
        .store
        .get_application(application_id, actor.account.id)
        .await?;
    place(state, &r, Booker::Person(actor.account.id), start_ms, idem).await?;
    crate::applications::get(state, actor, application_id).await
}

/// An officer sets (or moves) the visit of an application of their office,
/// within the same schedule and rules; the person is told and may move it.
pub async fn set_time(
    state: &Portal,
    staff: &crate::staff::Staff,
    application_id: Uuid,
    start_ms: i64,
) -> Result<crate::cases::Case, AppError> {
    let (who, r) = crate::cases::at_office(state, staff, application_id).await?;
    place(state, &r, Booker::Office(who), start_ms, None).await?;
    crate::cases::case(state, staff, application_id).await
}

/// A visit of the schedule as a booking names it.
struct Chosen {
    visit: domain::schedule::Visit,
    /// Each slot it takes, with the windows the schedule gives it.
    places: Vec<(i64, i64)>,
    /// The UTC date it falls on (its neighbours hold the alternatives).
    day: Date,
}

/// The visit of `places` slots of the office's schedule that starts at
/// `start_ms`, with the windows of each slot it takes.
fn visit_at(state: &Portal, p: &Plan, start_ms: i64, places: u16) -> Result<Chosen, AppError> {
    let day = time::OffsetDateTime::from_unix_timestamp(start_ms.div_euclid(1000))
        .map_err(|_| AppError::field("start_ms", "visit.not_a_slot"))?
        .date();
    // The office's date may be the UTC date's neighbour.
    let slots = domain::schedule::slots(
        &p.schedule,
        &state.calendar,
        &p.tz,
        p.minutes,
        day.previous_day().unwrap_or(day),
        day.next_day().unwrap_or(day),
    );
    let visit = domain::schedule::visits(&slots, places)
        .into_iter()
        .find(|v| v.slot.start_ms == start_ms)
        .ok_or_else(|| AppError::field("start_ms", "visit.not_a_slot"))?;
    let windows = visit
        .places
        .iter()
        .map(|at| {
            let w = slots
                .iter()
                .find(|s| s.start_ms == *at)
                .map_or(0, |s| s.windows);
            (*at, i64::from(w))
        })
        .collect();
    Ok(Chosen {
        visit,
        places: windows,
        day,
    })
}

async fn place(
    state: &Portal,
    r: &store::ApplicationRecord,
    booker: Booker,
    start_ms: i64,
    idem: Option<crate::applications::Idempotency>,
) -> Result<(), AppError> {
    let def = state
        .catalogue
        .get(&r.service)
        .ok_or_else(AppError::not_found)?;
    if !def.stages.contains(&Stage::Invited) {
        return Err(AppError::new(ErrorKind::Conflict, "visit.not_needed"));
    }
    let office_id = r
        .office_id
        .ok_or_else(|| AppError::new(ErrorKind::Conflict, "visit.no_schedule"))?;
    let now = state.now();
    let p = plan(state, office_id).await?;
    let places = places_for(&p, Some(&r.service))
        .ok_or_else(|| AppError::new(ErrorKind::Conflict, "visit.service_not_offered"))?;
    let Chosen { visit, places, day } = visit_at(state, &p, start_ms, places)?;
    p.rules
        .may_book(start_ms, now)
        .map_err(|e| AppError::field("start_ms", e.code()))?;
    let (by, step_actor, booked_by) = match &booker {
        Booker::Person(id) => (StepBy::Owner(*id), domain::lifecycle::Actor::System, *id),
        Booker::Office(who) => (
            StepBy::Staff(who.clone()),
            crate::cases::step_actor(who),
            who.id,
        ),
    };
    // The lifecycle says whether a visit is the service's next stage.
    if r.status == Status::Accepted {
        domain::lifecycle::step(
            &def.stages,
            r.status,
            step_actor,
            &domain::lifecycle::Step::Invite(start_ms.to_string()),
        )
        .map_err(|e| crate::cases::refused(e, r.status))?;
        crate::payments::require_paid(state, r, def, Status::Invited).await?;
    }
    let live = state.store.live_appointment(r.id).await?;
    // Asked again for the time it has: nothing to do (a retry, a double click).
    if live.as_ref().is_some_and(|a| a.start_ms == start_ms) {
        return Ok(());
    }
    let transition = match (r.status, &live) {
        (Status::Accepted, None) => Some(Transition {
            id: r.id,
            version: r.version,
            from: Status::Accepted,
            to: Status::Invited,
            by,
            note: Some(serde_json::json!({"visit": start_ms}).to_string()),
            jobs: vec![crate::cases::status_notice(
                now,
                r,
                def,
                Status::Invited,
                r.version,
            )],
            answers: None,
            consent: None,
        }),
        (Status::Invited, Some(a)) => {
            // A booking the office displaced, or the office's own move, is
            // free of the person's limits.
            if matches!(booker, Booker::Person(_)) && !a.displaced {
                p.rules
                    .may_change(a.start_ms, u8::try_from(a.moves).unwrap_or(u8::MAX), now)
                    .map_err(|e| AppError::new(ErrorKind::Conflict, e.code()))?;
            }
            None
        }
        _ => {
            return Err(crate::cases::refused(
                domain::lifecycle::Refusal::NotAllowed,
                r.status,
            ));
        }
    };
    let appointment = Uuid::now_v7();
    let mut jobs = Vec::new();
    if let Booker::Office(_) = booker {
        jobs.push(set_notice(state, r, appointment, start_ms, now).await?);
    }
    jobs.extend(reminders(appointment, r.id, start_ms, now));
    // The invitation to the office, as a document: one per booking.
    jobs.push(crate::documents::job(
        domain::document::DocumentKind::VisitInvitation,
        r.id,
        crate::documents::invitation_source(appointment),
        None,
        now,
    ));
    let booking = Booking {
        id: appointment,
        application_id: r.id,
        account_id: r.account_id,
        booked_by,
        office_id,
        start_ms,
        minutes: i64::from(visit.slot.minutes),
        places,
        replaces: live.map(|a| a.id),
        transition,
        jobs,
        idem: idem.map(crate::applications::Idempotency::stored),
    };
    match state.store.book(booking, now).await {
        Ok(_) => Ok(()),
        Err(store::StoreError::Conflict("visit.taken")) => {
            let nearest = availability(
                state,
                office_id,
                Some(&r.service),
                day,
                day.next_day().unwrap_or(day),
            )
            .await
            .unwrap_or_default()
            .into_iter()
            .take(3)
            .map(|s| s.start_ms.to_string())
            .collect::<Vec<_>>()
            .join(",");
            Err(AppError::new(ErrorKind::Conflict, "visit.taken").arg("alternatives", nearest))
        }
        Err(store::StoreError::Stale) => {
            Err(AppError::new(ErrorKind::Conflict, "application.changed"))
        }
        Err(e) => Err(e.into()),
    }
}

/// The person's notice that the office set (or moved) their visit.
async fn set_notice(
    state: &Portal,
    r: &store::ApplicationRecord,
    appointment: Uuid,
    start_ms: i64,
    now: i64,
) -> Result<store::NewJob, AppError> {
    let office = match r.office_id {
        Some(id) => Some(office(state, id).await?),
        None => None,
    };
    let (when, address) = office.map_or_else(Default::default, |o| {
        (
            crate::i18n::local_moment_arg(start_ms, &o.time_zone),
            o.address,
        )
    });
    Ok(crate::notice::job_at(
        r.account_id,
        "msg-visit-set-subject",
        "msg-visit-set-body",
        vec![("when".into(), when), ("address".into(), address)],
        format!("/applications/{}", r.id),
        format!("visit-set:{appointment}"),
        now,
    ))
}

/// Cancels one's booked visit until the cut-off: the place is freed and the
/// application is accepted again, to book anew.
pub async fn cancel(
    state: &Portal,
    actor: &Actor,
    application_id: Uuid,
) -> Result<crate::applications::ApplicationView, AppError> {
    let r = state
        .store
        .get_application(application_id, actor.account.id)
        .await?;
    let def = state
        .catalogue
        .get(&r.service)
        .ok_or_else(AppError::not_found)?;
    let live = state
        .store
        .live_appointment(application_id)
        .await?
        .ok_or_else(|| AppError::new(ErrorKind::Conflict, "visit.none"))?;
    let now = state.now();
    let p = plan(state, live.office_id).await?;
    if !live.displaced {
        p.rules
            .may_change(live.start_ms, 0, now)
            .map_err(|e| AppError::new(ErrorKind::Conflict, e.code()))?;
    }
    let to = domain::lifecycle::step(
        &def.stages,
        r.status,
        domain::lifecycle::Actor::Applicant,
        &domain::lifecycle::Step::Unbook,
    )
    .map_err(|e| crate::cases::refused(e, r.status))?;
    let t = Transition {
        id: r.id,
        version: r.version,
        from: r.status,
        to,
        by: StepBy::Owner(actor.account.id),
        note: Some(serde_json::json!({"visit_cancelled": live.start_ms}).to_string()),
        jobs: vec![crate::cases::status_notice(now, &r, def, to, r.version)],
        answers: None,
        consent: None,
    };
    match state.store.cancel_booking(t, actor.account.id, now).await {
        Ok(()) => crate::applications::get(state, actor, application_id).await,
        Err(store::StoreError::Stale) => {
            Err(AppError::new(ErrorKind::Conflict, "application.changed"))
        }
        Err(e) => Err(e.into()),
    }
}

/// The person's booked visit, as their pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct MyVisit {
    pub start_ms: i64,
    /// `25.11.2026 14:30` in the office's zone.
    pub when: String,
    pub office: String,
    pub address: String,
    /// Whether it may still be moved or cancelled.
    pub may_change: bool,
    /// The office's schedule change left it outside the hours.
    pub displaced: bool,
}

/// The live booking of one's own application, if any.
pub async fn mine(
    state: &Portal,
    actor: &Actor,
    application_id: Uuid,
) -> Result<Option<MyVisit>, AppError> {
    state
        .store
        .get_application(application_id, actor.account.id)
        .await?;
    let Some(a) = state.store.live_appointment(application_id).await? else {
        return Ok(None);
    };
    let office = office(state, a.office_id).await?;
    let p = plan(state, a.office_id).await?;
    let may_change = a.displaced || p.rules.may_change(a.start_ms, 0, state.now()).is_ok();
    Ok(Some(MyVisit {
        start_ms: a.start_ms,
        when: reminders::local_time(a.start_ms, &office.time_zone),
        office: office.name,
        address: office.address,
        may_change,
        displaced: a.displaced,
    }))
}

/// Whether the application's next step is booking a visit: the office it
/// is booked at and the service, when so.
pub async fn to_book(
    state: &Portal,
    actor: &Actor,
    application_id: Uuid,
) -> Result<Option<(Uuid, String)>, AppError> {
    let r = state
        .store
        .get_application(application_id, actor.account.id)
        .await?;
    let visits = state
        .catalogue
        .get(&r.service)
        .is_some_and(|d| d.stages.contains(&Stage::Invited));
    Ok(match (visits, r.status) {
        (true, Status::Accepted | Status::Invited) => r.office_id.map(|o| (o, r.service)),
        _ => None,
    })
}
