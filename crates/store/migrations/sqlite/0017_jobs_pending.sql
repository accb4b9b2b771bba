-- The worker's claim (`CLAIM_JOB_SQL`) takes the earliest due job not done:
-- walked in this order it stops at the first it may take. With the index on
-- (done_at, run_at) alone it read every due job and sorted them by id, so a
-- backlog made each claim slower (measured: ~2,000 rows read per claim
-- under the load tool's `send`).
CREATE INDEX jobs_pending ON jobs (run_at, id) WHERE done_at IS NULL;
