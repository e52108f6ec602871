-- Training, guidance, recognition and follow-ups. Keyed by the pseudonymous participant id
-- (unlinked on erasure like funnel_stages); codes and times only, nothing that names a person.

-- The full funnel: in training and trained join between assessed and matched.
ALTER TABLE funnel_stages DROP CONSTRAINT funnel_stages_stage_check;
ALTER TABLE funnel_stages ADD CONSTRAINT funnel_stages_stage_check CHECK (
    stage IN ('registered', 'assessed', 'in_training', 'trained', 'matched', 'placed', 'completed', 'employed_6m')
);

-- Furthest recognition status of the participant's foreign qualifications (statistics consent only).
ALTER TABLE participant_statistics ADD COLUMN recognition text;

-- Types of measure received (a course type or a guidance kind), from the first time.
CREATE TABLE support_measures (
    participant_id uuid        NOT NULL,
    city           text        NOT NULL,
    measure        text        NOT NULL,
    received_at    timestamptz NOT NULL,
    PRIMARY KEY (participant_id, measure)
);
CREATE INDEX support_measures_measure ON support_measures (measure, received_at);

-- Ended enrolments: hours by course type, drop-out reasons.
CREATE TABLE training_endings (
    enrolment_id    uuid PRIMARY KEY,
    participant_id  uuid        NOT NULL,
    city            text        NOT NULL,
    course_type     text        NOT NULL,
    outcome         text        NOT NULL CHECK (outcome IN ('completed', 'dropped_out')),
    hours_attended  integer     NOT NULL CHECK (hours_attended >= 0),
    drop_out_reason text,
    ended_at        timestamptz NOT NULL
);
CREATE INDEX training_endings_city ON training_endings (city);

-- Follow-ups of ended placements: due, then recorded or missed (coverage).
CREATE TABLE follow_ups (
    follow_up_id   uuid PRIMARY KEY,
    participant_id uuid     NOT NULL,
    city           text     NOT NULL,
    offset_months  smallint NOT NULL,
    state          text     NOT NULL CHECK (state IN ('due', 'missed', 'recorded')),
    due_at         timestamptz,
    settled_at     timestamptz
);
CREATE INDEX follow_ups_city ON follow_ups (city);
