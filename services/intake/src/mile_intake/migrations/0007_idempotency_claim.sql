-- A write claims its Idempotency-Key with a placeholder row first and fills in the response
-- before commit (mile_platform.idempotency), one round trip fewer than locking, reading and
-- inserting. The app role may fill in only the response, never move a key or its fingerprint.
GRANT UPDATE (status, body) ON mile_idempotency TO mile_intake_app;
