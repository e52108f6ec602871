-- Every consent decision, against the notice version it was given for: the lifecycle
-- (given / withdrawn / expired) of each purpose can be shown to the person and to auditors.
CREATE TABLE participant_consents (
    id             bigserial PRIMARY KEY,
    participant_id uuid        NOT NULL,
    city           text        NOT NULL,
    purpose        text        NOT NULL,
    status         text        NOT NULL,
    notice_version text        NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    recorded_by    text        NOT NULL
);
CREATE INDEX participant_consents_participant ON participant_consents (participant_id, id);

ALTER TABLE participant_consents ENABLE ROW LEVEL SECURITY;
CREATE POLICY this_city ON participant_consents
    USING (city = current_setting('mile.city', true))
    WITH CHECK (city = current_setting('mile.city', true));
GRANT SELECT, INSERT, DELETE ON participant_consents TO mile_intake_app;
GRANT USAGE ON SEQUENCE participant_consents_id_seq TO mile_intake_app;
