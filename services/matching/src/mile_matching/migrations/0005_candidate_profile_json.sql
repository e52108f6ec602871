-- A candidate's profile is stored and read back whole, never queried inside: json keeps the text as
-- written, where jsonb parsed and rebuilt it on every upsert (a third of the statement's time on a
-- backlog of registrations) and printed it again on every read. The languages the refills' index
-- needs now come with the upsert, from the profile matching has already parsed.
ALTER TABLE candidates DROP COLUMN languages;
ALTER TABLE candidates ALTER COLUMN profile TYPE json USING profile::json;
ALTER TABLE candidates ADD COLUMN languages text[];
UPDATE candidates
SET languages = ARRAY(SELECT jsonb_array_elements_text(jsonb_path_query_array(profile::jsonb, '$.languages[*].language')));
ALTER TABLE candidates ALTER COLUMN languages SET NOT NULL;
CREATE INDEX candidates_languages ON candidates USING gin (languages);
