"""SQL for matching's tables; no decisions here."""

import json
import uuid
from datetime import datetime
from typing import Any, NamedTuple

import asyncpg
from prometheus_client import Histogram

# --- proposing ----------------------------------------------------------------------------

PROPOSAL_LOCK_WAIT = Histogram(
    "mile_matching_proposal_lock_wait_seconds",
    "Time a transaction of matching waited for its proposal lock (consumer batches, proposing commands)",
    buckets=(0.001, 0.005, 0.025, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


async def lock_proposing(conn: asyncpg.Connection, *, shared: bool = False) -> None:
    """Take matching's proposal lock until the transaction ends, before any row lock.

    A new vacancy and a new candidate committed at the same moment would otherwise each miss
    the other (neither transaction sees the other's uncommitted row); taken first, in every
    transaction that proposes, the second one to run sees what the first committed.

    ``shared`` is for transactions that only add candidates and propose them (never withdraw nor
    refill): they cannot miss each other, so they run side by side, and wait only for those holding it alone.
    """
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    with PROPOSAL_LOCK_WAIT.time():  # the wait shows when replicas stop helping
        await conn.execute(f"SELECT {function}(hashtext('mile_matching.proposals'))")


# --- candidates ---------------------------------------------------------------------------


# Whether the candidate row (alias c) has a placement started and not yet ended; run_participants
# asks the same of a batch's ids in one index scan of vacancy_placements.
_PLACED = """EXISTS (SELECT 1 FROM vacancy_placements p
                    WHERE p.participant_id = c.participant_id AND p.started AND p.ended_at IS NULL)"""


class RunParticipant(NamedTuple):
    is_candidate: bool  # a candidate row: only then can a proposal of theirs be waiting (erasure drops them)
    placed: bool  # a placement of theirs has started and not ended
    proposed: bool  # ever proposed for a vacancy, whatever became of it
    waiting: bool  # a proposal of theirs awaits a decision
    erased: bool  # in intake: an event of theirs arriving now (a dead letter redriven) must not bring them back


_NOTHING_STORED = RunParticipant(is_candidate=False, placed=False, proposed=False, waiting=False, erased=False)


async def run_participants(conn: asyncpg.Connection, ids: list[uuid.UUID]) -> dict[uuid.UUID, RunParticipant]:
    """Whether each participant is a candidate already, whether placed, whether ever proposed and
    whether a proposal of theirs is waiting, and whether erased, keyed by id.

    Each table is searched for all the ids in one index scan (``= ANY``), and only what exists comes
    back, which on a backlog of registrations is nothing: lateral lookups per id cost PostgreSQL 2.3 µs
    an id against 0.8 µs (2,000 new ids among 150,000 candidates), and sent back a row for each."""
    rows = await conn.fetch(
        """SELECT participant_id, 'candidate' AS found, false AS waiting
           FROM candidates WHERE participant_id = ANY($1::uuid[])
           UNION ALL
           SELECT participant_id, 'placed', false FROM vacancy_placements
           WHERE participant_id = ANY($1::uuid[]) AND started AND ended_at IS NULL
           UNION ALL
           SELECT participant_id, 'proposed', bool_or(status = 'proposed')
           FROM matches WHERE participant_id = ANY($1::uuid[]) GROUP BY participant_id
           UNION ALL
           SELECT participant_id, 'erased', false FROM erased_participants WHERE participant_id = ANY($1::uuid[])""",
        ids,
    )
    found: dict[str, dict[uuid.UUID, bool]] = {"candidate": {}, "placed": {}, "proposed": {}, "erased": {}}
    for row in rows:
        found[row["found"]][row["participant_id"]] = row["waiting"]
    stored = dict.fromkeys(ids, _NOTHING_STORED)
    for pid in set().union(*found.values()):
        stored[pid] = RunParticipant(
            is_candidate=pid in found["candidate"],
            placed=pid in found["placed"],
            proposed=pid in found["proposed"],
            waiting=found["proposed"].get(pid, False),
            erased=pid in found["erased"],
        )
    return stored


async def upsert_candidates(
    conn: asyncpg.Connection,
    *,
    participant_ids: list[uuid.UUID],
    cities: list[str],
    profiles: list[str],
    languages: list[str],
    updated_at: list[datetime],
) -> None:
    """Store each candidate's profile and the languages it names (JSON text), one row per participant,
    in one statement."""
    await conn.execute(
        """INSERT INTO candidates (participant_id, city, profile, languages, updated_at)
           SELECT id, city, profile::json, languages::jsonb, updated_at
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])
                AS r(id, city, profile, languages, updated_at)
           ON CONFLICT (participant_id) DO UPDATE
           SET city = excluded.city, profile = excluded.profile, languages = excluded.languages,
               updated_at = excluded.updated_at""",
        participant_ids,
        cities,
        profiles,
        languages,
        updated_at,
    )


async def insert_candidates(conn: asyncpg.Connection, rows: list[tuple[uuid.UUID, str, str, str, datetime]]) -> None:
    """Store new candidates (participant id, city, profile and its languages as JSON text, updated at)
    by COPY: for participants not yet candidates, as on a backlog of registrations, it costs
    PostgreSQL a quarter less than ``upsert_candidates`` (no conflict to check for, no statement to
    plan). One stored meanwhile by another transaction fails it with a unique violation."""
    await conn.copy_records_to_table(
        "candidates", records=rows, columns=["participant_id", "city", "profile", "languages", "updated_at"]
    )


async def remember_erasure(conn: asyncpg.Connection, participant_id: uuid.UUID, erased_at: datetime) -> None:
    await conn.execute(
        "INSERT INTO erased_participants (participant_id, erased_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        participant_id,
        erased_at,
    )


async def delete_decided_matches(conn: asyncpg.Connection, participant_id: uuid.UUID) -> None:
    """Drop the participant's decided proposals (their reasons are about them): only their erasure
    does; a withdrawn consent keeps the record of what was decided while it was given."""
    await conn.execute("DELETE FROM matches WHERE participant_id = $1 AND status <> 'proposed'", participant_id)


async def delete_candidate(conn: asyncpg.Connection, participant_id: uuid.UUID) -> list[uuid.UUID]:
    """Drop the candidate and its undecided proposals; returns the vacancies that lost one."""
    await conn.execute("DELETE FROM candidates WHERE participant_id = $1", participant_id)
    await conn.execute("UPDATE vacancy_placements SET participant_id = NULL WHERE participant_id = $1", participant_id)
    rows = await conn.fetch(
        "DELETE FROM matches WHERE participant_id = $1 AND status = 'proposed' RETURNING vacancy_id",
        participant_id,
    )
    return sorted({row["vacancy_id"] for row in rows})


async def forget_candidates(conn: asyncpg.Connection, *, dropped: list[uuid.UUID], unlinked: list[uuid.UUID]) -> None:
    """Drop these candidates, and unlink those participants from their placements (``delete_candidate``
    for participants known to have no proposal waiting)."""
    await conn.execute("DELETE FROM candidates WHERE participant_id = ANY($1::uuid[])", dropped)
    await conn.execute(
        "UPDATE vacancy_placements SET participant_id = NULL WHERE participant_id = ANY($1::uuid[])", unlinked
    )


async def all_candidates(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch(f"SELECT c.*, {_PLACED} AS placed FROM candidates c")


async def candidates_by_id(conn: asyncpg.Connection, ids: list[uuid.UUID]) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT c.*, {_PLACED} AS placed FROM candidates c WHERE c.participant_id = ANY($1::uuid[])", ids
    )


async def get_candidate(conn: asyncpg.Connection, participant_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT c.*, {_PLACED} AS placed FROM candidates c WHERE c.participant_id = $1", participant_id
    )


async def candidates_fingerprint(conn: asyncpg.Connection) -> tuple[int, datetime | None, int, datetime | None]:
    """Changes whenever a candidate arrives, changes or leaves, or a placement starts or ends."""
    row = await conn.fetchrow(
        """SELECT (SELECT count(*) FROM candidates) AS candidates,
                  (SELECT max(updated_at) FROM candidates) AS updated,
                  (SELECT count(*) FROM vacancy_placements) AS placements,
                  (SELECT max(ended_at) FROM vacancy_placements) AS ended"""
    )
    return (row["candidates"], row["updated"], row["placements"], row["ended"])


async def open_vacancies_with_room(
    conn: asyncpg.Connection, *, city: str | None, kind: str | None
) -> list[asyncpg.Record]:
    """Open vacancies with a position left, optionally of one city and kind."""
    return await conn.fetch(
        """SELECT * FROM vacancies
           WHERE status = 'open' AND filled < positions
             AND ($1::text IS NULL OR city = $1)
             AND ($2::text IS NULL OR spec->>'kind' = $2)""",
        city,
        kind,
    )


async def candidates_without_open_proposal(conn: asyncpg.Connection, cities: list[str]) -> list[asyncpg.Record]:
    """Candidates of these cities not waiting on a proposal already."""
    return await conn.fetch(
        f"""SELECT c.*, {_PLACED} AS placed FROM candidates c
            WHERE c.city = ANY($1::text[])
              AND NOT EXISTS (SELECT 1 FROM matches m
                              WHERE m.participant_id = c.participant_id AND m.status = 'proposed')
            ORDER BY c.participant_id""",
        cities,
    )


async def lock_vacancies_of(conn: asyncpg.Connection, cities: list[str]) -> list[asyncpg.Record]:
    """Open vacancies of these cities with their open proposals, locked in id order."""
    return await conn.fetch(
        f"""SELECT v.*, {_OPEN_PROPOSALS} AS open_proposals FROM vacancies v
            WHERE v.status = 'open' AND v.city = ANY($1::text[])
            ORDER BY v.id
            FOR UPDATE""",
        cities,
    )


async def matched_pairs(conn: asyncpg.Connection, vacancy_ids: list[uuid.UUID]) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """(vacancy, participant) pairs proposed before, whatever became of them."""
    rows = await conn.fetch(
        "SELECT vacancy_id, participant_id FROM matches WHERE vacancy_id = ANY($1::uuid[])", vacancy_ids
    )
    return {(row["vacancy_id"], row["participant_id"]) for row in rows}


async def candidates_without_match(
    conn: asyncpg.Connection, vacancy_id: uuid.UUID, languages: list[str]
) -> list[asyncpg.Record]:
    """Candidates never proposed for the vacancy (whatever became of a proposal) who speak each of
    ``languages`` at some level: whoever lacks one is ineligible, so is not read and assessed at all.
    The test is on the candidates' indexed ``languages`` (migration 0004), not their profiles."""
    return await conn.fetch(
        f"""SELECT c.*, {_PLACED} AS placed FROM candidates c
           WHERE NOT EXISTS (SELECT 1 FROM matches m
                             WHERE m.vacancy_id = $1 AND m.participant_id = c.participant_id)
             AND c.languages @> $2::jsonb""",
        vacancy_id,
        json.dumps(languages),
    )


# --- employers ----------------------------------------------------------------------------


async def insert_employer(
    conn: asyncpg.Connection,
    *,
    employer_id: uuid.UUID,
    city: str,
    organisation: str,
    nace: str,
    municipality: str,
    contact: dict[str, Any],
    registered_at: datetime,
) -> asyncpg.Record:
    return await conn.fetchrow(
        """INSERT INTO employers (id, city, organisation, nace, municipality, contact, registered_at)
           VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7) RETURNING *""",
        employer_id,
        city,
        organisation,
        nace,
        municipality,
        json.dumps(contact),
        registered_at,
    )


async def get_employer(conn: asyncpg.Connection, employer_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM employers WHERE id = $1", employer_id)


async def list_employers(conn: asyncpg.Connection, *, city: str, limit: int, offset: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM employers WHERE city = $1 ORDER BY organisation, id LIMIT $2 OFFSET $3", city, limit, offset
    )


# --- vacancies ----------------------------------------------------------------------------

# A vacancy row's count of proposals still awaiting a decision (alias v), as kept by migration 0005's
# triggers: a few rows a vacancy to add up, where counting its matches looked at every one waiting.
_OPEN_PROPOSALS = "(SELECT coalesce(sum(c.delta), 0) FROM vacancy_waiting_changes c WHERE c.vacancy_id = v.id)"


async def fold_waiting_counts(conn: asyncpg.Connection | asyncpg.Pool) -> int:
    """Fold each vacancy's changes to its count of waiting proposals into one row (none if it adds up
    to nothing); returns how many vacancies had more than one. A change appended meanwhile is not seen,
    so is kept; readers see the rows before or after, which add up alike."""
    return await conn.fetchval(
        """WITH gone AS (
               DELETE FROM vacancy_waiting_changes
               WHERE vacancy_id IN (SELECT vacancy_id FROM vacancy_waiting_changes
                                    GROUP BY vacancy_id HAVING count(*) > 1)
               RETURNING vacancy_id, delta
           ), folded AS (
               INSERT INTO vacancy_waiting_changes (vacancy_id, delta)
               SELECT vacancy_id, sum(delta) FROM gone GROUP BY vacancy_id HAVING sum(delta) <> 0
           )
           SELECT count(DISTINCT vacancy_id) FROM gone"""
    )


async def insert_vacancy(
    conn: asyncpg.Connection,
    *,
    vacancy_id: uuid.UUID,
    employer_id: uuid.UUID,
    city: str,
    spec: dict[str, Any],
    positions: int,
    opened_at: datetime,
) -> asyncpg.Record:
    return await conn.fetchrow(
        """INSERT INTO vacancies (id, employer_id, city, spec, positions, opened_at)
           VALUES ($1, $2, $3, $4::jsonb, $5, $6)
           RETURNING *""",
        vacancy_id,
        employer_id,
        city,
        json.dumps(spec),
        positions,
        opened_at,
    )


async def get_vacancy(conn: asyncpg.Connection, vacancy_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM vacancies WHERE id = $1", vacancy_id)


async def lock_vacancy(conn: asyncpg.Connection, vacancy_id: uuid.UUID) -> asyncpg.Record | None:
    """The vacancy, locked until the transaction ends, with its count of open proposals."""
    return await conn.fetchrow(
        f"""SELECT v.*, {_OPEN_PROPOSALS} AS open_proposals FROM vacancies v WHERE v.id = $1 FOR UPDATE""",
        vacancy_id,
    )


async def lock_open_vacancies(
    conn: asyncpg.Connection, *, spoken: list[str], per_position: int
) -> list[asyncpg.Record]:
    """The open vacancies with room for a proposal and requiring no language outside ``spoken``,
    locked in id order, each with its open proposals counted once locked.

    Only these can take a proposal of someone speaking no more than ``spoken``, so a batch of one
    city's registrations reads and counts its own language's vacancies, not every waiting proposal
    there is. Full vacancies are left unlocked: while the lock is shared nobody withdraws or refills
    (an acceptance, which takes no lock, gives room but proposes no one), so batches sharing it wait
    for each other only where both can still propose. The count is taken after the lock, as a
    statement's own snapshot predates the wait for a row that another batch was proposing for."""
    # The room test is domain.proposal_room's, in SQL so that full vacancies are never locked.
    ids = await conn.fetch(
        f"""SELECT v.id FROM vacancies v
            WHERE v.status = 'open'
              AND v.filled < v.positions
              AND {_OPEN_PROPOSALS} < v.positions * $2
              AND jsonb_path_query_array(v.spec, '$.languages[*].language') <@ to_jsonb($1::text[])
            ORDER BY v.id
            FOR UPDATE OF v""",
        spoken,
        per_position,
    )
    if not ids:
        return []
    return await conn.fetch(
        f"SELECT v.*, {_OPEN_PROPOSALS} AS open_proposals FROM vacancies v WHERE v.id = ANY($1::uuid[]) ORDER BY v.id",
        [row["id"] for row in ids],
    )


async def update_vacancy(
    conn: asyncpg.Connection, vacancy_id: uuid.UUID, *, spec: dict[str, Any], positions: int, updated_at: datetime
) -> asyncpg.Record:
    return await conn.fetchrow(
        """UPDATE vacancies SET spec = $2::jsonb, positions = $3, updated_at = $4 WHERE id = $1 RETURNING *""",
        vacancy_id,
        json.dumps(spec),
        positions,
        updated_at,
    )


async def close_vacancy(
    conn: asyncpg.Connection, vacancy_id: uuid.UUID, *, reason: str, closed_at: datetime
) -> asyncpg.Record:
    return await conn.fetchrow(
        """UPDATE vacancies SET status = 'closed', close_reason = $2, closed_at = $3
           WHERE id = $1 RETURNING *""",
        vacancy_id,
        reason,
        closed_at,
    )


# --- capacity -----------------------------------------------------------------------------


async def mark_placement_started(
    conn: asyncpg.Connection, placement_id: uuid.UUID, vacancy_id: uuid.UUID, participant_id: uuid.UUID
) -> bool:
    """Remember the placement, linked to its participant unless they were erased; False when it was
    seen before (started or already ended)."""
    inserted = await conn.fetchval(
        """INSERT INTO vacancy_placements (placement_id, vacancy_id, participant_id, started)
           VALUES ($1, $2,
                   (SELECT $3::uuid WHERE NOT EXISTS (SELECT FROM erased_participants WHERE participant_id = $3)),
                   true)
           ON CONFLICT (placement_id) DO NOTHING RETURNING true""",
        placement_id,
        vacancy_id,
        participant_id,
    )
    return bool(inserted)


async def mark_placement_ended(
    conn: asyncpg.Connection, placement_id: uuid.UUID, vacancy_id: uuid.UUID, ended_at: datetime
) -> bool:
    """Remember the end; True only the first time a placement seen starting ends."""
    started = await conn.fetchval(
        """INSERT INTO vacancy_placements (placement_id, vacancy_id, started, ended_at) VALUES ($1, $2, false, $3)
           ON CONFLICT (placement_id) DO UPDATE SET ended_at = excluded.ended_at
           WHERE vacancy_placements.ended_at IS NULL
           RETURNING started""",
        placement_id,
        vacancy_id,
        ended_at,
    )
    return bool(started)


async def take_position(conn: asyncpg.Connection, vacancy_id: uuid.UUID) -> None:
    await conn.execute("UPDATE vacancies SET filled = filled + 1 WHERE id = $1", vacancy_id)


async def release_position(conn: asyncpg.Connection, vacancy_id: uuid.UUID) -> None:
    await conn.execute("UPDATE vacancies SET filled = greatest(filled - 1, 0) WHERE id = $1", vacancy_id)


# --- matches ------------------------------------------------------------------------------


async def insert_matches(
    conn: asyncpg.Connection,
    *,
    match_ids: list[uuid.UUID],
    vacancy_ids: list[uuid.UUID],
    participant_ids: list[uuid.UUID],
    cities: list[str],
    scores: list[float],
    reasons: list[str],
    proposed_at: list[datetime],
) -> set[uuid.UUID]:
    """Store proposals (``reasons`` each a JSON list) in one statement; returns the ids stored,
    leaving out a pair proposed before (never two per pair)."""
    rows = await conn.fetch(
        """INSERT INTO matches (id, vacancy_id, participant_id, city, score, reasons, proposed_at)
           SELECT id, vacancy_id, participant_id, city, score,
                  ARRAY(SELECT jsonb_array_elements_text(reasons::jsonb)), proposed_at
           FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::float8[], $6::text[], $7::timestamptz[])
                WITH ORDINALITY AS p(id, vacancy_id, participant_id, city, score, reasons, proposed_at, n)
           ORDER BY n
           ON CONFLICT (vacancy_id, participant_id) DO NOTHING RETURNING id""",
        match_ids,
        vacancy_ids,
        participant_ids,
        cities,
        scores,
        reasons,
        proposed_at,
    )
    return {row["id"] for row in rows}


async def get_match(conn: asyncpg.Connection, match_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT m.*, v.city AS vacancy_city FROM matches m JOIN vacancies v ON v.id = m.vacancy_id WHERE m.id = $1",
        match_id,
    )


async def lock_match(conn: asyncpg.Connection, match_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM matches WHERE id = $1 FOR UPDATE", match_id)


async def decide_match(
    conn: asyncpg.Connection, match_id: uuid.UUID, *, status: str, reason: str | None, decided_at: datetime
) -> asyncpg.Record:
    return await conn.fetchrow(
        """UPDATE matches m SET status = $2, decision_reason = $3, decided_at = $4
           FROM vacancies v WHERE m.id = $1 AND v.id = m.vacancy_id
           RETURNING m.*, v.city AS vacancy_city""",
        match_id,
        status,
        reason,
        decided_at,
    )


async def reject_matches(
    conn: asyncpg.Connection, match_ids: list[uuid.UUID], *, reason: str, decided_at: list[datetime]
) -> None:
    """Decide waiting proposals ``rejected``, each at its time, with one reason, in one statement."""
    await conn.execute(
        """UPDATE matches m SET status = 'rejected', decision_reason = $2, decided_at = d.decided_at
           FROM unnest($1::uuid[], $3::timestamptz[]) AS d(id, decided_at)
           WHERE m.id = d.id AND m.status = 'proposed'""",
        match_ids,
        reason,
        decided_at,
    )


async def list_matches(
    conn: asyncpg.Connection,
    *,
    site: str,
    vacancy_id: uuid.UUID | None,
    participant_id: uuid.UUID | None,
    status: str | None,
    limit: int,
    offset: int,
) -> list[asyncpg.Record]:
    """Matches of ``site``'s participants or vacancies, newest first; each filter applies only when given."""
    return await conn.fetch(
        """SELECT m.*, v.city AS vacancy_city FROM matches m JOIN vacancies v ON v.id = m.vacancy_id
           WHERE (m.city = $1 OR v.city = $1)
             AND ($2::uuid IS NULL OR m.vacancy_id = $2)
             AND ($3::uuid IS NULL OR m.participant_id = $3)
             AND ($4::text IS NULL OR m.status = $4)
           ORDER BY m.proposed_at DESC, m.id DESC
           LIMIT $5 OFFSET $6""",
        site,
        vacancy_id,
        participant_id,
        status,
        limit,
        offset,
    )


async def lock_waiting_matches_of_vacancy(conn: asyncpg.Connection, vacancy_id: uuid.UUID) -> list[asyncpg.Record]:
    """The vacancy's proposals awaiting a decision, locked, with their candidates' profiles."""
    return await conn.fetch(
        f"""SELECT m.*, c.profile, {_PLACED} AS placed, v.spec
            FROM matches m
            JOIN candidates c ON c.participant_id = m.participant_id
            JOIN vacancies v ON v.id = m.vacancy_id
            WHERE m.vacancy_id = $1 AND m.status = 'proposed'
            ORDER BY m.id
            FOR UPDATE OF m""",
        vacancy_id,
    )


async def lock_waiting_matches_of_participant(
    conn: asyncpg.Connection, participant_id: uuid.UUID
) -> list[asyncpg.Record]:
    """The participant's proposals awaiting a decision, locked, with their vacancies' requirements."""
    return await conn.fetch(
        f"""SELECT m.*, c.profile, {_PLACED} AS placed, v.spec
            FROM matches m
            JOIN candidates c ON c.participant_id = m.participant_id
            JOIN vacancies v ON v.id = m.vacancy_id
            WHERE m.participant_id = $1 AND m.status = 'proposed'
            ORDER BY m.id
            FOR UPDATE OF m""",
        participant_id,
    )


async def matched_vacancies(conn: asyncpg.Connection, participant_ids: list[uuid.UUID]) -> list[asyncpg.Record]:
    """(participant, vacancy) of every proposal ever made to these participants, whatever became of it."""
    return await conn.fetch(
        "SELECT participant_id, vacancy_id FROM matches WHERE participant_id = ANY($1::uuid[])", participant_ids
    )


async def lock_waiting_matches_of_participants(
    conn: asyncpg.Connection, participant_ids: list[uuid.UUID]
) -> list[asyncpg.Record]:
    """These participants' proposals awaiting a decision, locked in id order, with their vacancies' requirements."""
    return await conn.fetch(
        """SELECT m.id, m.vacancy_id, m.participant_id, m.city, v.spec
           FROM matches m JOIN vacancies v ON v.id = m.vacancy_id
           WHERE m.participant_id = ANY($1::uuid[]) AND m.status = 'proposed'
           ORDER BY m.id
           FOR UPDATE OF m""",
        participant_ids,
    )
