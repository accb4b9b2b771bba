-- The officer's search by surname at a country's size (5 M accounts, 10 M
-- applications): a prefix of some thousand people ("Щербин…", 11 711) took
-- p99 406 ms. The planner, misjudging the prefix from 100 sampled values
-- (25 000 people), walked the office's whole open queue probing each
-- applicant's account (46 000 probes for a page); with a true estimate it
-- starts from the people, and these make that way cheap (measured 26 ms):
-- the people's ids read from the surname index alone (no account rows) and
-- each one looked up among the office's open applications in an index of
-- those only (31 MB at 10 M applications, where the person's own index
-- would also read each closed application).
ALTER TABLE accounts ALTER COLUMN surname SET STATISTICS 2000;
CREATE INDEX accounts_surname_id ON accounts (surname text_pattern_ops) INCLUDE (id);
DROP INDEX accounts_surname;
CREATE INDEX applications_open_at_office ON applications (office_id, account_id)
    WHERE status NOT IN ('draft', 'completed', 'rejected', 'cancelled');
ANALYZE accounts;
