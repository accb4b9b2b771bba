//! The lifecycle's steps and the office side of applications.

/// An open application, as the partial index `applications_open_queue`
/// (migration 0018) states it.
const OPEN: &str = "a.status NOT IN ('draft', 'completed', 'rejected', 'cancelled')";

/// The queue's condition (constants only: the SQL is never built from input).
pub(crate) fn queue_condition(q: Option<domain::lifecycle::Queue>) -> &'static str {
    use domain::lifecycle::Queue;
    match q {
        // As in the partial index `applications_open_queue` (migration 0018),
        // word for word: the planner proves the index's predicate from it.
        None => OPEN,
        Some(Queue::New) => "a.status = 'submitted' AND NOT a.resubmitted",
        Some(Queue::Resubmitted) => "a.status = 'submitted' AND a.resubmitted",
        // As in the partial index `applications_accepted_queue` (migration 0018).
        Some(Queue::Accepted) => "a.status IN ('accepted', 'visit_done')",
        Some(Queue::AwaitingVisit) => "a.status = 'invited'",
        Some(Queue::InProduction) => "a.status = 'in_production'",
        Some(Queue::Ready) => "a.status = 'ready'",
        // The statuses in which the deadline runs (`lifecycle::deadline_runs`).
        // The open condition too, so the open index serves it (oldest first,
        // and the overdue are the oldest).
        Some(Queue::Overdue) => {
            "a.status NOT IN ('draft', 'completed', 'rejected', 'cancelled') AND a.deadline < $2 \
             AND a.status IN ('submitted', 'accepted', 'invited', 'visit_done', 'in_production')"
        }
    }
}

/// Applies one lifecycle step inside the caller's transaction: the status,
/// the history entry, the audit event, the outbox jobs; evaluates to the new
/// version, or returns `Stale` / `NotFound` from the caller.
macro_rules! apply_transition {
    ($self:expr, $tx:expr, $t:expr, $now:expr) => {{
        use domain::application::Status;
        let t: $crate::Transition = $t;
        let now: i64 = $now;
        let (scope, scope_id, actor, role, office) = match &t.by {
            $crate::StepBy::Owner(id) => ("account_id = $10", Some(*id), Some(*id), None, None),
            $crate::StepBy::Staff(s) => {
                // Staff without an office work no applications.
                let Some(office) = s.office_id else {
                    return Err($crate::StoreError::NotFound);
                };
                ("office_id = $10", Some(office), Some(s.id), Some(s.role.as_str()), Some(office))
            }
            $crate::StepBy::System => ("$10 IS NULL", None, None, None, None),
        };
        let closes = !t.to.is_open();
        let resubmits = t.from == Status::Returned && t.to == Status::Submitted;
        let (key_id, sealed) = match t.answers {
            Some((k, s)) => (Some(k), Some(s)),
            None => (None, None),
        };
        let sql = sqlx::AssertSqlSafe(format!(
            "UPDATE applications SET status = $3, version = version + 1, updated_at = $4, \
             open_key = CASE WHEN $5 THEN NULL ELSE open_key END, \
             resubmitted = CASE WHEN $6 THEN TRUE ELSE resubmitted END, \
             key_id = COALESCE($7, key_id), sealed = COALESCE($8, sealed) \
             WHERE id = $1 AND version = $2 AND status = $9 AND {scope} RETURNING version, number"
        ));
        let row = sqlx::query(sql)
            .bind(t.id)
            .bind(t.version)
            .bind(t.to.as_str())
            .bind(now)
            .bind(closes)
            .bind(resubmits)
            .bind(key_id)
            .bind(sealed)
            .bind(t.from.as_str())
            .bind(scope_id)
            .fetch_optional(&mut *$tx)
            .await?;
        let Some(row) = row else {
            // Not applied: outside the scope reads as absent; else it changed.
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT id FROM applications WHERE id = $1 AND {}",
                scope.replace("$10", "$2")
            ));
            let there: Option<uuid::Uuid> = sqlx::query_scalar(sql)
                .bind(t.id)
                .bind(scope_id)
                .fetch_optional(&mut *$tx)
                .await?;
            return Err(match there {
                Some(_) => $crate::StoreError::Stale,
                None => $crate::StoreError::NotFound,
            });
        };
        use sqlx::Row;
        let version: i64 = row.try_get("version")?;
        let number: Option<String> = row.try_get("number")?;
        sqlx::query(
            "INSERT INTO application_events (id, application_id, at, actor_id, from_status, to_status, note) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(uuid::Uuid::now_v7())
        .bind(t.id)
        .bind(now)
        .bind(actor)
        .bind(t.from.as_str())
        .bind(t.to.as_str())
        .bind(t.note)
        .execute(&mut *$tx)
        .await?;
        if t.from == Status::Invited {
            $crate::shared::visits::end_booking!($tx, t.id, t.to, now);
        }
        if matches!(t.to, Status::Cancelled | Status::Rejected) {
            $crate::shared::payments::end_charge!($tx, t.id, t.to, now);
        }
        let action = format!("application.{}", t.to.as_str());
        let details = format!("{} {}→{}", number.unwrap_or_default(), t.from.as_str(), t.to.as_str());
        $crate::shared::audit!($self, $tx, now, actor, role, office, action, Some(t.id), details);
        for job in t.jobs {
            $crate::shared::enqueue!($tx, job, now);
        }
        if let Some(c) = t.consent {
            $crate::shared::insert_consent!($tx, t.id, c, now);
        }
        version
    }};
}
pub(crate) use apply_transition;

macro_rules! impl_case_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::CaseStore for $store {
            async fn transition(&self, t: $crate::Transition, now: i64) -> $crate::Result<i64> {
                let mut tx = self.begin_write().await?;
                let version = $crate::shared::cases::apply_transition!(self, tx, t, now);
                tx.commit().await?;
                Ok(version)
            }

            async fn application_by_id(&self, id: uuid::Uuid) -> $crate::Result<Option<$crate::ApplicationRecord>> {
                let sql = sqlx::AssertSqlSafe(format!("{} WHERE id = $1", $crate::shared::SELECT_APPLICATION));
                let row = sqlx::query(sql).bind(id).fetch_optional(&self.pool).await?;
                row.as_ref().map($crate::shared::application_from_row).transpose()
            }

            async fn history_of(&self, id: uuid::Uuid) -> $crate::Result<Vec<$crate::ApplicationEvent>> {
                let rows = sqlx::query(
                    "SELECT at, actor_id, from_status, to_status, note FROM application_events \
                     WHERE application_id = $1 ORDER BY at, id",
                )
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map($crate::shared::event_from_row).collect()
            }

            async fn office_queue(&self, q: $crate::QueueQuery) -> $crate::Result<Vec<$crate::QueueRow>> {
                use sqlx::Row;
                let office = if q.office_id.is_some() { "a.office_id = $1" } else { "a.office_id IS NULL AND $1 IS NULL" };
                let sql = sqlx::AssertSqlSafe(format!(
                    "SELECT a.id, a.account_id, a.number, a.service, a.status, a.version, a.submitted_at, \
                     a.deadline, a.resubmitted, c.surname, c.given_name, c.patronymic, \
                     (SELECT COUNT(*) FROM messages m WHERE m.application_id = a.id \
                      AND NOT m.from_office AND m.read_at IS NULL) AS unread \
                     FROM applications a JOIN accounts c ON c.id = a.account_id \
                     WHERE {office} AND {} AND ($2 = $2) \
                     AND ($3 IS NULL OR a.number = $3) AND {} \
                     AND ($5 IS NULL OR a.service = $5) \
                     AND {} \
                     ORDER BY a.submitted_at, a.id LIMIT $8",
                    $crate::shared::cases::queue_condition(q.queue),
                    // As the cursor below: a plain condition, in its own
                    // statement (each database's own, `SURNAME_MATCH`).
                    if q.surname.is_some() { <$store>::SURNAME_MATCH } else { "$4 IS NULL" },
                    // A row comparison the index seeks to; an OR with the
                    // first page's NULLs made it walk from the start or sort
                    // the whole queue (0.9 s at 10 M applications).
                    if q.after.is_some() {
                        "(a.submitted_at, a.id) > ($6, $7)"
                    } else {
                        "$6 IS NULL AND $7 IS NULL"
                    }
                ));
                let (after_at, after_id) = match q.after {
                    Some((at, id)) => (Some(at), Some(id)),
                    None => (None, None),
                };
                // A search is planned for its very prefix each time (a
                // statement kept prepared gets one plan for every prefix,
                // which cannot use the index: 107–168 ms at 2 M accounts).
                let searching = q.surname.is_some();
                let rows = sqlx::query(sql)
                    .persistent(!searching)
                    .bind(q.office_id)
                    .bind(q.today)
                    .bind(q.number)
                    .bind(q.surname.map(|s| format!("{s}%")))
                    .bind(q.service)
                    .bind(after_at)
                    .bind(after_id)
                    .bind(i64::from(q.limit))
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| {
                        let status: String = r.try_get("status")?;
                        Ok($crate::QueueRow {
                            id: r.try_get("id")?,
                            account_id: r.try_get("account_id")?,
                            number: r.try_get("number")?,
                            service: r.try_get("service")?,
                            status: $crate::shared::app_status(&status)?,
                            version: r.try_get("version")?,
                            submitted_at: r.try_get::<Option<i64>, _>("submitted_at")?.unwrap_or_default(),
                            deadline: r.try_get("deadline")?,
                            resubmitted: r.try_get("resubmitted")?,
                            surname: r.try_get("surname")?,
                            given_name: r.try_get("given_name")?,
                            patronymic: r.try_get("patronymic")?,
                            unread: r.try_get("unread")?,
                        })
                    })
                    .collect()
            }

            async fn reassign(
                &self,
                id: uuid::Uuid,
                version: i64,
                from: Option<uuid::Uuid>,
                to: uuid::Uuid,
                by: &$crate::StaffActor,
                now: i64,
            ) -> $crate::Result<i64> {
                use sqlx::Row;
                let mut tx = self.begin_write().await?;
                let office = if from.is_some() { "office_id = $5" } else { "office_id IS NULL AND $5 IS NULL" };
                let sql = sqlx::AssertSqlSafe(format!(
                    "UPDATE applications SET office_id = $3, version = version + 1, updated_at = $4 \
                     WHERE id = $1 AND version = $2 AND {office} AND status NOT IN ('draft', 'completed', 'rejected', 'cancelled') \
                     RETURNING version, status"
                ));
                let row = sqlx::query(sql)
                    .bind(id)
                    .bind(version)
                    .bind(to)
                    .bind(now)
                    .bind(from)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err($crate::StoreError::from_insert)?;
                let Some(row) = row else {
                    let sql = sqlx::AssertSqlSafe(format!("SELECT id FROM applications WHERE id = $1 AND {}", office.replace("$5", "$2")));
                    let there: Option<uuid::Uuid> = sqlx::query_scalar(sql).bind(id).bind(from).fetch_optional(&mut *tx).await?;
                    return Err(match there {
                        Some(_) => $crate::StoreError::Stale,
                        None => $crate::StoreError::NotFound,
                    });
                };
                let version: i64 = row.try_get("version")?;
                let status: String = row.try_get("status")?;
                let note = serde_json::json!({"reassigned": {"from": from, "to": to}}).to_string();
                sqlx::query(
                    "INSERT INTO application_events (id, application_id, at, actor_id, from_status, to_status, note) \
                     VALUES ($1, $2, $3, $4, $5, $5, $6)",
                )
                .bind(uuid::Uuid::now_v7())
                .bind(id)
                .bind(now)
                .bind(by.id)
                .bind(status)
                .bind(note)
                .execute(&mut *tx)
                .await?;
                let details = format!("to={to}");
                $crate::shared::audit!(self, tx, now, Some(by.id), Some(by.role.as_str()), by.office_id, "application.reassigned", Some(id), details);
                tx.commit().await?;
                Ok(version)
            }
        }
    };
}
pub(crate) use impl_case_store;
