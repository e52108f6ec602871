-- Participants erased in intake (pseudonymous id only): a placement event published before the
-- erasure can arrive after it (another topic, no ordering between them), and must then take its
-- position without linking the placement to someone erased.
CREATE TABLE erased_participants (
    participant_id uuid        PRIMARY KEY,
    erased_at      timestamptz NOT NULL
);
