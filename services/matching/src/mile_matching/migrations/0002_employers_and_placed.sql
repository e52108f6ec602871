-- Employers (their contact stays here, never on a topic), vacancy updates, and which
-- participants are already placed (a placement started and not yet ended).

CREATE TABLE employers (
    id            uuid PRIMARY KEY,
    city          text        NOT NULL,
    organisation  text        NOT NULL,
    nace          text        NOT NULL,   -- NACE Rev. 2 section / division / group
    municipality  text        NOT NULL,
    contact       jsonb       NOT NULL,   -- person, email, phone: matching only
    registered_at timestamptz NOT NULL
);
CREATE INDEX employers_city ON employers (city, organisation, id);

ALTER TABLE vacancies ADD COLUMN updated_at timestamptz;

ALTER TABLE vacancy_placements ADD COLUMN participant_id uuid;
CREATE INDEX vacancy_placements_ongoing ON vacancy_placements (participant_id) WHERE started AND ended_at IS NULL;
