-- Issue 19, documents. A document the portal issued to a person: its PDF
-- sealed in the blob store (object_key), one per event (source is the
-- making job's key, so a retried job stores nothing twice).
CREATE TABLE documents (
    id UUID PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES accounts(id),
    application_id UUID REFERENCES applications(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    number TEXT NOT NULL,
    object_key TEXT NOT NULL,
    key_id TEXT NOT NULL,
    size BIGINT NOT NULL,
    standard TEXT,
    source TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
CREATE INDEX documents_of ON documents (account_id, created_at);
CREATE INDEX documents_of_application ON documents (application_id, created_at);
