-- Foundation schema. Times are unix milliseconds (BIGINT) in both backends so the
-- SQL stays identical and no time-zone conversion happens in storage.

CREATE TABLE offices (
    id UUID PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    -- Region / district codes the office serves, comma-separated.
    territory TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE office_hours (
    office_id UUID NOT NULL REFERENCES offices(id),
    weekday BIGINT NOT NULL,
    opens_min BIGINT NOT NULL,
    closes_min BIGINT NOT NULL,
    PRIMARY KEY (office_id, weekday, opens_min)
);

CREATE TABLE accounts (
    id UUID PRIMARY KEY,
    surname TEXT NOT NULL,
    given_name TEXT NOT NULL,
    patronymic TEXT,
    phone TEXT UNIQUE,
    email TEXT UNIQUE,
    password_hash TEXT NOT NULL,
    status TEXT NOT NULL,
    level TEXT NOT NULL,
    role TEXT NOT NULL,
    office_id UUID REFERENCES offices(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE otp_challenges (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES accounts(id),
    purpose TEXT NOT NULL,
    channel TEXT NOT NULL,
    destination TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    sends BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    consumed BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX otp_challenges_account ON otp_challenges (account_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES accounts(id),
    kind TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Devices an account has logged in from, to notice a new one.
CREATE TABLE known_devices (
    account_id UUID NOT NULL REFERENCES accounts(id),
    device_key TEXT NOT NULL,
    first_seen_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, device_key)
);

-- Second factor: "totp" (the secret sealed like other sensitive values) or
-- "code" (a one-time code sent to the proven phone or e-mail; no secret).
CREATE TABLE second_factors (
    account_id UUID PRIMARY KEY REFERENCES accounts(id),
    method TEXT NOT NULL,
    key_id TEXT NOT NULL,
    sealed_secret BLOB NOT NULL,
    enabled BOOLEAN NOT NULL,
    last_step BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE recovery_codes (
    account_id UUID NOT NULL REFERENCES accounts(id),
    code_hash TEXT NOT NULL,
    used_at BIGINT,
    PRIMARY KEY (account_id, code_hash)
);

-- Every staff read of a person's data: shown to that person.
CREATE TABLE data_access (
    id UUID PRIMARY KEY,
    person_id UUID NOT NULL REFERENCES accounts(id),
    staff_id UUID NOT NULL REFERENCES accounts(id),
    staff_role TEXT NOT NULL,
    office_id UUID,
    at BIGINT NOT NULL,
    purpose TEXT NOT NULL,
    reference TEXT NOT NULL
);
CREATE INDEX data_access_person ON data_access (person_id, at);

-- Identity confirmation by registered letter: the code is kept only as a hash;
-- the printed letter waits (sealed) in outbound_post until handed to the post.
CREATE TABLE letters (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES accounts(id),
    address TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX letters_account ON letters (account_id, created_at);

CREATE TABLE outbound_post (
    letter_id UUID PRIMARY KEY REFERENCES letters(id),
    address TEXT NOT NULL,
    key_id TEXT NOT NULL,
    sealed_body BLOB,
    queued_at BIGINT NOT NULL,
    exported_at BIGINT
);

-- Profile: addresses forms are pre-filled from, and notification preferences.
CREATE TABLE addresses (
    account_id UUID NOT NULL REFERENCES accounts(id),
    kind TEXT NOT NULL,
    region_code TEXT NOT NULL,
    postcode TEXT NOT NULL,
    region TEXT NOT NULL,
    city TEXT NOT NULL,
    street TEXT NOT NULL,
    house TEXT NOT NULL,
    flat TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, kind)
);

CREATE TABLE notification_prefs (
    account_id UUID NOT NULL REFERENCES accounts(id),
    kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    PRIMARY KEY (account_id, kind, channel)
);

CREATE TABLE login_failures (
    login_key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL
);

CREATE TABLE identities (
    account_id UUID PRIMARY KEY REFERENCES accounts(id),
    version BIGINT NOT NULL,
    document_kind TEXT NOT NULL,
    snils_lookup TEXT NOT NULL UNIQUE,
    key_id TEXT NOT NULL,
    sealed BLOB NOT NULL,
    masked TEXT NOT NULL,
    state TEXT NOT NULL,
    failure_reason TEXT,
    submitted_at BIGINT NOT NULL,
    checked_at BIGINT
);

CREATE TABLE jobs (
    id UUID PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    dedup_key TEXT UNIQUE,
    run_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    max_attempts BIGINT NOT NULL,
    locked_by TEXT,
    locked_until BIGINT,
    last_error TEXT,
    done_at BIGINT,
    outcome TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX jobs_due ON jobs (done_at, run_at);

CREATE TABLE demo_mailbox (
    id UUID PRIMARY KEY,
    channel TEXT NOT NULL,
    destination TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Append-only audit log, hash-chained: each entry's hash covers its content
-- and the previous entry's hash; audit_head holds the tip and serialises appends.
CREATE TABLE audit_events (
    id UUID PRIMARY KEY,
    seq BIGINT NOT NULL UNIQUE,
    at BIGINT NOT NULL,
    actor_id UUID,
    actor_role TEXT,
    office_id UUID,
    action TEXT NOT NULL,
    subject_id UUID,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_events_subject ON audit_events (subject_id);
CREATE INDEX audit_events_actor ON audit_events (actor_id);

CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, 'genesis');
