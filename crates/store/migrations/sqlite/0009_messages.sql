-- Issue 17: a thread per application between the applicant and the office.
-- The text may hold personal data: sealed like the answers (AAD bound to
-- the message's id). Staff write as their office; the author is kept for
-- the audit, never shown to the person.
CREATE TABLE messages (
    id UUID PRIMARY KEY,
    application_id UUID NOT NULL REFERENCES applications(id),
    from_office BOOLEAN NOT NULL,
    author_id UUID NOT NULL REFERENCES accounts(id),
    office_id UUID REFERENCES offices(id),
    key_id TEXT NOT NULL,
    sealed BLOB NOT NULL,
    created_at BIGINT NOT NULL,
    -- When the other side first read it (the read receipt).
    read_at BIGINT
);
CREATE INDEX messages_thread ON messages (application_id, created_at, id);

-- Files sent with a message; the bytes are in the blob store, sealed.
CREATE TABLE message_files (
    id TEXT PRIMARY KEY,
    message_id UUID NOT NULL REFERENCES messages(id),
    media_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    file_name TEXT NOT NULL,
    object_key TEXT NOT NULL,
    key_id TEXT NOT NULL
);
CREATE INDEX message_files_of ON message_files (message_id);
