//! An office's reception schedule as its head or an administrator sets it.
//! A change never drops a booking silently: those it leaves outside the
//! hours are marked displaced and their people asked to choose another time.

use super::parse_plan;
use crate::Portal;
use crate::error::AppError;
use domain::schedule::{BookingRules, Schedule};
use store::{Displacement, ReceptionSchedule};
use uuid::Uuid;

/// An office's reception schedule as its head or an administrator sets it.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleInput {
    pub schedule: Schedule,
    pub slot_minutes: u16,
    pub rules: BookingRules,
}

/// Whether the staff member may edit the office's schedule: an
/// administrator, or the head of that office.
async fn may_edit(
    state: &Portal,
    staff: &crate::staff::Staff,
    office_id: Uuid,
) -> Result<store::StaffActor, AppError> {
    let who = staff.who();
    let allowed = domain::permission::may(who.role, domain::permission::Permission::ManageOffices)
        || (who.role == domain::account::Role::HeadOfOffice && who.office_id == Some(office_id));
    if !allowed {
        staff
            .require(state, domain::permission::Permission::ManageOffices)
            .await?;
    }
    Ok(who)
}

/// An office's schedule as it may be edited, if it has one.
pub async fn current(
    state: &Portal,
    staff: &crate::staff::Staff,
    office_id: Uuid,
) -> Result<Option<ScheduleInput>, AppError> {
    may_edit(state, staff, office_id).await?;
    match state.store.schedule_of(office_id).await? {
        Some(s) => Ok(Some(input_of(&s)?)),
        None => Ok(None),
    }
}

impl ScheduleInput {
    /// The schedule as the store keeps it (the inverse of [`input_of`]).
    pub fn stored(&self, office_id: Uuid) -> Result<ReceptionSchedule, AppError> {
        let r = self.rules;
        Ok(ReceptionSchedule {
            office_id,
            schedule: serde_json::to_string(&self.schedule).map_err(AppError::internal)?,
            slot_minutes: i64::from(self.slot_minutes),
            horizon_days: i64::from(r.horizon_days),
            lead_minutes: i64::from(r.lead_minutes),
            cutoff_minutes: i64::from(r.cutoff_minutes),
            max_moves: i64::from(r.max_moves),
        })
    }
}

/// A stored schedule as its editor (and the slot arithmetic) sees it.
pub(super) fn input_of(s: &ReceptionSchedule) -> Result<ScheduleInput, AppError> {
    let n = |v: i64| u32::try_from(v).map_err(AppError::internal);
    Ok(ScheduleInput {
        schedule: serde_json::from_str(&s.schedule).map_err(AppError::internal)?,
        slot_minutes: u16::try_from(s.slot_minutes).map_err(AppError::internal)?,
        rules: BookingRules {
            horizon_days: u16::try_from(s.horizon_days).map_err(AppError::internal)?,
            lead_minutes: n(s.lead_minutes)?,
            cutoff_minutes: n(s.cutoff_minutes)?,
            max_moves: u8::try_from(s.max_moves).map_err(AppError::internal)?,
        },
    })
}

/// Sets an office's schedule: an administrator, or the head of that office.
/// Answers how many live bookings it left outside the hours (their people
/// are notified in the same transaction).
pub async fn save_schedule(
    state: &Portal,
    staff: &crate::staff::Staff,
    office_id: Uuid,
    input: &ScheduleInput,
) -> Result<usize, AppError> {
    let who = may_edit(state, staff, office_id).await?;
    let office = super::office(state, office_id).await?;
    input
        .schedule
        .check()
        .map_err(|p| AppError::field("schedule", p.code()))?;
    if !(5..=240).contains(&input.slot_minutes) {
        return Err(AppError::field("slot_minutes", "schedule.slot_minutes"));
    }
    input
        .schedule
        .check_services(input.slot_minutes)
        .map_err(|p| AppError::field("schedule", p.code()))?;
    if let Some(unknown) = input
        .schedule
        .services
        .keys()
        .find(|s| state.catalogue.get(s).is_none())
    {
        return Err(AppError::field("schedule", "service.unknown").arg("service", unknown));
    }
    let r = input.rules;
    if !(1..=365).contains(&r.horizon_days) || r.max_moves > 10 {
        return Err(AppError::field("rules", "schedule.rules"));
    }
    let record = input.stored(office_id)?;
    let now = state.now();
    let displaced = displacement(state, &record, &office, now).await?;
    let count = displaced.appointments.len();
    state
        .store
        .save_schedule(record, displaced, &who, now)
        .await?;
    Ok(count)
}

/// The live bookings the new schedule cannot receive, and a notice to each
/// person asking them to choose another time.
async fn displacement(
    state: &Portal,
    record: &ReceptionSchedule,
    office: &store::Office,
    now: i64,
) -> Result<Displacement, AppError> {
    let live = state.store.live_bookings(record.office_id, now).await?;
    let (Some(first), Some(last)) = (live.first(), live.last()) else {
        return Ok(Displacement::default());
    };
    let p = parse_plan(record, &office.time_zone)?;
    let local = |ms: i64| {
        domain::schedule::local(&p.tz, ms)
            .map(|(d, _)| d)
            .ok_or_else(|| AppError::internal("a booking outside the calendar"))
    };
    let slots = domain::schedule::slots(
        &p.schedule,
        &state.calendar,
        &p.tz,
        p.minutes,
        local(first.start_ms)?,
        local(last.start_ms)?,
    );
    // Each slot a booking takes must still be one with room for it.
    let held: Vec<(i64, usize)> = live
        .iter()
        .enumerate()
        .flat_map(|(i, a)| {
            let places = a.places.max(1);
            (0..places).map(move |j| (a.start_ms + j * (a.minutes / places) * 60_000, i))
        })
        .collect();
    let mut gone = domain::schedule::displaced(&slots, &held);
    gone.sort_unstable();
    gone.dedup();
    let mut out = Displacement::default();
    for i in gone {
        let a = &live[i];
        let Some(r) = state.store.application_by_id(a.application_id).await? else {
            continue;
        };
        out.appointments.push(a.id);
        out.jobs.push(crate::notice::job_at(
            r.account_id,
            "msg-visit-displaced-subject",
            "msg-visit-displaced-body",
            vec![
                (
                    "when".into(),
                    crate::i18n::local_moment_arg(a.start_ms, &office.time_zone),
                ),
                ("address".into(), office.address.clone()),
            ],
            format!("/applications/{}/visit", r.id),
            format!("visit-displaced:{}", a.id),
            now,
        ));
    }
    Ok(out)
}
