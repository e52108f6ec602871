-- The languages a candidate speaks, kept beside the profile they come from: a refill reads only
-- the candidates who speak every language a vacancy requires, through this index, instead of
-- testing each whole profile (18 ms per refill at 22,000 candidates, run for every vacancy a
-- started placement frees).
ALTER TABLE candidates
    ADD COLUMN languages jsonb NOT NULL
    GENERATED ALWAYS AS (jsonb_path_query_array(profile, '$.languages[*].language')) STORED;
CREATE INDEX candidates_languages ON candidates USING gin (languages);
