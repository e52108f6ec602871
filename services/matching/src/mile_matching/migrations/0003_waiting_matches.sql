-- Proposals awaiting a decision, by vacancy: a vacancy's room is counted from these on every
-- proposal, and a consumer batch counts them for all open vacancies at once.
CREATE INDEX matches_waiting ON matches (vacancy_id) WHERE status = 'proposed';
