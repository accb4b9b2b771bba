-- no-transaction
-- Migration 0024's surname index of the accounts, no longer read by the
-- search (0026); concurrently, as 0027.
DROP INDEX CONCURRENTLY IF EXISTS accounts_surname_id;
