-- The officer's search by surname (`surname LIKE 'prefix%'` in the queue)
-- read every account: 122–168 ms at 2 million accounts, more at a
-- country's size. A pattern index serves a prefix search in any collation.
CREATE INDEX accounts_surname ON accounts (surname text_pattern_ops);
