//! Reception schedules and booked visits.

pub(crate) const SELECT_APPOINTMENT: &str = "SELECT id, application_id, office_id, start_ms, minutes, places, status, moves, displaced_at FROM appointments";

macro_rules! appointment_from_row {
    ($r:expr) => {{
        let r = &$r;
        let status: String = r.try_get("status")?;
        $crate::AppointmentRecord {
            id: r.try_get("id")?,
            application_id: r.try_get("application_id")?,
            office_id: r.try_get("office_id")?,
            start_ms: r.try_get("start_ms")?,
            minutes: r.try_get("minutes")?,
            places: r.try_get("places")?,
            status: domain::schedule::VisitState::parse(&status)
                .ok_or_else(|| $crate::StoreError::Corrupt(format!("visit state {status}")))?,
            moves: r.try_get("moves")?,
            displaced: r.try_get::<Option<i64>, _>("displaced_at")?.is_some(),
        }
    }};
}
pub(crate) use appointment_from_row;

/// Frees the places of a cancelled or moved booking: `places` slots from
/// `start`, `minutes / places` apart.
macro_rules! free_places {
    ($tx:expr, $row:expr) => {{
        use sqlx::Row;
        let office: uuid::Uuid = $row.try_get("office_id")?;
        let start: i64 = $row.try_get("start_ms")?;
        let minutes: i64 = $row.try_get("minutes")?;
        let places: i64 = $row.try_get::<i64, _>("places")?.max(1);
        for j in 0..places {
            sqlx::query("UPDATE slot_places SET taken = taken - 1 WHERE office_id = $1 AND start_ms = $2 AND taken > 0")
                .bind(office)
                .bind(start + j * (minutes / places) * 60_000)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}
pub(crate) use free_places;

/// The application left `invited` by another road than the visit's own
/// (a cancellation, a refusal, an officer recording the visit on the case
/// page): its booking ends with it, and a cancelled future one frees its place.
macro_rules! end_booking {
    ($tx:expr, $application:expr, $to:expr, $now:expr) => {{
        use sqlx::Row;
        let to: domain::application::Status = $to;
        let state = match to {
            domain::application::Status::Accepted => domain::schedule::VisitState::Missed,
            s if !s.is_open() => domain::schedule::VisitState::Cancelled,
            _ => domain::schedule::VisitState::Served,
        };
        let row = sqlx::query(
            "UPDATE appointments SET status = $2, updated_at = $3 WHERE application_id = $1 \
             AND status IN ('booked', 'arrived') RETURNING office_id, start_ms, minutes, places",
        )
        .bind($application)
        .bind(state.as_str())
        .bind($now)
        .fetch_optional(&mut *$tx)
        .await?;
        if let Some(row) = row {
            let start: i64 = row.try_get("start_ms")?;
            if state == domain::schedule::VisitState::Cancelled && start > $now {
                $crate::shared::visits::free_places!($tx, row);
            }
        }
    }};
}
pub(crate) use end_booking;

macro_rules! impl_visit_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::VisitStore for $store {
            async fn save_schedule(
                &self,
                s: $crate::ReceptionSchedule,
                displaced: $crate::Displacement,
                by: &$crate::StaffActor,
                now: i64,
            ) -> $crate::Result<()> {
                let mut tx = self.begin_write().await?;
                for id in &displaced.appointments {
                    sqlx::query(
                        "UPDATE appointments SET displaced_at = $3, updated_at = $3 WHERE id = $1 AND office_id = $2 \
                         AND status = 'booked' AND displaced_at IS NULL",
                    )
                    .bind(*id)
                    .bind(s.office_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                for job in displaced.jobs {
                    $crate::shared::enqueue!(tx, job, now);
                }
                sqlx::query(
                    "INSERT INTO reception_schedules (office_id, schedule, slot_minutes, horizon_days, lead_minutes, \
                     cutoff_minutes, max_moves, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (office_id) DO UPDATE SET schedule = excluded.schedule, slot_minutes = excluded.slot_minutes, \
                     horizon_days = excluded.horizon_days, lead_minutes = excluded.lead_minutes, \
                     cutoff_minutes = excluded.cutoff_minutes, max_moves = excluded.max_moves, updated_at = excluded.updated_at",
                )
                .bind(s.office_id)
                .bind(s.schedule.clone())
                .bind(s.slot_minutes)
                .bind(s.horizon_days)
                .bind(s.lead_minutes)
                .bind(s.cutoff_minutes)
                .bind(s.max_moves)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err($crate::StoreError::from_insert)?;
                $crate::shared::audit!(self, tx, now, Some(by.id), Some(by.role.as_str()), by.office_id, "schedule.saved", Some(s.office_id), format!("slot={} displaced={}", s.slot_minutes, displaced.appointments.len()));
                tx.commit().await?;
                Ok(())
            }

            async fn schedule_of(&self, office_id: uuid::Uuid) -> $crate::Result<Option<$crate::ReceptionSchedule>> {
                use sqlx::Row;
                let row = sqlx::query(
                    "SELECT office_id, schedule, slot_minutes, horizon_days, lead_minutes, cutoff_minutes, max_moves \
                     FROM reception_schedules WHERE office_id = $1",
                )
                .bind(office_id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(match row {
                    Some(r) => Some($crate::ReceptionSchedule {
                        office_id: r.try_get("office_id")?,
                        schedule: r.try_get("schedule")?,
                        slot_minutes: r.try_get("slot_minutes")?,
                        horizon_days: r.try_get("horizon_days")?,
                        lead_minutes: r.try_get("lead_minutes")?,
                        cutoff_minutes: r.try_get("cutoff_minutes")?,
                        max_moves: r.try_get("max_moves")?,
                    }),
                    None => None,
                })
            }

            async fn taken_places(&self, office_id: uuid::Uuid, from_ms: i64, to_ms: i64) -> $crate::Result<Vec<(i64, i64)>> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT start_ms, taken FROM slot_places WHERE office_id = $1 AND start_ms >= $2 AND start_ms < $3 AND taken > 0",
                )
                .bind(office_id)
                .bind(from_ms)
                .bind(to_ms)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(|r| Ok((r.try_get("start_ms")?, r.try_get("taken")?))).collect()
            }

            async fn live_appointment(&self, application_id: uuid::Uuid) -> $crate::Result<Option<$crate::AppointmentRecord>> {
                use sqlx::Row;
                let sql = sqlx::AssertSqlSafe(format!(
                    "{} WHERE application_id = $1 AND status = 'booked'",
                    $crate::shared::visits::SELECT_APPOINTMENT
                ));
                let row = sqlx::query(sql).bind(application_id).fetch_optional(&self.pool).await?;
                Ok(match row {
                    Some(r) => Some($crate::shared::visits::appointment_from_row!(r)),
                    None => None,
                })
            }

            async fn book(&self, b: $crate::Booking, now: i64) -> $crate::Result<$crate::Once<$crate::AppointmentRecord>> {
                use sqlx::Row;
                let mut tx = self.begin_write().await?;
                $crate::shared::applications::claim_key!(tx, b.booked_by, b.idem, b.id, now);
                // The application's row first: its bookings are one at a time.
                let status: Option<String> = sqlx::query_scalar(
                    "UPDATE applications SET updated_at = updated_at WHERE id = $1 AND account_id = $2 RETURNING status",
                )
                .bind(b.application_id)
                .bind(b.account_id)
                .fetch_optional(&mut *tx)
                .await?;
                if status.is_none() {
                    return Err($crate::StoreError::NotFound);
                }
                let mut moves = 0i64;
                if let Some(old) = b.replaces {
                    let row = sqlx::query(
                        "UPDATE appointments SET status = 'moved', updated_at = $3 WHERE id = $1 AND application_id = $2 \
                         AND status = 'booked' RETURNING office_id, start_ms, minutes, places, moves, displaced_at",
                    )
                    .bind(old)
                    .bind(b.application_id)
                    .bind(now)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let Some(row) = row else {
                        return Err($crate::StoreError::Conflict("visit.changed"));
                    };
                    // A move the office caused (a displaced booking) or made is not the person's.
                    let counts = row.try_get::<Option<i64>, _>("displaced_at")?.is_none() && b.booked_by == b.account_id;
                    moves = row.try_get::<i64, _>("moves")? + i64::from(counts);
                    $crate::shared::visits::free_places!(tx, row);
                }
                // Taken in the statement that checks it is free, against the
                // windows the schedule gives the slot now (the stored capacity
                // follows them, and the table's CHECK holds taken to it). A
                // losing request never holds the slot's row: it reads it full.
                for (place, windows) in &b.places {
                    let take = || {
                        sqlx::query(
                            "UPDATE slot_places SET taken = taken + 1, capacity = $3 \
                             WHERE office_id = $1 AND start_ms = $2 AND taken < $3",
                        )
                        .bind(b.office_id)
                        .bind(*place)
                        .bind(*windows)
                    };
                    let mut took = take().execute(&mut *tx).await?.rows_affected();
                    if took == 0 {
                        // The slot's first booking makes its row; a concurrent first wins the insert.
                        took = sqlx::query(
                            "INSERT INTO slot_places (office_id, start_ms, capacity, taken) VALUES ($1, $2, $3, 1) \
                             ON CONFLICT (office_id, start_ms) DO NOTHING",
                        )
                        .bind(b.office_id)
                        .bind(*place)
                        .bind(*windows)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                        if took == 0 {
                            took = take().execute(&mut *tx).await?.rows_affected();
                        }
                    }
                    // One of its places full: nothing of the booking stays (the transaction rolls back).
                    if took == 0 {
                        return Err($crate::StoreError::Conflict("visit.taken"));
                    }
                }

                sqlx::query(
                    "INSERT INTO appointments (id, application_id, office_id, start_ms, minutes, status, moves, created_at, updated_at, booked_by, places) \
                     VALUES ($1, $2, $3, $4, $5, 'booked', $6, $7, $7, $8, $9)",
                )
                .bind(b.id)
                .bind(b.application_id)
                .bind(b.office_id)
                .bind(b.start_ms)
                .bind(b.minutes)
                .bind(moves)
                .bind(now)
                .bind(b.booked_by)
                .bind(i64::try_from(b.places.len()).unwrap_or(1))
                .execute(&mut *tx)
                .await
                .map_err(|e| match &e {
                    sqlx::Error::Database(db) if db.is_unique_violation() => $crate::StoreError::Conflict("visit.already_booked"),
                    _ => $crate::StoreError::Database(e),
                })?;
                if let Some(t) = b.transition {
                    let _ = $crate::shared::cases::apply_transition!(self, tx, t, now);
                }
                $crate::shared::audit!(self, tx, now, Some(b.booked_by), "visit.booked", Some(b.application_id), format!("{} {}", b.office_id, b.start_ms));
                for job in b.jobs {
                    $crate::shared::enqueue!(tx, job, now);
                }
                tx.commit().await?;
                Ok($crate::Once::Done($crate::AppointmentRecord {
                    id: b.id,
                    application_id: b.application_id,
                    office_id: b.office_id,
                    start_ms: b.start_ms,
                    minutes: b.minutes,
                    places: i64::try_from(b.places.len()).unwrap_or(1),
                    status: domain::schedule::VisitState::Booked,
                    moves,
                    displaced: false,
                }))
            }

            async fn cancel_booking(&self, t: $crate::Transition, account_id: uuid::Uuid, now: i64) -> $crate::Result<()> {
                use sqlx::Row;
                let mut tx = self.begin_write().await?;
                let mine: Option<String> = sqlx::query_scalar(
                    "UPDATE applications SET updated_at = updated_at WHERE id = $1 AND account_id = $2 RETURNING status",
                )
                .bind(t.id)
                .bind(account_id)
                .fetch_optional(&mut *tx)
                .await?;
                if mine.is_none() {
                    return Err($crate::StoreError::NotFound);
                }
                let row = sqlx::query(
                    "UPDATE appointments SET status = 'cancelled', updated_at = $2 WHERE application_id = $1 \
                     AND status = 'booked' RETURNING office_id, start_ms, minutes, places",
                )
                .bind(t.id)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(row) = row else {
                    return Err($crate::StoreError::Conflict("visit.none"));
                };
                let start: i64 = row.try_get("start_ms")?;
                $crate::shared::visits::free_places!(tx, row);
                let application = t.id;
                let _ = $crate::shared::cases::apply_transition!(self, tx, t, now);
                $crate::shared::audit!(self, tx, now, Some(account_id), "visit.cancelled", Some(application), start.to_string());
                tx.commit().await?;
                Ok(())
            }

            async fn live_bookings(&self, office_id: uuid::Uuid, from_ms: i64) -> $crate::Result<Vec<$crate::AppointmentRecord>> {
                use sqlx::Row;
                let sql = sqlx::AssertSqlSafe(format!(
                    "{} WHERE office_id = $1 AND start_ms >= $2 AND status = 'booked' ORDER BY start_ms, id",
                    $crate::shared::visits::SELECT_APPOINTMENT
                ));
                let rows = sqlx::query(sql).bind(office_id).bind(from_ms).fetch_all(&self.pool).await?;
                rows.iter().map(|r| Ok($crate::shared::visits::appointment_from_row!(r))).collect()
            }

            async fn day_visits(&self, office_id: uuid::Uuid, from_ms: i64, to_ms: i64) -> $crate::Result<Vec<$crate::DayVisit>> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT v.id, v.application_id, v.office_id, v.start_ms, v.minutes, v.places, v.status, v.moves, v.displaced_at, \
                     v.arrived_at, v.outcome, a.number, a.service, a.status AS application_status, a.version, \
                     p.surname, p.given_name, p.patronymic \
                     FROM appointments v JOIN applications a ON a.id = v.application_id JOIN accounts p ON p.id = a.account_id \
                     WHERE v.office_id = $1 AND v.start_ms >= $2 AND v.start_ms < $3 \
                     AND v.status IN ('booked', 'arrived', 'missed', 'served') ORDER BY v.start_ms, v.id",
                )
                .bind(office_id)
                .bind(from_ms)
                .bind(to_ms)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        let status: String = r.try_get("application_status")?;
                        Ok($crate::DayVisit {
                            appointment: $crate::shared::visits::appointment_from_row!(r),
                            arrived_at: r.try_get("arrived_at")?,
                            outcome: r.try_get("outcome")?,
                            number: r.try_get("number")?,
                            service: r.try_get("service")?,
                            application_status: domain::application::Status::parse(&status)
                                .ok_or_else(|| $crate::StoreError::Corrupt(format!("status {status}")))?,
                            version: r.try_get("version")?,
                            surname: r.try_get("surname")?,
                            given_name: r.try_get("given_name")?,
                            patronymic: r.try_get("patronymic")?,
                        })
                    })
                    .collect()
            }

            async fn appointment(&self, id: uuid::Uuid) -> $crate::Result<Option<$crate::AppointmentRecord>> {
                use sqlx::Row;
                let sql = sqlx::AssertSqlSafe(format!("{} WHERE id = $1", $crate::shared::visits::SELECT_APPOINTMENT));
                let row = sqlx::query(sql).bind(id).fetch_optional(&self.pool).await?;
                Ok(match row {
                    Some(r) => Some($crate::shared::visits::appointment_from_row!(r)),
                    None => None,
                })
            }

            async fn record_arrival(&self, id: uuid::Uuid, by: &$crate::StaffActor, now: i64) -> $crate::Result<()> {
                let Some(office) = by.office_id else {
                    return Err($crate::StoreError::NotFound);
                };
                let mut tx = self.begin_write().await?;
                let application: Option<uuid::Uuid> = sqlx::query_scalar(
                    "UPDATE appointments SET status = 'arrived', arrived_at = $3, updated_at = $3 \
                     WHERE id = $1 AND office_id = $2 AND status = 'booked' RETURNING application_id",
                )
                .bind(id)
                .bind(office)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(application) = application else {
                    return Err($crate::StoreError::Conflict("visit.changed"));
                };
                $crate::shared::audit!(self, tx, now, Some(by.id), Some(by.role.as_str()), Some(office), "visit.arrived", Some(application), id.to_string());
                tx.commit().await?;
                Ok(())
            }

            async fn close_visit(&self, c: $crate::VisitClose, now: i64) -> $crate::Result<i64> {
                let mut tx = self.begin_write().await?;
                let application: Option<uuid::Uuid> = sqlx::query_scalar(
                    "UPDATE appointments SET status = $3, outcome = $4, updated_at = $5 \
                     WHERE id = $1 AND office_id = $2 AND status IN ('booked', 'arrived') RETURNING application_id",
                )
                .bind(c.appointment)
                .bind(c.office_id)
                .bind(c.state.as_str())
                .bind(c.outcome)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                if application != Some(c.transition.id) {
                    return Err($crate::StoreError::Conflict("visit.changed"));
                }
                let version = $crate::shared::cases::apply_transition!(self, tx, c.transition, now);
                tx.commit().await?;
                Ok(version)
            }
        }
    };
}
pub(crate) use impl_visit_store;
