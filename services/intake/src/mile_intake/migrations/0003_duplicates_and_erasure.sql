-- Duplicate check without plaintext: a keyed hash (HMAC, key derived from the master
-- key) of the normalised name and birth date, unique within the city.
ALTER TABLE participants ADD COLUMN identity_hash bytea;
CREATE UNIQUE INDEX participants_identity ON participants (city, identity_hash) WHERE identity_hash IS NOT NULL;

-- Erasure also forgets the stored first responses that named the erased participant.
GRANT DELETE ON mile_idempotency TO mile_intake_app;
