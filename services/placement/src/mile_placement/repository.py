"""SQL for placement's tables; no decisions here."""

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import asyncpg

from mile_placement.domain import Placement, PlacementState
from mile_schemas import PlacementOutcome, VacancyKind


async def remember_vacancy(conn: asyncpg.Connection, vacancy_id: uuid.UUID, city: str, kind: VacancyKind) -> None:
    await conn.execute(
        "INSERT INTO vacancies (vacancy_id, city, kind) VALUES ($1, $2, $3) ON CONFLICT (vacancy_id) DO NOTHING",
        vacancy_id,
        city,
        kind.value,
    )


async def vacancy_kind(conn: asyncpg.Connection, vacancy_id: uuid.UUID) -> VacancyKind | None:
    kind = await conn.fetchval("SELECT kind FROM vacancies WHERE vacancy_id = $1", vacancy_id)
    return None if kind is None else VacancyKind(kind)


async def fill_in_kind(conn: asyncpg.Connection, vacancy_id: uuid.UUID, kind: VacancyKind) -> None:
    """Give placements proposed before their vacancy was known the vacancy's kind."""
    await conn.execute(
        """UPDATE placements SET kind = $2, version = version + 1, updated_at = now()
           WHERE vacancy_id = $1 AND kind IS NULL""",
        vacancy_id,
        kind.value,
    )


async def insert_placement(conn: asyncpg.Connection, placement: Placement, *, proposed_at: datetime) -> None:
    """Insert a new placement; one that exists for the match already is left as it is."""
    await conn.execute(
        """INSERT INTO placements (placement_id, match_id, vacancy_id, participant_id, city, kind, proposed_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT DO NOTHING""",
        placement.placement_id,
        placement.match_id,
        placement.vacancy_id,
        placement.participant_id,
        placement.city,
        placement.kind.value if placement.kind else None,
        proposed_at,
    )


async def lock_placement(conn: asyncpg.Connection, placement_id: uuid.UUID) -> Placement | None:
    row = await conn.fetchrow("SELECT * FROM placements WHERE placement_id = $1 FOR UPDATE", placement_id)
    return None if row is None else _placement(row)


async def lock_proposed_of(conn: asyncpg.Connection, participant_id: uuid.UUID, city: str) -> list[Placement]:
    rows = await conn.fetch(
        """SELECT * FROM placements WHERE participant_id = $1 AND city = $2 AND state = 'proposed'
           ORDER BY placement_id FOR UPDATE""",
        participant_id,
        city,
    )
    return [_placement(row) for row in rows]


async def save_placement(conn: asyncpg.Connection, placement: Placement) -> asyncpg.Record:
    """Store a placement's new state; returns the whole row."""
    return await conn.fetchrow(
        """UPDATE placements
           SET state = $2, outcome = $3, reason = $4, started_at = $5, ended_at = $6,
               version = version + 1, updated_at = now()
           WHERE placement_id = $1
           RETURNING *""",
        placement.placement_id,
        placement.state.value,
        placement.outcome.value if placement.outcome else None,
        placement.reason,
        placement.started_at,
        placement.ended_at,
    )


async def remember_erasure(conn: asyncpg.Connection, participant_id: uuid.UUID, erased_at: datetime) -> None:
    await conn.execute(
        "INSERT INTO erased_participants (participant_id, erased_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        participant_id,
        erased_at,
    )


async def is_erased(conn: asyncpg.Connection, participant_id: uuid.UUID) -> bool:
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM erased_participants WHERE participant_id = $1)", participant_id
    )
    return found


def _placement(row: Mapping[str, Any]) -> Placement:
    return Placement(
        placement_id=row["placement_id"],
        match_id=row["match_id"],
        vacancy_id=row["vacancy_id"],
        participant_id=row["participant_id"],
        city=row["city"],
        kind=None if row["kind"] is None else VacancyKind(row["kind"]),
        state=PlacementState(row["state"]),
        outcome=None if row["outcome"] is None else PlacementOutcome(row["outcome"]),
        reason=row["reason"],
        started_at=row["started_at"],
        ended_at=row["ended_at"],
    )
