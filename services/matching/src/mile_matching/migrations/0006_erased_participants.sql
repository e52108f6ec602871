-- Participants erased in intake (pseudonymous id only), as placement keeps them. An event of theirs
-- can arrive after the erasure and must not bring them back: a placement started before it, on
-- another topic with no ordering between them, takes its position unlinked from them; a profile
-- event redriven from a dead-letter topic applies nothing. Erasures applied before this migration
-- are not here: matching kept nothing to find them by.
CREATE TABLE erased_participants (
    participant_id uuid        PRIMARY KEY,
    erased_at      timestamptz NOT NULL
);
