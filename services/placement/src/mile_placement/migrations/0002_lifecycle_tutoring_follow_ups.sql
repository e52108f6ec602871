-- The confirmed state and its agreed terms, tutoring sessions, employer feedback and the
-- durable follow-up schedule. Tutors are pseudonymous references resolved by the city's
-- frontend; the only free text here is the employer's feedback note, which never leaves
-- placement and is deleted when the participant is erased.

ALTER TABLE placements DROP CONSTRAINT placements_state_check;
ALTER TABLE placements ADD CONSTRAINT placements_state_check
    CHECK (state IN ('proposed', 'confirmed', 'started', 'ended', 'cancelled'));
ALTER TABLE placements DROP CONSTRAINT placements_check;
ALTER TABLE placements
    ADD COLUMN contract_type text CHECK (contract_type IN ('traineeship', 'apprenticeship', 'fixed_term', 'permanent',
                                                           'temporary_agency', 'self_employed', 'other')),
    ADD COLUMN start_date    date,
    ADD COLUMN weekly_hours  numeric(4, 1) CHECK (weekly_hours > 0 AND weekly_hours <= 60),
    ADD COLUMN tutor_ref     uuid,
    ADD COLUMN confirmed_at  timestamptz;
-- Placements started before confirmation existed keep no terms; every newer one has them.
ALTER TABLE placements ADD CONSTRAINT placements_state_carries_what_it_implies CHECK (CASE state
    WHEN 'proposed'  THEN started_at IS NULL AND ended_at IS NULL AND outcome IS NULL AND confirmed_at IS NULL
    WHEN 'confirmed' THEN kind IS NOT NULL AND confirmed_at IS NOT NULL AND contract_type IS NOT NULL
                          AND start_date IS NOT NULL AND weekly_hours IS NOT NULL
                          AND started_at IS NULL AND ended_at IS NULL AND outcome IS NULL
    WHEN 'started'   THEN kind IS NOT NULL AND started_at IS NOT NULL AND ended_at IS NULL AND outcome IS NULL
    WHEN 'ended'     THEN kind IS NOT NULL AND started_at IS NOT NULL AND ended_at IS NOT NULL AND outcome <> 'cancelled'
    WHEN 'cancelled' THEN started_at IS NULL AND ended_at IS NOT NULL AND outcome = 'cancelled'
END);
CREATE INDEX placements_state ON placements (state, city);
CREATE INDEX placements_city ON placements (city, proposed_at DESC);

CREATE TABLE tutoring_sessions (
    session_id    uuid PRIMARY KEY,
    placement_id  uuid        NOT NULL REFERENCES placements,
    held_on       date        NOT NULL,
    tutor_ref     uuid        NOT NULL,
    topics        text[]      NOT NULL,
    issues_raised text[]      NOT NULL,
    recorded_at   timestamptz NOT NULL
);
CREATE INDEX tutoring_sessions_placement ON tutoring_sessions (placement_id, held_on);

CREATE TABLE employer_feedback (
    feedback_id      uuid PRIMARY KEY,
    placement_id     uuid        NOT NULL REFERENCES placements,
    punctuality      smallint    NOT NULL CHECK (punctuality BETWEEN 1 AND 5),
    teamwork         smallint    NOT NULL CHECK (teamwork BETWEEN 1 AND 5),
    technical_skills smallint    NOT NULL CHECK (technical_skills BETWEEN 1 AND 5),
    language         smallint    NOT NULL CHECK (language BETWEEN 1 AND 5),
    would_hire       boolean     NOT NULL,
    note             text,                      -- free text: stays here, never in an event
    given_at         timestamptz NOT NULL
);
CREATE INDEX employer_feedback_placement ON employer_feedback (placement_id, given_at);

-- The follow-up schedule: the scheduler claims due rows with FOR UPDATE SKIP LOCKED and moves
-- them on in the same transaction as the event it writes, so no follow-up fires twice.
CREATE TABLE follow_ups (
    follow_up_id             uuid PRIMARY KEY,
    placement_id             uuid        NOT NULL REFERENCES placements,
    offset_months            smallint    NOT NULL CHECK (offset_months BETWEEN 1 AND 60),
    due_at                   timestamptz NOT NULL,
    window_closes_at         timestamptz NOT NULL CHECK (window_closes_at >= due_at),
    state                    text        NOT NULL DEFAULT 'scheduled'
                             CHECK (state IN ('scheduled', 'due', 'recorded', 'missed', 'withdrawn')),
    employed                 boolean,
    same_employer            boolean,
    contract_type            text,
    hours_band               text CHECK (hours_band IN ('under_16', '16_to_29', '30_or_more')),
    in_education_or_training boolean,
    fell_due_at              timestamptz,
    recorded_at              timestamptz,
    missed_at                timestamptz,
    UNIQUE (placement_id, offset_months),
    CHECK ((state = 'recorded') = (recorded_at IS NOT NULL AND employed IS NOT NULL))
);
CREATE INDEX follow_ups_scheduled ON follow_ups (due_at) WHERE state = 'scheduled';
CREATE INDEX follow_ups_open ON follow_ups (window_closes_at) WHERE state = 'due';
CREATE INDEX follow_ups_placement ON follow_ups (placement_id);
