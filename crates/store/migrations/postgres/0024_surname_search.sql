-- The officer's search by surname at a country's size (5 M accounts, 10 M
-- applications): a prefix of some thousand people ("Щербин…", 11 711) took
-- p99 406 ms. The planner, misjudging the prefix from 100 sampled values
-- (25 000 people), walked the office's open queue reading each applicant's
-- account (46 000 for a page); with a true estimate it starts from the
-- people, and these make that way cheap (measured 26 ms): the people's ids
-- read from the surname index alone (no account rows), each looked up among
-- the office's open applications in an index of those only (31 MB at 10 M
-- applications; a person's own index would read every closed one too).
-- Only PostgreSQL: SQLite's LIKE ignores case and keeps its join.
--
-- One transaction: the index builds block writes to both tables (reads go
-- on) until the commit — about 20 s at that size by its parts, each timed
-- by hand (builds 9.6 s and 4.3 s, ANALYZE 6.1 s; the whole migration was
-- not timed). The old index is dropped last: its exclusive lock would stop
-- reads of the accounts until the commit.
CREATE INDEX accounts_surname_id ON accounts (surname text_pattern_ops) INCLUDE (id);
CREATE INDEX applications_open_at_office ON applications (office_id, account_id)
    WHERE status NOT IN ('draft', 'completed', 'rejected', 'cancelled');
ALTER TABLE accounts ALTER COLUMN surname SET STATISTICS 2000;
ANALYZE accounts;
DROP INDEX accounts_surname;
