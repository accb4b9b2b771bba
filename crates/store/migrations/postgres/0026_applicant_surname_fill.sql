-- Fills the applicant's surname (migration 0025) of every application not
-- closed — drafts and open ones, all the search reads — and indexes the
-- open ones by office and surname; the closed ones are filled afterwards
-- in batches by the job queued here (`fill_applicant_surnames`), because
-- the planner judges a prefix by the whole column: while most rows are
-- empty it thinks a common prefix rare. Filling all ten million rows in
-- one transaction held them locked for more than 16 minutes (tried,
-- cancelled).
--
-- One transaction whose only locks that stop anyone are on applications:
-- the rows filled here wait for it (an officer's step on an open
-- application), the index build blocks writes to applications (reads go
-- on) — 5.4 s measured at 1 M applications, about a minute at 10 M by
-- arithmetic. 0027 and 0028 drop migration 0024's indexes, each without a
-- transaction; its statistics of the accounts' surname go back to the
-- default here (a lock that stops neither reads nor writes).
ALTER TABLE accounts ALTER COLUMN surname SET STATISTICS -1;
INSERT INTO jobs (id, kind, payload, dedup_key, run_at, attempts, max_attempts, created_at)
    SELECT gen_random_uuid(), 'fill_applicant_surnames', '{}', 'fill-applicant-surnames',
           0, 0, 25, (extract(epoch FROM now()) * 1000)::bigint
    -- Only where something is left to fill (not on a new database).
    WHERE EXISTS (SELECT 1 FROM applications
                  WHERE status IN ('completed', 'rejected', 'cancelled'));
UPDATE applications a SET applicant_surname = c.surname FROM accounts c
    WHERE c.id = a.account_id AND a.applicant_surname IS NULL
      AND a.status NOT IN ('completed', 'rejected', 'cancelled');
ALTER TABLE applications ALTER COLUMN applicant_surname SET STATISTICS 2000;
CREATE INDEX applications_open_by_surname
    ON applications (office_id, applicant_surname text_pattern_ops, submitted_at, id)
    WHERE status NOT IN ('draft', 'completed', 'rejected', 'cancelled');
