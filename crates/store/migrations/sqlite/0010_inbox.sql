-- Issue 17, one inbox: every notice a person gets, kept in the portal as
-- well as sent by their channels, with its read mark. `source` is the
-- notice's job: one item per notice, whatever retries happen.
CREATE TABLE inbox (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES accounts(id),
    -- What it is about: applications, identity, security, …
    kind TEXT NOT NULL,
    subject_key TEXT NOT NULL,
    body_key TEXT NOT NULL,
    -- The message's arguments, as JSON pairs.
    args TEXT NOT NULL,
    -- Where to act, a local path.
    link TEXT,
    source TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX inbox_of ON inbox (account_id, id);
