-- Facts beside the funnel that indicators break down and measure. Keyed by the pseudonymous
-- participant id (unlinked on erasure like funnel_stages); nothing that names a person.

-- Only with statistics consent: a participant without it has no row (or NULLs after withdrawal)
-- and appears in breakdowns as "not reported".
CREATE TABLE participant_statistics (
    participant_id uuid PRIMARY KEY,
    city text NOT NULL,
    sex text,
    age_band text,
    legal_status text,
    as_of timestamptz NOT NULL
);

-- Tested language levels: the lowest of the four CEFR skills, 1 (A1) to 6 (C2).
CREATE TABLE language_levels (
    participant_id uuid NOT NULL,
    city text NOT NULL,
    language text NOT NULL,
    assessed_at timestamptz NOT NULL,
    level_rank smallint NOT NULL CHECK (level_rank BETWEEN 1 AND 6),
    PRIMARY KEY (participant_id, language, assessed_at)
);

CREATE TABLE drop_outs (
    placement_id uuid PRIMARY KEY,
    participant_id uuid NOT NULL,
    city text NOT NULL,
    reason text NOT NULL,
    ended_at timestamptz NOT NULL
);
CREATE INDEX drop_outs_city ON drop_outs (city);
CREATE INDEX participant_statistics_city ON participant_statistics (city);

-- The full funnel: assessed and employed six months after leaving join the stages.
ALTER TABLE funnel_stages DROP CONSTRAINT funnel_stages_stage_check;
ALTER TABLE funnel_stages ADD CONSTRAINT funnel_stages_stage_check
    CHECK (stage IN ('registered', 'assessed', 'matched', 'placed', 'completed', 'employed_6m'));
