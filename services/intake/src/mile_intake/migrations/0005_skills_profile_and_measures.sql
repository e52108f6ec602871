-- The full Skills Profile Tool profile, assessments, training, guidance and consent expiry.

-- Expectations get their own section of the profile; the highest ISCED level held so far
-- becomes one qualification of the new education section.
UPDATE participants SET profile =
    (profile - 'desired_isco08' - 'hours_per_week' - 'available_from' - 'max_commute_km' - 'isced_level')
    || jsonb_build_object(
        'expectations', jsonb_strip_nulls(jsonb_build_object(
            'desired_isco08', coalesce(profile->'desired_isco08', '[]'::jsonb),
            'hours_per_week', profile->'hours_per_week',
            'available_from', profile->'available_from',
            'max_commute_km', profile->'max_commute_km')),
        'education', CASE WHEN jsonb_typeof(profile->'isced_level') = 'number'
                          THEN jsonb_build_array(jsonb_build_object('isced_level', profile->'isced_level'))
                          ELSE '[]'::jsonb END)
WHERE NOT profile ? 'expectations';

-- Needs and barriers and the caseworker's appraisal: AES-GCM under the person's data key.
ALTER TABLE participants ADD COLUMN casework bytea;

-- A consent given until a day: the expiry task claims due rows with FOR UPDATE SKIP LOCKED.
ALTER TABLE participant_consents ADD COLUMN expires_on date;
CREATE TABLE consent_expiries (
    participant_id uuid NOT NULL,
    city           text NOT NULL,
    purpose        text NOT NULL,
    expires_on     date NOT NULL,
    PRIMARY KEY (participant_id, purpose)
);
CREATE INDEX consent_expiries_due ON consent_expiries (expires_on);

CREATE TABLE assessments (
    id             uuid PRIMARY KEY,
    participant_id uuid        NOT NULL,
    city           text        NOT NULL,
    kind           text        NOT NULL,            -- skills | language
    assessor       text        NOT NULL,
    completed_at   timestamptz NOT NULL,
    sections       text[]      NOT NULL DEFAULT '{}',
    languages      jsonb       NOT NULL DEFAULT '[]',
    recorded_by    text        NOT NULL,
    recorded_at    timestamptz NOT NULL
);
CREATE INDEX assessments_participant ON assessments (participant_id, completed_at);

CREATE TABLE training_enrolments (
    id              uuid PRIMARY KEY,
    participant_id  uuid        NOT NULL,
    city            text        NOT NULL,
    course_type     text        NOT NULL,
    language        text,
    planned_hours   integer     NOT NULL,
    starts_on       date        NOT NULL,
    enrolled_at     timestamptz NOT NULL,
    outcome         text,                            -- null while under way
    hours_attended  integer,
    certificate     boolean,
    drop_out_reason text,
    ended_at        timestamptz
);
CREATE INDEX training_enrolments_participant ON training_enrolments (participant_id, enrolled_at);

CREATE TABLE guidance_sessions (
    id             uuid PRIMARY KEY,
    participant_id uuid        NOT NULL,
    city           text        NOT NULL,
    kind           text        NOT NULL,
    held_on        date        NOT NULL,
    minutes        integer     NOT NULL,
    notes          bytea,                            -- AES-GCM under the person's data key
    recorded_by    text        NOT NULL,
    recorded_at    timestamptz NOT NULL
);
CREATE INDEX guidance_sessions_participant ON guidance_sessions (participant_id, held_on);

ALTER TABLE consent_expiries ENABLE ROW LEVEL SECURITY;
ALTER TABLE assessments ENABLE ROW LEVEL SECURITY;
ALTER TABLE training_enrolments ENABLE ROW LEVEL SECURITY;
ALTER TABLE guidance_sessions ENABLE ROW LEVEL SECURITY;
CREATE POLICY this_city ON consent_expiries
    USING (city = current_setting('mile.city', true))
    WITH CHECK (city = current_setting('mile.city', true));
CREATE POLICY this_city ON assessments
    USING (city = current_setting('mile.city', true))
    WITH CHECK (city = current_setting('mile.city', true));
CREATE POLICY this_city ON training_enrolments
    USING (city = current_setting('mile.city', true))
    WITH CHECK (city = current_setting('mile.city', true));
CREATE POLICY this_city ON guidance_sessions
    USING (city = current_setting('mile.city', true))
    WITH CHECK (city = current_setting('mile.city', true));
GRANT SELECT, INSERT, UPDATE, DELETE ON consent_expiries, assessments, training_enrolments, guidance_sessions
    TO mile_intake_app;
