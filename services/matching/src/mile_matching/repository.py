"""SQL for matching's tables; no decisions here."""

import json
import uuid
from datetime import datetime
from typing import Any

import asyncpg

# --- candidates ---------------------------------------------------------------------------


async def upsert_candidate(
    conn: asyncpg.Connection,
    *,
    participant_id: uuid.UUID,
    city: str,
    profile: dict[str, Any],
    updated_at: datetime,
) -> None:
    await conn.execute(
        """INSERT INTO candidates (participant_id, city, profile, updated_at)
           VALUES ($1, $2, $3::jsonb, $4)
           ON CONFLICT (participant_id) DO UPDATE
           SET city = excluded.city, profile = excluded.profile, updated_at = excluded.updated_at""",
        participant_id,
        city,
        json.dumps(profile),
        updated_at,
    )


async def delete_candidate(conn: asyncpg.Connection, participant_id: uuid.UUID) -> list[uuid.UUID]:
    """Drop the candidate and its undecided proposals; returns the vacancies that lost one."""
    await conn.execute("DELETE FROM candidates WHERE participant_id = $1", participant_id)
    rows = await conn.fetch(
        "DELETE FROM matches WHERE participant_id = $1 AND status = 'proposed' RETURNING vacancy_id",
        participant_id,
    )
    return sorted({row["vacancy_id"] for row in rows})


async def all_candidates(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM candidates")


async def candidates_without_match(conn: asyncpg.Connection, vacancy_id: uuid.UUID) -> list[asyncpg.Record]:
    """Candidates never proposed for the vacancy (whatever became of a proposal)."""
    return await conn.fetch(
        """SELECT c.* FROM candidates c
           WHERE NOT EXISTS (SELECT 1 FROM matches m
                             WHERE m.vacancy_id = $1 AND m.participant_id = c.participant_id)""",
        vacancy_id,
    )


# --- vacancies ----------------------------------------------------------------------------

# A vacancy row's count of proposals still awaiting a decision (alias v).
_OPEN_PROPOSALS = "(SELECT count(*) FROM matches m WHERE m.vacancy_id = v.id AND m.status = 'proposed')"


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


async def lock_open_vacancies(conn: asyncpg.Connection, participant_id: uuid.UUID) -> list[asyncpg.Record]:
    """Open vacancies not yet matched with the participant, locked in id order."""
    return await conn.fetch(
        f"""SELECT v.*, {_OPEN_PROPOSALS} AS open_proposals FROM vacancies v
            WHERE v.status = 'open'
              AND NOT EXISTS (SELECT 1 FROM matches m WHERE m.vacancy_id = v.id AND m.participant_id = $1)
            ORDER BY v.id
            FOR UPDATE""",
        participant_id,
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


async def mark_placement_started(conn: asyncpg.Connection, placement_id: uuid.UUID, vacancy_id: uuid.UUID) -> bool:
    """Remember the placement; False when it was seen before (started or already ended)."""
    inserted = await conn.fetchval(
        """INSERT INTO vacancy_placements (placement_id, vacancy_id, started) VALUES ($1, $2, true)
           ON CONFLICT (placement_id) DO NOTHING RETURNING true""",
        placement_id,
        vacancy_id,
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


async def insert_match(
    conn: asyncpg.Connection,
    *,
    match_id: uuid.UUID,
    vacancy_id: uuid.UUID,
    participant_id: uuid.UUID,
    city: str,
    score: float,
    reasons: list[str],
    proposed_at: datetime,
) -> bool:
    """Store a proposal; False when the pair was proposed before (never two per pair)."""
    inserted = await conn.fetchval(
        """INSERT INTO matches (id, vacancy_id, participant_id, city, score, reasons, proposed_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (vacancy_id, participant_id) DO NOTHING RETURNING true""",
        match_id,
        vacancy_id,
        participant_id,
        city,
        score,
        reasons,
        proposed_at,
    )
    return bool(inserted)


async def get_match(conn: asyncpg.Connection, match_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM matches WHERE id = $1", match_id)


async def lock_match(conn: asyncpg.Connection, match_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM matches WHERE id = $1 FOR UPDATE", match_id)


async def decide_match(
    conn: asyncpg.Connection, match_id: uuid.UUID, *, status: str, reason: str | None, decided_at: datetime
) -> asyncpg.Record:
    return await conn.fetchrow(
        """UPDATE matches SET status = $2, decision_reason = $3, decided_at = $4
           WHERE id = $1 RETURNING *""",
        match_id,
        status,
        reason,
        decided_at,
    )


async def list_matches(
    conn: asyncpg.Connection,
    *,
    vacancy_id: uuid.UUID | None,
    participant_id: uuid.UUID | None,
    status: str | None,
    limit: int,
    offset: int,
) -> list[asyncpg.Record]:
    """Matches newest first; each filter applies only when given."""
    return await conn.fetch(
        """SELECT * FROM matches
           WHERE ($1::uuid IS NULL OR vacancy_id = $1)
             AND ($2::uuid IS NULL OR participant_id = $2)
             AND ($3::text IS NULL OR status = $3)
           ORDER BY proposed_at DESC, id DESC
           LIMIT $4 OFFSET $5""",
        vacancy_id,
        participant_id,
        status,
        limit,
        offset,
    )
