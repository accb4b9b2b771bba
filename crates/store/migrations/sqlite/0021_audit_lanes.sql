-- The audit log's lanes (see the PostgreSQL migration of the same number).
-- SQLite has one writer at a time, so parallel lanes would buy nothing: it
-- keeps the one lane, its head row 1, and `seq` stays unique by itself.
ALTER TABLE audit_events ADD COLUMN lane INTEGER NOT NULL DEFAULT 1;
DROP TRIGGER audit_head_follows;
CREATE TRIGGER audit_head_follows AFTER INSERT ON audit_events
BEGIN
    UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash WHERE id = NEW.lane;
END;
