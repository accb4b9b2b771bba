-- Issue 18, visits. An office's reception schedule: the week and its
-- exceptions as JSON (checked by domain::schedule when saved), the slot
-- length and the booking rules.
CREATE TABLE reception_schedules (
    office_id UUID PRIMARY KEY REFERENCES offices(id),
    schedule TEXT NOT NULL,
    slot_minutes BIGINT NOT NULL,
    horizon_days BIGINT NOT NULL,
    lead_minutes BIGINT NOT NULL,
    cutoff_minutes BIGINT NOT NULL,
    max_moves BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The places of a slot, taken in the statement that checks them: never more
-- bookings than windows, whatever the number of instances (and the CHECK
-- says so to the database itself).
CREATE TABLE slot_places (
    office_id UUID NOT NULL REFERENCES offices(id),
    start_ms BIGINT NOT NULL,
    capacity BIGINT NOT NULL,
    taken BIGINT NOT NULL,
    PRIMARY KEY (office_id, start_ms),
    CHECK (taken >= 0 AND taken <= capacity)
);

-- A booked visit of an application: booked, cancelled, moved (replaced by a
-- newer one), arrived, missed, served.
CREATE TABLE appointments (
    id UUID PRIMARY KEY,
    application_id UUID NOT NULL REFERENCES applications(id),
    office_id UUID NOT NULL REFERENCES offices(id),
    start_ms BIGINT NOT NULL,
    minutes BIGINT NOT NULL,
    status TEXT NOT NULL,
    moves BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- One live booking per application.
CREATE UNIQUE INDEX appointments_one_live ON appointments (application_id) WHERE status = 'booked';
CREATE INDEX appointments_day ON appointments (office_id, start_ms);
