-- Issue 17, notifications exactly once: one row per message and channel,
-- written before the send and marked after it, so that a job retried after
-- its worker died never sends again what already went out.
CREATE TABLE deliveries (
    key TEXT PRIMARY KEY,
    -- Sends begun; more than one means a worker died or a send failed.
    attempts BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    sent_at BIGINT
);
