-- The applicant's surname kept on each application, so that the officer's
-- search by a surname prefix reads the office's open applications alone.
-- Through the accounts (migration 0024) a prefix of the middle at 10 M
-- applications («Николаев…», 0.8 % of people) took p99 173 ms: walking the
-- queue read each applicant's account (12 µs a row), starting from the
-- people probed 40 000 of them.
--
-- This migration only adds what keeps the column true, and is instant at
-- any size (no table rewrite); 0026 fills and indexes it. Kept by triggers,
-- not by the statements that write applications, so that an instance still
-- on the code before this one (a rolling upgrade) keeps it true as well.
-- The accounts are locked before the applications, in the order the
-- portal's own transactions take them (a draft, a change of name), so
-- that none of them waits on this migration while holding what it needs.

CREATE FUNCTION applicant_surname_follows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE applications SET applicant_surname = NEW.surname WHERE account_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER accounts_surname_follows AFTER UPDATE OF surname ON accounts
    FOR EACH ROW WHEN (OLD.surname IS DISTINCT FROM NEW.surname)
    EXECUTE FUNCTION applicant_surname_follows();

ALTER TABLE applications ADD COLUMN applicant_surname TEXT;

CREATE FUNCTION applicant_surname_at_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- FOR SHARE waits for a change of name being committed, so a new
    -- application takes the new name: the change's own update of the
    -- person's applications (above) cannot see a row not yet committed.
    SELECT surname INTO NEW.applicant_surname FROM accounts
        WHERE id = NEW.account_id FOR SHARE;
    RETURN NEW;
END $$;
CREATE TRIGGER applications_applicant_surname BEFORE INSERT ON applications
    FOR EACH ROW EXECUTE FUNCTION applicant_surname_at_insert();
