-- A city's participants. Personal data is encrypted with a key per person
-- (participant_keys); deleting that key makes the ciphertext unreadable for good.

CREATE TABLE participant_keys (
    participant_id uuid PRIMARY KEY,
    wrapped_key    bytea NOT NULL           -- data key sealed by the master key
);

CREATE TABLE participants (
    id          uuid PRIMARY KEY,
    city        text        NOT NULL,
    status      text        NOT NULL DEFAULT 'registered',
    personal    bytea       NOT NULL,       -- AES-GCM ciphertext of names, birth date, contacts
    statistics  jsonb,                      -- pseudonymous attributes (shared with statistics consent)
    profile     jsonb       NOT NULL,       -- pseudonymous candidate profile (shared with matching consent)
    consents    text[]      NOT NULL,
    notice_version text     NOT NULL,
    version     integer     NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX participants_city_created ON participants (city, created_at);
