-- Every list of placements is confined to the caller's city (mile_placement.access), so the
-- city's index (city, proposed_at DESC) serves it, ties on proposed_at sorted incrementally.
-- The index over every city's placements was never read, yet each new placement paid for it:
-- measured, about a tenth of the insert's time in PostgreSQL, and a third when many
-- placements share a proposal time (a random placement_id then decides where each goes).
DROP INDEX placements_newest;
