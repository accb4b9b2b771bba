-- The chain's head follows each appended event inside the database: the
-- append is then two statements (lock and read the head, insert the event),
-- not three, and the head cannot disagree with the last event.
CREATE FUNCTION audit_head_follows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
    RETURN NULL;
END $$;
CREATE TRIGGER audit_head_follows AFTER INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_head_follows();
