-- A document's words are kept (sealed) when it is issued; its PDF is
-- typeset the first time someone opens it, then kept in the blob store
-- under object_key. Until then size is 0 and standard NULL. Typesetting
-- at issue took most of the outbox worker's time per submission, for
-- receipts most people never open.
ALTER TABLE documents ADD COLUMN words BYTEA;
