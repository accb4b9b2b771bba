use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use store::{Job, Store};
use tokio::sync::watch;

/// Why a job did not finish.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Try again later (a server down, a timeout).
    #[error("temporary: {0}")]
    Temporary(String),
    /// Retrying cannot help; the job is given up at once.
    #[error("permanent: {0}")]
    Permanent(String),
}

/// Handles one kind of job. Must be idempotent: a job may run more than once
/// (a worker can die after the I/O and before marking it done).
#[async_trait]
pub trait JobHandler: Send + Sync {
    async fn handle(&self, job: &Job) -> Result<(), JobError>;
}

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Names this worker in job leases; unique per process.
    pub worker_id: String,
    pub lease_ms: i64,
    /// Sleep when no job is due.
    pub idle_poll: Duration,
    /// Lanes: each claims a batch, runs its jobs side by side, records
    /// them, and claims again. At most `concurrency × batch` jobs run at once.
    pub concurrency: usize,
    /// Jobs a lane claims at once (one write for the claim, one for all the
    /// successes): under load the writes per job shrink; when few are due a
    /// lane takes what there is.
    pub batch: u32,
    /// A job running longer is stopped and retried later; keep it below
    /// `lease_ms`, so no other worker takes the job over while it runs.
    pub time_limit: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            worker_id: format!("worker-{}", uuid::Uuid::new_v4().simple()),
            lease_ms: 60_000,
            idle_poll: Duration::from_millis(500),
            concurrency: 4,
            batch: 8,
            time_limit: Duration::from_secs(45),
        }
    }
}

/// Exponential backoff after the `attempts`-th failure (1 s, 2 s, 4 s, …),
/// plus up to a fifth of jitter so retries spread out, capped at five minutes.
pub fn backoff_ms(attempts: u32, jitter: f64) -> i64 {
    let base = 1_000i64.saturating_mul(1i64 << attempts.saturating_sub(1).min(20));
    let jitter = jitter.clamp(0.0, 1.0);
    // Truncation is fine: this is a delay in milliseconds.
    #[allow(clippy::cast_possible_truncation)]
    let spread = (base as f64 * 0.2 * jitter) as i64;
    (base + spread).min(300_000)
}

pub struct Worker {
    store: Arc<dyn Store>,
    handlers: HashMap<String, Arc<dyn JobHandler>>,
    config: WorkerConfig,
    clock: fn() -> i64,
}

impl Worker {
    pub fn new(store: Arc<dyn Store>, config: WorkerConfig, clock: fn() -> i64) -> Self {
        Self {
            store,
            handlers: HashMap::new(),
            config,
            clock,
        }
    }

    pub fn handle(mut self, kind: &str, handler: Arc<dyn JobHandler>) -> Self {
        self.handlers.insert(kind.to_owned(), handler);
        self
    }

    /// Runs until `shutdown` turns true; jobs in progress are finished first.
    pub async fn run(self, shutdown: watch::Receiver<bool>) {
        let this = Arc::new(self);
        let mut lanes = Vec::new();
        for lane in 0..this.config.concurrency.max(1) {
            let me = this.clone();
            let mut stop = shutdown.clone();
            lanes.push(tokio::spawn(async move {
                let id = format!("{}-{lane}", me.config.worker_id);
                loop {
                    if *stop.borrow() {
                        break;
                    }
                    let worked = me.run_one(&id).await;
                    if !worked {
                        tokio::select! {
                            _ = tokio::time::sleep(me.config.idle_poll) => {}
                            // A dropped sender (Err) disables this branch: keep polling, not spinning.
                            Ok(()) = stop.changed() => {}
                        }
                    }
                }
            }));
        }
        for lane in lanes {
            let _ = lane.await;
        }
    }

    /// Claims a batch of due jobs and runs them side by side; false when none
    /// was due (or the store failed). Each runs under its own time limit,
    /// shorter than the lease, so all end within the batch's lease. A
    /// failure is recorded when it ends; successes are recorded together,
    /// at the latest [`RECORD_WITHIN`] after the first of them ended, so one
    /// slow job does not keep the others unrecorded (to be run again if this
    /// process died meanwhile).
    pub async fn run_one(&self, worker: &str) -> bool {
        use futures_util::StreamExt;
        let now = (self.clock)();
        let jobs = match self
            .store
            .claim_jobs(worker, now, self.config.lease_ms, self.config.batch.max(1))
            .await
        {
            Ok(jobs) if jobs.is_empty() => return false,
            Ok(jobs) => jobs,
            Err(e) => {
                tracing::error!(error = %e, "cannot claim a job");
                return false;
            }
        };
        let mut running: futures_util::stream::FuturesUnordered<_> = jobs
            .iter()
            .map(|job| async move {
                let outcome = match self.handlers.get(&job.kind) {
                    Some(h) => self.run_handler(h.clone(), job).await,
                    None => Err(JobError::Permanent(format!("no handler for {}", job.kind))),
                };
                (job, outcome)
            })
            .collect();
        let mut done = Vec::new();
        let mut first_done: Option<tokio::time::Instant> = None;
        loop {
            let next = match first_done {
                Some(at) => tokio::select! {
                    next = running.next() => next,
                    () = tokio::time::sleep_until(at + RECORD_WITHIN) => {
                        self.record_done(std::mem::take(&mut done), worker).await;
                        first_done = None;
                        continue;
                    }
                },
                None => running.next().await,
            };
            let Some((job, outcome)) = next else { break };
            match outcome {
                Ok(()) => {
                    log_done(&job.kind, "done");
                    done.push(job.id);
                    first_done.get_or_insert_with(tokio::time::Instant::now);
                }
                Err(e) => self.record_failure(job, worker, &e, (self.clock)()).await,
            }
        }
        self.record_done(done, worker).await;
        true
    }

    /// Marks jobs done in one statement.
    async fn record_done(&self, done: Vec<uuid::Uuid>, worker: &str) {
        match self
            .store
            .complete_jobs(&done, worker, (self.clock)())
            .await
        {
            Ok(n) if n == done.len() as u64 => {}
            Ok(n) => tracing::warn!(
                lost = done.len() as u64 - n,
                "lease lost before a job was recorded"
            ),
            Err(e) => tracing::error!(error = %e, jobs = done.len(), "cannot record jobs done"),
        }
    }

    /// A retry after backoff, or the job given up on a permanent error.
    async fn record_failure(&self, job: &Job, worker: &str, e: &JobError, now: i64) {
        let give_up = matches!(e, JobError::Permanent(_));
        let run_at = now + backoff_ms(job.attempts, rand::random::<f64>());
        tracing::warn!(kind = %job.kind, job = %job.id, attempts = job.attempts, error = %e, "job failed");
        log_done(&job.kind, "failed");
        let result = if give_up {
            self.store
                .give_up_job(job.id, worker, &e.to_string(), now)
                .await
        } else {
            self.store
                .retry_job(job.id, worker, &e.to_string(), run_at, now)
                .await
        };
        match result {
            Ok(true) => {}
            Ok(false) => tracing::warn!(job = %job.id, "lease lost before the job was recorded"),
            Err(e) => tracing::error!(job = %job.id, error = %e, "cannot record job outcome"),
        }
    }
}

impl Worker {
    /// Runs a handler in its own task with a time limit: a handler that
    /// panics or hangs fails its job (to be retried), never the worker.
    async fn run_handler(&self, handler: Arc<dyn JobHandler>, job: &Job) -> Result<(), JobError> {
        let owned = job.clone();
        let mut task = tokio::spawn(async move { handler.handle(&owned).await });
        match tokio::time::timeout(self.config.time_limit, &mut task).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(e)) => {
                tracing::error!(kind = %job.kind, job = %job.id, error = %e, "job handler panicked");
                Err(JobError::Temporary(format!("handler panicked: {e}")))
            }
            Err(_) => {
                task.abort();
                Err(JobError::Temporary(format!(
                    "handler ran past its time limit of {} s",
                    self.config.time_limit.as_secs()
                )))
            }
        }
    }
}

/// How long a finished job of a batch may wait for the others before the
/// ones finished so far are recorded without them.
pub const RECORD_WITHIN: Duration = Duration::from_millis(500);

/// One line per finished job, for operators following the log.
fn log_done(kind: &str, outcome: &str) {
    tracing::debug!(kind, outcome, "job finished");
}
