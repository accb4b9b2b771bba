//! A booking's reminders, a day and two hours before: outbox jobs due then,
//! each checked when due, so a moved or cancelled booking's send nothing.

use uuid::Uuid;

/// The reminders of a booking: a day and two hours before, each checked
/// when due (a moved or cancelled booking's reminders send nothing).
pub(super) fn reminders(
    appointment: Uuid,
    application: Uuid,
    start_ms: i64,
    now: i64,
) -> Vec<store::NewJob> {
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
            Some(o) => (
                crate::i18n::local_moment_arg(a.start_ms, &o.time_zone),
                o.address.clone(),
            ),
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
pub(crate) fn local_time(ms: i64, zone: &str) -> String {
    let Ok(ts) = jiff::Timestamp::from_millisecond(ms) else {
        return String::new();
    };
    match jiff::tz::TimeZone::get(zone) {
        Ok(tz) => ts.to_zoned(tz).strftime("%d.%m.%Y %H:%M").to_string(),
        Err(_) => String::new(),
    }
}
