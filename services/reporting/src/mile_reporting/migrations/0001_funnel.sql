-- The funnel projection: when each participant first reached each stage.
-- Nothing personal: a pseudonymous id, the city, the stage and a time.

CREATE TABLE funnel_stages (
    participant_id uuid        NOT NULL,
    city           text        NOT NULL,
    stage          text        NOT NULL CHECK (stage IN ('registered', 'matched', 'placed', 'completed')),
    reached_at     timestamptz NOT NULL,
    PRIMARY KEY (participant_id, stage)
);
CREATE INDEX funnel_stages_city_stage ON funnel_stages (city, stage);

-- Participants erased upstream, as a SHA-256 digest of their former id: late or re-sent
-- events about them are ignored, while the ids themselves cannot be listed from here.
CREATE TABLE erased_participants (
    id_digest bytea PRIMARY KEY
);
