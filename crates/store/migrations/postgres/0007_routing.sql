-- Issue 17: the lifecycle. A submitted application goes to an office (by the territory
-- that holds its address) and carries the last day of its legal time.
-- An address no office serves leaves office_id NULL: the application is
-- kept and waits in the administrators' "not routed" queue.
ALTER TABLE applications ADD COLUMN office_id UUID REFERENCES offices(id);
-- The last day the office has to decide, as YYYY-MM-DD (orders as text).
ALTER TABLE applications ADD COLUMN deadline TEXT;
-- Sent again after a return: the office's "resubmitted" queue.
ALTER TABLE applications ADD COLUMN resubmitted BOOLEAN NOT NULL DEFAULT FALSE;
-- An office's queue: its applications by status, oldest first.
CREATE INDEX applications_queue ON applications (office_id, status, submitted_at, id);
