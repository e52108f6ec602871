-- Matching's own state: pseudonymous candidates (projected from every city's participant
-- events), vacancies, the placements that take their capacity, and match proposals.

-- A candidate exists only while its participant shares a profile under matching consent.
CREATE TABLE candidates (
    participant_id uuid PRIMARY KEY,
    city           text        NOT NULL,
    profile        jsonb       NOT NULL,   -- mile_schemas.CandidateProfile
    updated_at     timestamptz NOT NULL    -- when intake produced this snapshot
);

CREATE TABLE vacancies (
    id           uuid PRIMARY KEY,
    employer_id  uuid        NOT NULL,
    city         text        NOT NULL,
    spec         jsonb       NOT NULL,     -- the VacancyOpened event: requirements as opened
    positions    integer     NOT NULL CHECK (positions >= 1),
    filled       integer     NOT NULL DEFAULT 0 CHECK (filled >= 0),
    status       text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    opened_at    timestamptz NOT NULL,
    closed_at    timestamptz,
    close_reason text
);
CREATE INDEX vacancies_open ON vacancies (id) WHERE status = 'open';

-- Placements seen on the placements topic: a placement takes (and, ended early, returns)
-- capacity at most once, whatever the broker delivers twice.
CREATE TABLE vacancy_placements (
    placement_id uuid PRIMARY KEY,
    vacancy_id   uuid        NOT NULL,
    started      boolean     NOT NULL,  -- false: its end arrived without a start seen
    ended_at     timestamptz
);

CREATE TABLE matches (
    id              uuid PRIMARY KEY,
    vacancy_id      uuid             NOT NULL REFERENCES vacancies (id),
    participant_id  uuid             NOT NULL,
    city            text             NOT NULL,   -- the participant's city
    score           double precision NOT NULL CHECK (score BETWEEN 0 AND 1),
    reasons         text[]           NOT NULL,
    status          text             NOT NULL DEFAULT 'proposed'
                                     CHECK (status IN ('proposed', 'accepted', 'rejected')),
    decision_reason text,
    proposed_at     timestamptz      NOT NULL,
    decided_at      timestamptz,
    UNIQUE (vacancy_id, participant_id)
);
CREATE INDEX matches_participant ON matches (participant_id);
CREATE INDEX matches_newest ON matches (proposed_at DESC, id DESC);
