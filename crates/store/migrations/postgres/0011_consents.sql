-- Issue 17, owner consent: registration at a dwelling the applicant does not
-- own waits for its owner, found by SNILS (owner_account_id) or by a code the
-- applicant passes on (code_lookup, a keyed hash; the code itself sealed so
-- the applicant can see it again). Refused or unanswered by expires_at, the
-- application is returned.
CREATE TABLE consents (
    id UUID PRIMARY KEY,
    application_id UUID NOT NULL REFERENCES applications(id),
    owner_account_id UUID REFERENCES accounts(id),
    code_lookup TEXT UNIQUE,
    key_id TEXT NOT NULL,
    code_sealed BYTEA,
    -- pending, approved, refused, expired
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    answered_at BIGINT
);
CREATE INDEX consents_of ON consents (application_id, created_at);
CREATE INDEX consents_owner ON consents (owner_account_id, created_at);
