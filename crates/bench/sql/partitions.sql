-- Does partitioning by time pay? Run by `partitions.sh` against a database
-- kept by `migportal-bench scale --keep` (docs/PERFORMANCE.md). It adds
-- tables beside the portal's (names starting with `px_`); the portal's own
-- tables are only read.
\set ON_ERROR_STOP on
SET client_min_messages = warning;

-- A. The history of an application, as the case page reads it, from the
-- table as it is and from a copy partitioned by month of the event.
DROP TABLE IF EXISTS px_events, px_sample;
CREATE TABLE px_events (LIKE application_events) PARTITION BY RANGE (at);
DO $$
DECLARE
    m timestamptz;
    last timestamptz;
BEGIN
    SELECT date_trunc('month', to_timestamp(min(at) / 1000.0)),
           date_trunc('month', to_timestamp(max(at) / 1000.0))
      INTO m, last FROM application_events;
    WHILE m <= last LOOP
        EXECUTE format(
            'CREATE TABLE %I PARTITION OF px_events FOR VALUES FROM (%s) TO (%s)',
            'px_events_' || to_char(m, 'YYYYMM'),
            (extract(epoch FROM m) * 1000)::bigint,
            (extract(epoch FROM m + interval '1 month') * 1000)::bigint);
        m := m + interval '1 month';
    END LOOP;
END $$;
SELECT count(*) AS monthly_partitions FROM pg_inherits WHERE inhparent = 'px_events'::regclass;
\echo copying the history into monthly partitions
\timing on
INSERT INTO px_events SELECT * FROM application_events;
\timing off
CREATE INDEX px_events_of ON px_events (application_id, at);
ANALYZE px_events;

-- 10 000 applications at random (a 1 % block sample shuffled: the fill
-- wrote them in date order), numbered for pgbench to pick from.
CREATE TABLE px_sample AS
    SELECT row_number() OVER () AS n, id, account_id
      FROM (SELECT id, account_id FROM applications TABLESAMPLE SYSTEM (1)
            ORDER BY random() LIMIT 10000) s;
CREATE UNIQUE INDEX ON px_sample (n);
ANALYZE px_sample;

-- B. A day of the outbox at the national rate (60 000 applications, three
-- jobs each), done and due for the purge: deleted from one table, or its
-- day's partition dropped.
DROP TABLE IF EXISTS px_jobs, px_jobs_by_day;
CREATE TABLE px_jobs (LIKE jobs INCLUDING ALL);
CREATE TABLE px_jobs_by_day (LIKE jobs) PARTITION BY RANGE (created_at);
CREATE TABLE px_jobs_day1 PARTITION OF px_jobs_by_day FOR VALUES FROM (0) TO (86400000);
CREATE TABLE px_jobs_day2 PARTITION OF px_jobs_by_day FOR VALUES FROM (86400000) TO (172800000);
CREATE INDEX ON px_jobs_by_day (done_at, run_at);
-- Two days: the day to purge and the next one, still working.
INSERT INTO px_jobs (id, kind, payload, dedup_key, run_at, attempts, max_attempts, done_at, outcome, created_at)
    SELECT gen_random_uuid(), 'notify', repeat('x', 400), 'k' || g, (g - 1) * 480, 1, 8,
           CASE WHEN g <= 180000 THEN (g - 1) * 480 + 1000 END,
           CASE WHEN g <= 180000 THEN 'done' END, (g - 1) * 480
      FROM generate_series(1, 360000) g;
INSERT INTO px_jobs_by_day SELECT * FROM px_jobs;
VACUUM ANALYZE px_jobs;
VACUUM ANALYZE px_jobs_by_day;
SELECT pg_size_pretty(pg_total_relation_size('px_jobs')) AS jobs_two_days;
-- The purge of day 1, each way:
\timing on
\echo purge by DELETE, then VACUUM
DELETE FROM px_jobs WHERE done_at IS NOT NULL AND done_at < 86400000 + 1000;
VACUUM px_jobs;
\echo purge by dropping the partition of the day
DROP TABLE px_jobs_day1;
\timing off
