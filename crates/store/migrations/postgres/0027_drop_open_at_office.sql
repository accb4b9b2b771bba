-- no-transaction
-- Migration 0024's way from the people to their open applications, no
-- longer taken by the search (0026). Concurrently: no lock that stops
-- reads or writes of applications; a drop cut short is finished the next
-- time (IF EXISTS). One statement, as a migration without a transaction
-- runs its text at once.
DROP INDEX CONCURRENTLY IF EXISTS applications_open_at_office;
