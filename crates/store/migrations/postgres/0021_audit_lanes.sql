-- The audit log as eight chains ("lanes") instead of one. Every audited
-- transaction held the one head row until its COMMIT, so appends queued
-- behind each other (41 % of PostgreSQL's statement time in a submission
-- run was that wait). A transaction appends to the lane of its connection
-- (`pg_backend_pid() % 8 + 1`, the store's AUDIT_HEAD_LOCK_SQL): one lane
-- per transaction, so two transactions never wait on each other's lanes in
-- opposite orders. Each lane is a hash chain of its own, with its own head
-- and checkpoints; lane 1 is the chain as it was, its hashes unchanged.
ALTER TABLE audit_events ADD COLUMN lane BIGINT NOT NULL DEFAULT 1;
ALTER TABLE audit_events DROP CONSTRAINT audit_events_seq_key;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_lane_seq UNIQUE (lane, seq);
INSERT INTO audit_head (id, seq, hash)
    SELECT lane, 0, 'genesis' FROM generate_series(2, 8) AS lane;

CREATE OR REPLACE FUNCTION audit_head_follows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash WHERE id = NEW.lane;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'audit lane % has no head', NEW.lane;
    END IF;
    RETURN NULL;
END $$;
