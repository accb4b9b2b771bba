-- Confirmations are bound to the identity version they were issued for; only a
-- verified identity holds its SNILS; a reset for an unknown login makes a decoy
-- challenge that belongs to no account (so its answers match a real one's).
-- SQLite cannot drop NOT NULL or UNIQUE in place: those two tables are rebuilt.

ALTER TABLE letters ADD COLUMN identity_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE letters ADD COLUMN voided_at BIGINT;

CREATE TABLE otp_challenges_new (
    id UUID PRIMARY KEY,
    account_id UUID REFERENCES accounts(id),
    purpose TEXT NOT NULL,
    channel TEXT NOT NULL,
    destination TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    sends BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    consumed BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    identity_version BIGINT
);
INSERT INTO otp_challenges_new (id, account_id, purpose, channel, destination, code_hash, sent_at,
    sends, attempts, consumed, created_at, identity_version)
    SELECT id, account_id, purpose, channel, destination, code_hash, sent_at, sends, attempts,
    consumed, created_at, NULL FROM otp_challenges;
DROP TABLE otp_challenges;
ALTER TABLE otp_challenges_new RENAME TO otp_challenges;
CREATE INDEX otp_challenges_account ON otp_challenges (account_id);
CREATE INDEX otp_challenges_sent ON otp_challenges (sent_at);

CREATE TABLE identities_new (
    account_id UUID PRIMARY KEY REFERENCES accounts(id),
    version BIGINT NOT NULL,
    document_kind TEXT NOT NULL,
    snils_lookup TEXT NOT NULL,
    key_id TEXT NOT NULL,
    sealed BLOB NOT NULL,
    masked TEXT NOT NULL,
    state TEXT NOT NULL,
    failure_reason TEXT,
    submitted_at BIGINT NOT NULL,
    checked_at BIGINT,
    -- A confirmation waiting for this version's check (registration at a service
    -- centre): applied when the version is verified, dropped when it is replaced.
    pending_confirmation TEXT
);
INSERT INTO identities_new SELECT account_id, version, document_kind, snils_lookup, key_id, sealed,
    masked, state, failure_reason, submitted_at, checked_at, NULL FROM identities;
DROP TABLE identities;
ALTER TABLE identities_new RENAME TO identities;
CREATE INDEX identities_snils ON identities (snils_lookup);
CREATE UNIQUE INDEX identities_verified_snils ON identities (snils_lookup) WHERE state = 'verified';

-- Old login failures and code sends are forgotten after a quiet period.
CREATE INDEX login_failures_last ON login_failures (last_failure_at);
