-- The officer's search by surname (see the PostgreSQL migration of the
-- same number). SQLite's LIKE ignores case, so this index serves it only
-- where the planner may; the migration keeps both databases' schemas alike.
CREATE INDEX accounts_surname ON accounts (surname);
