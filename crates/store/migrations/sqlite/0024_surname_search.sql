-- The officer's search by surname (see the PostgreSQL migration of the same
-- number): the people's ids from the surname index alone, each looked up
-- among the office's open applications.
CREATE INDEX accounts_surname_id ON accounts (surname, id);
DROP INDEX accounts_surname;
CREATE INDEX applications_open_at_office ON applications (office_id, account_id)
    WHERE status NOT IN ('draft', 'completed', 'rejected', 'cancelled');
