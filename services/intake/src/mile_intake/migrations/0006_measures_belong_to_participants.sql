-- What is recorded about a participant cannot outlive them: a write racing an erasure could
-- leave an orphan row behind (0005 had no foreign keys). Orphans already left are removed, then
-- each table references its participant and goes with them. The cascade runs as the tables'
-- owner, so the service's role needs no DELETE on the measure tables.
DELETE FROM participant_consents c WHERE NOT EXISTS (SELECT 1 FROM participants p WHERE p.id = c.participant_id);
DELETE FROM consent_expiries c WHERE NOT EXISTS (SELECT 1 FROM participants p WHERE p.id = c.participant_id);
DELETE FROM assessments a WHERE NOT EXISTS (SELECT 1 FROM participants p WHERE p.id = a.participant_id);
DELETE FROM training_enrolments t WHERE NOT EXISTS (SELECT 1 FROM participants p WHERE p.id = t.participant_id);
DELETE FROM guidance_sessions g WHERE NOT EXISTS (SELECT 1 FROM participants p WHERE p.id = g.participant_id);

ALTER TABLE participant_consents
    ADD FOREIGN KEY (participant_id) REFERENCES participants (id) ON DELETE CASCADE;
ALTER TABLE consent_expiries
    ADD FOREIGN KEY (participant_id) REFERENCES participants (id) ON DELETE CASCADE;
ALTER TABLE assessments
    ADD FOREIGN KEY (participant_id) REFERENCES participants (id) ON DELETE CASCADE;
ALTER TABLE training_enrolments
    ADD FOREIGN KEY (participant_id) REFERENCES participants (id) ON DELETE CASCADE;
ALTER TABLE guidance_sessions
    ADD FOREIGN KEY (participant_id) REFERENCES participants (id) ON DELETE CASCADE;

-- Only what the service does: assessments and guidance sessions are written once; an enrolment
-- is ended (UPDATE). consent_expiries keeps UPDATE because the expiry task claims rows with
-- SELECT ... FOR UPDATE, which PostgreSQL allows only with UPDATE privilege, and DELETE because
-- a new decision replaces a pending expiry. Erasure deletes through the cascade above.
REVOKE UPDATE, DELETE ON assessments, guidance_sessions FROM mile_intake_app;
REVOKE DELETE ON training_enrolments FROM mile_intake_app;
REVOKE DELETE ON participant_consents FROM mile_intake_app;
