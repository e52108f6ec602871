-- A second wall between cities, and a record of every look at personal data.
--
-- Migrations run as the connecting user (the tables' owner). Each request's
-- transaction then switches to mile_intake_app (SET LOCAL ROLE), which owns
-- nothing and is not a superuser, so the row-level security policies below
-- always apply to it: it sees only rows of the city named by the transaction's
-- `mile.city` setting, and nothing at all when that setting is missing.

DO $$
BEGIN
    CREATE ROLE mile_intake_app NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;  -- roles are cluster-wide: another city's intake created it first
END $$;

DO $$
BEGIN
    EXECUTE format('GRANT mile_intake_app TO %I', current_user);  -- lets a non-superuser owner SET ROLE
EXCEPTION WHEN duplicate_object OR unique_violation OR invalid_grant_operation THEN
    NULL;
END $$;

-- Who read or changed which participant's personal data, when, in which request.
CREATE TABLE intake_audit (
    id             bigserial PRIMARY KEY,
    at             timestamptz NOT NULL DEFAULT now(),
    city           text        NOT NULL,
    actor          text        NOT NULL,
    roles          text[]      NOT NULL,
    action         text        NOT NULL,
    participant_id uuid,
    request_id     text        NOT NULL
);
CREATE INDEX intake_audit_participant ON intake_audit (participant_id, id);

ALTER TABLE participant_keys ADD COLUMN city text;
UPDATE participant_keys k SET city = p.city FROM participants p WHERE p.id = k.participant_id;
ALTER TABLE participant_keys ALTER COLUMN city SET NOT NULL;

ALTER TABLE participants ENABLE ROW LEVEL SECURITY;
ALTER TABLE participant_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE intake_audit ENABLE ROW LEVEL SECURITY;

CREATE POLICY this_city ON participants
    USING (city = current_setting('mile.city', true))
    WITH CHECK (city = current_setting('mile.city', true));
CREATE POLICY this_city ON participant_keys
    USING (city = current_setting('mile.city', true))
    WITH CHECK (city = current_setting('mile.city', true));
CREATE POLICY this_city ON intake_audit
    USING (city = current_setting('mile.city', true))
    WITH CHECK (city = current_setting('mile.city', true));

GRANT SELECT, INSERT, UPDATE, DELETE ON participants, participant_keys TO mile_intake_app;
GRANT SELECT, INSERT ON intake_audit TO mile_intake_app;  -- append-only: no UPDATE or DELETE
GRANT USAGE ON SEQUENCE intake_audit_id_seq TO mile_intake_app;
GRANT SELECT, INSERT ON mile_outbox, mile_idempotency TO mile_intake_app;
GRANT USAGE ON SEQUENCE mile_outbox_id_seq TO mile_intake_app;
