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
use store::{Booking, ReceptionSchedule, StepBy, Transition};
use time::Date;
use uuid::Uuid;

/// Every code this module reports.
pub const CODES: [&str; 18] = [
    "visit.none",
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

async fn plan(state: &Portal, office_id: Uuid) -> Result<Plan, AppError> {
    let stored = state
        .store
        .schedule_of(office_id)
        .await?
        .ok_or_else(|| AppError::new(ErrorKind::Conflict, "visit.no_schedule"))?;
    let office = state
        .store
        .list_offices()
        .await?
        .into_iter()
        .find(|o| o.id == office_id)
        .ok_or_else(AppError::not_found)?;
    parse_plan(&stored, &office.time_zone)
}

fn parse_plan(s: &ReceptionSchedule, zone: &str) -> Result<Plan, AppError> {
    let schedule: Schedule = serde_json::from_str(&s.schedule).map_err(AppError::internal)?;
    let n = |v: i64| u32::try_from(v).map_err(AppError::internal);
    Ok(Plan {
        schedule,
        rules: BookingRules {
            horizon_days: u16::try_from(s.horizon_days).map_err(AppError::internal)?,
            lead_minutes: n(s.lead_minutes)?,
            cutoff_minutes: n(s.cutoff_minutes)?,
            max_moves: u8::try_from(s.max_moves).map_err(AppError::internal)?,
        },
        minutes: u16::try_from(s.slot_minutes).map_err(AppError::internal)?,
        tz: jiff::tz::TimeZone::get(zone).map_err(AppError::internal)?,
    })
}

fn free_slot(s: &Slot, taken: i64) -> FreeSlot {
    FreeSlot {
        start_ms: s.start_ms,
        date: s.date.to_string(),
        time: format!("{:02}:{:02}", s.minute / 60, s.minute % 60),
        minutes: s.minutes,
        free: i64::from(s.windows) - taken,
    }
}

/// The free slots of an office from `from` to `to` (office dates), bookable now.
pub async fn availability(
    state: &Portal,
    office_id: Uuid,
    from: Date,
    to: Date,
) -> Result<Vec<FreeSlot>, AppError> {
    if to < from || (to - from).whole_days() > MAX_DAYS {
        return Err(AppError::field("to", "visit.bad_range"));
    }
    let p = plan(state, office_id).await?;
    let slots = domain::schedule::slots(&p.schedule, &state.calendar, &p.tz, p.minutes, from, to);
    let (Some(first), Some(last)) = (slots.first(), slots.last()) else {
        return Ok(Vec::new());
    };
    let taken = state
        .store
        .taken_places(office_id, first.start_ms, last.start_ms + 1)
        .await?;
    let now = state.now();
    Ok(slots
        .iter()
        .filter(|s| p.rules.may_book(s.start_ms, now).is_ok())
        .map(|s| {
            let t = taken
                .iter()
                .find(|(at, _)| *at == s.start_ms)
                .map_or(0, |(_, n)| *n);
            free_slot(s, t)
        })
        .filter(|s| s.free > 0)
        .collect())
}

/// Books the slot starting at `start_ms` for one's own application (or
/// moves its booking there). The losing request of a race for the last
/// place gets `visit.taken` with the nearest free times.
pub async fn book(
    state: &Portal,
    actor: &Actor,
    application_id: Uuid,
    start_ms: i64,
) -> Result<crate::applications::ApplicationView, AppError> {
    let r = state
        .store
        .get_application(application_id, actor.account.id)
        .await?;
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
    // The slot must be one of the schedule's, on the day it falls on.
    let day = time::OffsetDateTime::from_unix_timestamp(start_ms.div_euclid(1000))
        .map_err(|_| AppError::field("start_ms", "visit.not_a_slot"))?
        .date();
    let candidates = domain::schedule::slots(
        &p.schedule,
        &state.calendar,
        &p.tz,
        p.minutes,
        day.previous_day().unwrap_or(day),
        day.next_day().unwrap_or(day),
    );
    let slot = candidates
        .iter()
        .find(|s| s.start_ms == start_ms)
        .copied()
        .ok_or_else(|| AppError::field("start_ms", "visit.not_a_slot"))?;
    p.rules
        .may_book(start_ms, now)
        .map_err(|e| AppError::field("start_ms", e.code()))?;
    // The lifecycle says whether a visit is the service's next stage.
    if r.status == Status::Accepted {
        domain::lifecycle::step(
            &def.stages,
            r.status,
            domain::lifecycle::Actor::System,
            &domain::lifecycle::Step::Invite(start_ms.to_string()),
        )
        .map_err(|e| crate::cases::refused(e, r.status))?;
    }
    let live = state.store.live_appointment(application_id).await?;
    let transition = match (r.status, &live) {
        (Status::Accepted, None) => Some(Transition {
            id: r.id,
            version: r.version,
            from: Status::Accepted,
            to: Status::Invited,
            by: StepBy::Owner(actor.account.id),
            note: Some(serde_json::json!({"visit": start_ms}).to_string()),
            jobs: vec![crate::cases::status_notice(
                now,
                &r,
                def,
                Status::Invited,
                r.version,
            )],
            answers: None,
            consent: None,
        }),
        (Status::Invited, Some(a)) => {
            p.rules
                .may_change(a.start_ms, u8::try_from(a.moves).unwrap_or(u8::MAX), now)
                .map_err(|e| AppError::new(ErrorKind::Conflict, e.code()))?;
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
    let booking = Booking {
        id: appointment,
        application_id,
        account_id: actor.account.id,
        office_id,
        start_ms,
        minutes: i64::from(slot.minutes),
        capacity: i64::from(slot.windows),
        replaces: live.map(|a| a.id),
        transition,
        jobs: reminders(appointment, application_id, start_ms, now),
    };
    match state.store.book(booking, now).await {
        Ok(_) => crate::applications::get(state, actor, application_id).await,
        Err(store::StoreError::Conflict("visit.taken")) => {
            let nearest = availability(state, office_id, day, day.next_day().unwrap_or(day))
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

/// An office's reception schedule as its head or an administrator sets it.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleInput {
    pub schedule: Schedule,
    pub slot_minutes: u16,
    pub rules: BookingRules,
}

/// Sets an office's schedule: an administrator, or the head of that office.
pub async fn save_schedule(
    state: &Portal,
    staff: &crate::staff::Staff,
    office_id: Uuid,
    input: &ScheduleInput,
) -> Result<(), AppError> {
    let who = staff.who();
    let allowed = domain::permission::may(who.role, domain::permission::Permission::ManageOffices)
        || (who.role == domain::account::Role::HeadOfOffice && who.office_id == Some(office_id));
    if !allowed {
        staff
            .require(state, domain::permission::Permission::ManageOffices)
            .await?;
    }
    if !state
        .store
        .list_offices()
        .await?
        .iter()
        .any(|o| o.id == office_id)
    {
        return Err(AppError::not_found());
    }
    input
        .schedule
        .check()
        .map_err(|p| AppError::field("schedule", p.code()))?;
    if !(5..=240).contains(&input.slot_minutes) {
        return Err(AppError::field("slot_minutes", "schedule.slot_minutes"));
    }
    let r = input.rules;
    if !(1..=365).contains(&r.horizon_days) || r.max_moves > 10 {
        return Err(AppError::field("rules", "schedule.rules"));
    }
    state
        .store
        .save_schedule(
            ReceptionSchedule {
                office_id,
                schedule: serde_json::to_string(&input.schedule).map_err(AppError::internal)?,
                slot_minutes: i64::from(input.slot_minutes),
                horizon_days: i64::from(r.horizon_days),
                lead_minutes: i64::from(r.lead_minutes),
                cutoff_minutes: i64::from(r.cutoff_minutes),
                max_moves: i64::from(r.max_moves),
            },
            &who,
            state.now(),
        )
        .await?;
    Ok(())
}

/// The reminders of a booking: a day and two hours before, each checked
/// when due (a moved or cancelled booking's reminders send nothing).
fn reminders(appointment: Uuid, application: Uuid, start_ms: i64, now: i64) -> Vec<store::NewJob> {
    [24, 2]
        .into_iter()
        .filter_map(|hours: i64| {
            let at = start_ms - hours * 3_600_000;
            (at > now).then(|| {
                let mut job = store::NewJob::now(
                    store::job_kind::VISIT_REMINDER,
                    serde_json::json!({"appointment": appointment, "application": application, "hours": hours})
                        .to_string(),
                    now,
                )
                .dedup(format!("visit-reminder:{appointment}:{hours}"));
                job.run_at = at;
                job
            })
        })
        .collect()
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
    p.rules
        .may_change(live.start_ms, 0, now)
        .map_err(|e| AppError::new(ErrorKind::Conflict, e.code()))?;
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

#[derive(serde::Deserialize)]
struct Reminder {
    appointment: Uuid,
    application: Uuid,
    hours: i64,
}

/// The outbox's reminders: sent only for a booking still live.
pub struct VisitReminders {
    pub store: std::sync::Arc<dyn store::Store>,
    pub clock: fn() -> i64,
}

#[async_trait::async_trait]
impl notify::JobHandler for VisitReminders {
    async fn handle(&self, job: &store::Job) -> Result<(), notify::JobError> {
        let temporary = |e: store::StoreError| notify::JobError::Temporary(e.to_string());
        let p: Reminder = serde_json::from_str(&job.payload)
            .map_err(|e| notify::JobError::Permanent(format!("bad payload: {e}")))?;
        let live = self
            .store
            .live_appointment(p.application)
            .await
            .map_err(temporary)?;
        let Some(a) = live.filter(|a| a.id == p.appointment) else {
            return Ok(());
        };
        let Some(r) = self
            .store
            .application_by_id(p.application)
            .await
            .map_err(temporary)?
        else {
            return Ok(());
        };
        let office = self
            .store
            .list_offices()
            .await
            .map_err(temporary)?
            .into_iter()
            .find(|o| o.id == a.office_id);
        let (when, address) = match &office {
            Some(o) => (local_time(a.start_ms, &o.time_zone), o.address.clone()),
            None => (String::new(), String::new()),
        };
        let now = (self.clock)();
        let notice = crate::notice::job_at(
            r.account_id,
            "msg-visit-reminder-subject",
            "msg-visit-reminder-body",
            vec![("when".into(), when), ("address".into(), address)],
            format!("/applications/{}", r.id),
            format!("visit-reminder-notice:{}:{}", a.id, p.hours),
            now,
        );
        self.store.enqueue(notice, now).await.map_err(temporary)
    }
}

/// `25.11.2026 14:30` in the office's zone.
fn local_time(ms: i64, zone: &str) -> String {
    let Ok(ts) = jiff::Timestamp::from_millisecond(ms) else {
        return String::new();
    };
    match jiff::tz::TimeZone::get(zone) {
        Ok(tz) => ts.to_zoned(tz).strftime("%d.%m.%Y %H:%M").to_string(),
        Err(_) => String::new(),
    }
}
