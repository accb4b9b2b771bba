-- Applications for the services of the catalogue (issue 16). The answers
-- hold passport numbers and other people's data, so they are sealed like
-- identities (AAD bound to the application's id); only the service, the
-- status and the times are readable for lists.
CREATE TABLE applications (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES accounts(id),
    service TEXT NOT NULL,
    status TEXT NOT NULL,
    -- Raised by every change: a save names the version it was made on.
    version BIGINT NOT NULL,
    key_id TEXT NOT NULL,
    sealed BYTEA NOT NULL,
    -- Given on submission; unique across instances.
    number TEXT UNIQUE,
    -- The service's code while an application of a one-open service is
    -- open, else NULL: the unique index below keeps one open per person.
    open_key TEXT,
    -- Taken later than the law asks (e.g. a passport replaced after 90 days).
    late BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    submitted_at BIGINT
);
CREATE INDEX applications_mine ON applications (account_id, id);
CREATE UNIQUE INDEX applications_one_open ON applications (account_id, open_key);

-- Every change of status: who, when, from, to, why (SPEC §4).
CREATE TABLE application_events (
    id UUID PRIMARY KEY,
    application_id UUID NOT NULL REFERENCES applications(id),
    at BIGINT NOT NULL,
    actor_id UUID,
    from_status TEXT,
    to_status TEXT NOT NULL,
    note TEXT
);
CREATE INDEX application_events_of ON application_events (application_id, at);

-- A client's Idempotency-Key, written in the transaction that did the work:
-- a retry finds the resource it made, never makes a second.
CREATE TABLE idempotency_keys (
    account_id UUID NOT NULL REFERENCES accounts(id),
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    resource_id UUID NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, key)
);
CREATE SEQUENCE application_numbers;
