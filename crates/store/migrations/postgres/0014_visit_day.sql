-- Issue 18, the officer's day: when the person arrived, what the visit
-- ended with, who booked it (the person or an officer setting a time), and
-- when a schedule change left it outside the office's hours (the person is
-- asked to choose another time; the booking is kept until they do).
ALTER TABLE appointments ADD COLUMN arrived_at BIGINT;
ALTER TABLE appointments ADD COLUMN outcome TEXT;
ALTER TABLE appointments ADD COLUMN booked_by UUID;
ALTER TABLE appointments ADD COLUMN displaced_at BIGINT;
-- A visit longer than one slot takes that many consecutive slots' places
-- (minutes / places apart), freed together.
ALTER TABLE appointments ADD COLUMN places BIGINT NOT NULL DEFAULT 1;
