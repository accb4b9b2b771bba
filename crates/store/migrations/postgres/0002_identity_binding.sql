-- Confirmations are bound to the identity version they were issued for; only a
-- verified identity holds its SNILS; a reset for an unknown login makes a decoy
-- challenge that belongs to no account (so its answers match a real one's).

ALTER TABLE letters ADD COLUMN identity_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE letters ADD COLUMN voided_at BIGINT;

ALTER TABLE otp_challenges ADD COLUMN identity_version BIGINT;
ALTER TABLE otp_challenges ALTER COLUMN account_id DROP NOT NULL;
CREATE INDEX otp_challenges_sent ON otp_challenges (sent_at);

ALTER TABLE identities DROP CONSTRAINT identities_snils_lookup_key;
-- A confirmation waiting for this version's check (registration at a service
-- centre): applied when the version is verified, dropped when it is replaced.
ALTER TABLE identities ADD COLUMN pending_confirmation TEXT;
CREATE INDEX identities_snils ON identities (snils_lookup);
CREATE UNIQUE INDEX identities_verified_snils ON identities (snils_lookup) WHERE state = 'verified';

-- Old login failures and code sends are forgotten after a quiet period.
CREATE INDEX login_failures_last ON login_failures (last_failure_at);
