"""What placement shows caseworkers and programme managers, and the queries behind it."""

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

from mile_placement.domain import PlacementState
from mile_schemas import CitySlug, PlacementOutcome, VacancyKind


class PlacementView(BaseModel):
    placement_id: uuid.UUID
    match_id: uuid.UUID
    vacancy_id: uuid.UUID
    participant_id: uuid.UUID = Field(description="pseudonymous")
    city: str = Field(description="the participant's city")
    kind: VacancyKind | None = Field(description="null until the vacancy has reached placement")
    state: PlacementState
    outcome: PlacementOutcome | None
    reason: str | None
    proposed_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class PlacementQuery(BaseModel):
    """Filters of ``GET /placements`` (query parameters; unknown ones are refused)."""

    model_config = ConfigDict(extra="forbid")

    participant_id: uuid.UUID | None = None
    vacancy_id: uuid.UUID | None = None
    match_id: uuid.UUID | None = None
    state: PlacementState | None = None
    city: CitySlug | None = None
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0)


def placement_view(row: Mapping[str, Any]) -> PlacementView:
    return PlacementView.model_validate(dict(row))


async def find_placement(conn: asyncpg.Connection, placement_id: uuid.UUID) -> PlacementView | None:
    row = await conn.fetchrow("SELECT * FROM placements WHERE placement_id = $1", placement_id)
    return None if row is None else placement_view(row)


async def search_placements(conn: asyncpg.Connection, query: PlacementQuery) -> list[PlacementView]:
    """Newest accepted match first; each filter left out matches everything."""
    rows = await conn.fetch(
        """SELECT * FROM placements
           WHERE ($1::uuid IS NULL OR participant_id = $1)
             AND ($2::uuid IS NULL OR vacancy_id = $2)
             AND ($3::uuid IS NULL OR match_id = $3)
             AND ($4::text IS NULL OR state = $4)
             AND ($5::text IS NULL OR city = $5)
           ORDER BY proposed_at DESC, placement_id DESC
           LIMIT $6 OFFSET $7""",
        query.participant_id,
        query.vacancy_id,
        query.match_id,
        query.state.value if query.state else None,
        query.city,
        query.limit,
        query.offset,
    )
    return [placement_view(row) for row in rows]
