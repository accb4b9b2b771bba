-- The applicant's surname kept on each application for the officer's
-- search (see the PostgreSQL migrations 0025 and 0026). Kept by triggers,
-- as there; SQLite cannot change the row in a BEFORE trigger, so the new
-- row is updated after its insert, in the same statement. A database of
-- this size is filled at once, every row.
ALTER TABLE applications ADD COLUMN applicant_surname TEXT;

CREATE TRIGGER applications_applicant_surname AFTER INSERT ON applications
BEGIN
    UPDATE applications SET applicant_surname =
        (SELECT surname FROM accounts WHERE id = NEW.account_id)
        WHERE id = NEW.id;
END;

CREATE TRIGGER accounts_surname_follows AFTER UPDATE OF surname ON accounts
    WHEN OLD.surname IS NOT NEW.surname
BEGIN
    UPDATE applications SET applicant_surname = NEW.surname WHERE account_id = NEW.id;
END;

UPDATE applications SET applicant_surname =
    (SELECT surname FROM accounts WHERE accounts.id = applications.account_id);

-- The search no longer reads the accounts by surname.
DROP INDEX accounts_surname;
