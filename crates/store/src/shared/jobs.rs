macro_rules! impl_job_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::JobStore for $store {
            async fn enqueue(&self, job: $crate::NewJob, now: i64) -> $crate::Result<()> {
                let mut tx = self.begin_write().await?;
                $crate::shared::enqueue!(tx, job, now);
                tx.commit().await?;
                Ok(())
            }

            async fn begin_delivery(&self, key: &str, now: i64) -> $crate::Result<bool> {
                let sent: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO deliveries (key, attempts, started_at) VALUES ($1, 1, $2) \
                     ON CONFLICT (key) DO UPDATE SET attempts = deliveries.attempts + 1 RETURNING sent_at",
                )
                .bind(key)
                .bind(now)
                .fetch_one(&self.writer)
                .await?;
                Ok(sent.is_some())
            }

            async fn mark_delivered(&self, key: &str, now: i64) -> $crate::Result<()> {
                sqlx::query("UPDATE deliveries SET sent_at = $2 WHERE key = $1 AND sent_at IS NULL")
                    .bind(key)
                    .bind(now)
                    .execute(&self.writer)
                    .await?;
                Ok(())
            }

            async fn claim_jobs(
                &self,
                worker: &str,
                now: i64,
                lease_ms: i64,
                limit: u32,
            ) -> $crate::Result<Vec<$crate::Job>> {
                use sqlx::Row;
                if limit == 0 {
                    return Ok(Vec::new());
                }
                // One statement for the whole batch, no BEGIN and COMMIT
                // round trips of its own (on SQLite a member of the writer's
                // group, `sqlite_group`).
                //
                // Planned afresh each time on PostgreSQL: a prepared
                // statement's generic plan, fixed after its first few runs,
                // kept the plan made while the table was nearly empty — a
                // scan of every job, done or not — as the table grew (seen
                // under load: a claim read each of 7 000 rows). The claim
                // runs a few dozen times a second; planning it costs little.
                let rows = sqlx::query(<$store>::CLAIM_JOBS_SQL)
                    .persistent(<$store>::DIALECT == $crate::shared::Dialect::Sqlite)
                    .bind(worker.to_owned())
                    .bind(now + lease_ms)
                    .bind(now)
                    .bind(i64::from(limit))
                    .fetch_all(&self.writer)
                    .await?;
                let jobs = rows
                    .iter()
                    .map(|r| {
                        Ok($crate::Job {
                            id: r.try_get("id")?,
                            kind: r.try_get("kind")?,
                            payload: r.try_get("payload")?,
                            attempts: $crate::shared::count(r.try_get("attempts")?),
                            max_attempts: $crate::shared::count(r.try_get("max_attempts")?),
                        })
                    })
                    .collect::<$crate::Result<Vec<_>>>()?;
                Ok(jobs)
            }

            async fn complete_jobs(
                &self,
                ids: &[uuid::Uuid],
                worker: &str,
                now: i64,
            ) -> $crate::Result<u64> {
                if ids.is_empty() {
                    return Ok(0);
                }
                let sql = sqlx::AssertSqlSafe($crate::shared::complete_jobs_sql(ids.len()));
                let mut q = sqlx::query(sql).bind(worker.to_owned()).bind(now);
                for id in ids {
                    q = q.bind(*id);
                }
                Ok(q.execute(&self.writer).await?.rows_affected())
            }

            async fn retry_job(
                &self,
                id: uuid::Uuid,
                worker: &str,
                error: &str,
                run_at: i64,
                now: i64,
            ) -> $crate::Result<bool> {
                let done = sqlx::query(
                    "UPDATE jobs SET run_at = $3, last_error = $4, locked_by = NULL, locked_until = NULL, \
                     done_at = CASE WHEN attempts >= max_attempts THEN $5 ELSE NULL END, \
                     outcome = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE NULL END \
                     WHERE id = $1 AND locked_by = $2 AND done_at IS NULL",
                )
                .bind(id)
                .bind(worker)
                .bind(run_at)
                .bind(error)
                .bind(now)
                .execute(&self.writer)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn give_up_job(
                &self,
                id: uuid::Uuid,
                worker: &str,
                error: &str,
                now: i64,
            ) -> $crate::Result<bool> {
                let done = sqlx::query(
                    "UPDATE jobs SET last_error = $3, locked_by = NULL, locked_until = NULL, \
                     done_at = $4, outcome = 'dead' WHERE id = $1 AND locked_by = $2 AND done_at IS NULL",
                )
                .bind(id)
                .bind(worker)
                .bind(error)
                .bind(now)
                .execute(&self.writer)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn job_stats(&self) -> $crate::Result<$crate::JobStats> {
                use sqlx::Row;
                let r = sqlx::query(
                    "SELECT \
                     COALESCE(SUM(CASE WHEN done_at IS NULL THEN 1 ELSE 0 END), 0) AS pending, \
                     COALESCE(SUM(CASE WHEN outcome = 'done' THEN 1 ELSE 0 END), 0) AS done, \
                     COALESCE(SUM(CASE WHEN outcome = 'dead' THEN 1 ELSE 0 END), 0) AS dead \
                     FROM jobs",
                )
                .fetch_one(&self.pool)
                .await?;
                let get = |name: &str| -> $crate::Result<u64> {
                    let v: i64 = r.try_get(name)?;
                    Ok(u64::try_from(v).unwrap_or(0))
                };
                Ok($crate::JobStats { pending: get("pending")?, done: get("done")?, dead: get("dead")? })
            }

            async fn dead_jobs(&self, limit: u32) -> $crate::Result<Vec<$crate::DeadJob>> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT id, kind, attempts, last_error, created_at, done_at FROM jobs \
                     WHERE outcome = 'dead' ORDER BY done_at DESC LIMIT $1",
                )
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok($crate::DeadJob {
                            id: r.try_get("id")?,
                            kind: r.try_get("kind")?,
                            attempts: $crate::shared::count(r.try_get("attempts")?),
                            last_error: r.try_get("last_error")?,
                            created_at: r.try_get("created_at")?,
                            done_at: r.try_get::<Option<i64>, _>("done_at")?.unwrap_or_default(),
                        })
                    })
                    .collect()
            }

            async fn revive_dead_jobs(&self, limit: u32, now: i64) -> $crate::Result<u64> {
                // One statement: a job revived twice at once is revived once.
                let done = sqlx::query(
                    "UPDATE jobs SET done_at = NULL, outcome = NULL, attempts = 0, run_at = $2, \
                     locked_by = NULL, locked_until = NULL \
                     WHERE outcome = 'dead' AND id IN \
                     (SELECT id FROM jobs WHERE outcome = 'dead' ORDER BY done_at DESC LIMIT $1)",
                )
                .bind(i64::from(limit))
                .bind(now)
                .execute(&self.writer)
                .await?;
                Ok(done.rows_affected())
            }
        }
    };
}
pub(crate) use impl_job_store;

/// Marks the jobs `$3, $4, …` done, those still leased to worker `$1`, at `$2`.
pub(crate) fn complete_jobs_sql(n: usize) -> String {
    format!(
        "UPDATE jobs SET done_at = $2, outcome = 'done', locked_by = NULL, locked_until = NULL \
         WHERE locked_by = $1 AND done_at IS NULL AND id IN ({})",
        placeholders(n, 2)
    )
}

/// `$k+1, $k+2, …, $k+n`.
fn placeholders(n: usize, skip: usize) -> String {
    (1..=n)
        .map(|i| format!("${}", skip + i))
        .collect::<Vec<_>>()
        .join(", ")
}
