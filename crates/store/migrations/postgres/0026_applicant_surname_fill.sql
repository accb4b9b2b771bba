-- Fills the applicant's surname (migration 0025) of every application not
-- closed — drafts and open ones, all the search reads — and indexes the
-- open ones by office and surname; the closed ones are filled afterwards
-- in batches by the job queued here (`fill_applicant_surnames`, a few
-- thousand rows a statement), because the planner judges a prefix by the
-- whole column: while most rows are empty it thinks a common prefix rare.
-- Filling all ten million rows in this one transaction held them locked
-- for more than 16 minutes (tried, cancelled).
--
-- One transaction: the rows filled here wait for it (an officer's step on
-- an open application), the index build blocks writes to applications
-- (reads go on); the old indexes of the search are dropped last, as their
-- exclusive locks would stop reads until the commit. An instance still on
-- the code before this one does not know the job's kind and would give it
-- up: an administrator sets it going again from the stuck jobs' page.
UPDATE applications a SET applicant_surname = c.surname FROM accounts c
    WHERE c.id = a.account_id AND a.applicant_surname IS NULL
      AND a.status NOT IN ('completed', 'rejected', 'cancelled');
ALTER TABLE applications ALTER COLUMN applicant_surname SET STATISTICS 2000;
CREATE INDEX applications_open_by_surname
    ON applications (office_id, applicant_surname text_pattern_ops, submitted_at, id)
    WHERE status NOT IN ('draft', 'completed', 'rejected', 'cancelled');
-- Queued only where something is left to fill (not on a new database).
INSERT INTO jobs (id, kind, payload, dedup_key, run_at, attempts, max_attempts, created_at)
    SELECT gen_random_uuid(), 'fill_applicant_surnames', '{}', 'fill-applicant-surnames',
           0, 0, 25, (extract(epoch FROM now()) * 1000)::bigint
    WHERE EXISTS (SELECT 1 FROM applications WHERE applicant_surname IS NULL);
-- Migration 0024's way to the people, no longer taken.
ALTER TABLE accounts ALTER COLUMN surname SET STATISTICS -1;
DROP INDEX applications_open_at_office;
DROP INDEX accounts_surname_id;
