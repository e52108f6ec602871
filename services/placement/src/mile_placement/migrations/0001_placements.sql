-- Placements from accepted matches, the vacancies they refer to, and erased participants.
-- Only pseudonymous participant ids are held here; names and contacts stay in intake.

-- What placement knows of each vacancy (from VacancyOpened): enough to give a placement its kind.
CREATE TABLE vacancies (
    vacancy_id uuid PRIMARY KEY,
    city       text NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('work_experience', 'apprenticeship', 'job'))
);

-- One placement per accepted match: placement_id is derived from match_id, and match_id is unique,
-- so a replayed decision can never create a second one.
CREATE TABLE placements (
    placement_id   uuid PRIMARY KEY,
    match_id       uuid        NOT NULL UNIQUE,
    vacancy_id     uuid        NOT NULL,
    participant_id uuid        NOT NULL,             -- pseudonymous
    city           text        NOT NULL,             -- the participant's city
    kind           text CHECK (kind IN ('work_experience', 'apprenticeship', 'job')),  -- NULL until the vacancy is known
    state          text        NOT NULL DEFAULT 'proposed'
                   CHECK (state IN ('proposed', 'started', 'ended', 'cancelled')),
    outcome        text CHECK (outcome IN ('completed', 'converted_to_employment', 'dropped_out',
                                           'ended_by_employer', 'cancelled')),
    reason         text,
    proposed_at    timestamptz NOT NULL,             -- when the match was accepted
    started_at     timestamptz,
    ended_at       timestamptz,
    version        integer     NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    -- A second wall behind the domain rules: each state carries exactly what it implies.
    CHECK (CASE state
        WHEN 'proposed'  THEN started_at IS NULL AND ended_at IS NULL AND outcome IS NULL
        WHEN 'started'   THEN kind IS NOT NULL AND started_at IS NOT NULL AND ended_at IS NULL AND outcome IS NULL
        WHEN 'ended'     THEN kind IS NOT NULL AND started_at IS NOT NULL AND ended_at IS NOT NULL AND outcome <> 'cancelled'
        WHEN 'cancelled' THEN started_at IS NULL AND ended_at IS NOT NULL AND outcome = 'cancelled'
    END)
);
CREATE INDEX placements_participant ON placements (participant_id);
CREATE INDEX placements_vacancy ON placements (vacancy_id);
CREATE INDEX placements_newest ON placements (proposed_at DESC, placement_id DESC);

-- Participants erased in intake (pseudonymous id only), so a match decision that arrives after
-- the erasure (another topic, no ordering between them) cannot bring them back.
CREATE TABLE erased_participants (
    participant_id uuid        PRIMARY KEY,
    erased_at      timestamptz NOT NULL
);
