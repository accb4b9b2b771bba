-- Files attached to an application's answers. The bytes live in the blob
-- store (a directory or an S3 bucket) under `object_key`; this row binds
-- them to the application, its owner and the field they were uploaded for.
CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    application_id UUID NOT NULL REFERENCES applications(id),
    account_id UUID NOT NULL REFERENCES accounts(id),
    field TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    file_name TEXT NOT NULL,
    object_key TEXT NOT NULL,
    -- The vault key the file was sealed with.
    key_id TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX attachments_of ON attachments (application_id);
