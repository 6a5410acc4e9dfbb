-- Idempotency-Key (issue 11): a retry must be the same request, body included, or it is refused
-- (422) instead of replayed. The fingerprint is the SHA-256 (hex) of the method, the target and
-- the body bytes; keys kept before it was recorded have none and are compared by method and
-- target alone until they expire.
ALTER TABLE idempotency_key ADD COLUMN fingerprint text;
-- When a key was claimed is the gateway's clock (ServiceClock), given with every claim, so that
-- the 24 hours follow the clock the rest of the business rules follow; not the database's now().
ALTER TABLE idempotency_key ALTER COLUMN created_at DROP DEFAULT;
