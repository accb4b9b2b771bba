-- The stuck (dead) jobs an administrator lists and revives, without a
-- scan of every finished job.
CREATE INDEX jobs_dead ON jobs (done_at) WHERE outcome = 'dead';
