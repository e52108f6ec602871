"""What placement shows caseworkers and programme managers, and the queries behind it."""

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

from mile_placement.domain import PlacementState
from mile_placement.followups import FollowUpState
from mile_schemas import CitySlug, ContractType, HoursBand, PlacementOutcome, VacancyKind


class PlacementView(BaseModel):
    placement_id: uuid.UUID
    match_id: uuid.UUID
    vacancy_id: uuid.UUID
    participant_id: uuid.UUID = Field(description="pseudonymous")
    city: str = Field(description="the participant's city")
    kind: VacancyKind | None = Field(description="null until the vacancy has reached placement")
    state: PlacementState
    contract_type: ContractType | None = Field(description="agreed at confirmation")
    start_date: date | None = Field(description="planned start, agreed at confirmation")
    weekly_hours: float | None
    tutor_ref: uuid.UUID | None = Field(description="pseudonymous reference to the tutor")
    outcome: PlacementOutcome | None
    reason: str | None
    proposed_at: datetime
    confirmed_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class TutoringSessionView(BaseModel):
    session_id: uuid.UUID
    placement_id: uuid.UUID
    held_on: date
    tutor_ref: uuid.UUID
    topics: list[str]
    issues_raised: list[str]
    recorded_at: datetime


class FeedbackView(BaseModel):
    feedback_id: uuid.UUID
    placement_id: uuid.UUID
    punctuality: int
    teamwork: int
    technical_skills: int
    language: int
    would_hire: bool
    note: str | None = Field(description="null once the participant was erased")
    given_at: datetime


class FollowUpView(BaseModel):
    follow_up_id: uuid.UUID
    placement_id: uuid.UUID
    participant_id: uuid.UUID = Field(description="pseudonymous")
    city: str
    offset_months: int
    due_at: datetime
    window_closes_at: datetime
    state: FollowUpState
    employed: bool | None
    same_employer: bool | None
    contract_type: ContractType | None
    hours_band: HoursBand | None
    in_education_or_training: bool | None
    recorded_at: datetime | None


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


class FollowUpQuery(BaseModel):
    """Filters of ``GET /follow-ups``: a city's due list by default (state ``due``)."""

    model_config = ConfigDict(extra="forbid")

    city: CitySlug | None = Field(default=None, description="default: the caller's city")
    state: FollowUpState = FollowUpState.DUE
    placement_id: uuid.UUID | None = None
    limit: int = Field(default=100, ge=1, le=500)
    offset: int = Field(default=0, ge=0)


def placement_view(row: Mapping[str, Any]) -> PlacementView:
    values = dict(row)
    if values["weekly_hours"] is not None:
        values["weekly_hours"] = float(values["weekly_hours"])
    return PlacementView.model_validate(values)


async def find_placement(conn: asyncpg.Connection, placement_id: uuid.UUID) -> PlacementView | None:
    row = await conn.fetchrow("SELECT * FROM placements WHERE placement_id = $1", placement_id)
    return None if row is None else placement_view(row)


async def city_of_placement(conn: asyncpg.Connection, placement_id: uuid.UUID) -> str | None:
    city: str | None = await conn.fetchval("SELECT city FROM placements WHERE placement_id = $1", placement_id)
    return city


async def city_of_follow_up(conn: asyncpg.Connection, follow_up_id: uuid.UUID) -> str | None:
    city: str | None = await conn.fetchval(
        "SELECT p.city FROM follow_ups f JOIN placements p USING (placement_id) WHERE f.follow_up_id = $1",
        follow_up_id,
    )
    return city


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


async def tutoring_sessions(conn: asyncpg.Connection, placement_id: uuid.UUID) -> list[TutoringSessionView]:
    rows = await conn.fetch(
        "SELECT * FROM tutoring_sessions WHERE placement_id = $1 ORDER BY held_on, recorded_at", placement_id
    )
    return [TutoringSessionView.model_validate(dict(row)) for row in rows]


async def feedback_of(conn: asyncpg.Connection, placement_id: uuid.UUID) -> list[FeedbackView]:
    rows = await conn.fetch("SELECT * FROM employer_feedback WHERE placement_id = $1 ORDER BY given_at", placement_id)
    return [FeedbackView.model_validate(dict(row)) for row in rows]


_FOLLOW_UP_SELECT = """SELECT f.*, p.participant_id, p.city FROM follow_ups f JOIN placements p USING (placement_id)"""


async def find_follow_up(conn: asyncpg.Connection, follow_up_id: uuid.UUID) -> FollowUpView | None:
    row = await conn.fetchrow(f"{_FOLLOW_UP_SELECT} WHERE f.follow_up_id = $1", follow_up_id)
    return None if row is None else FollowUpView.model_validate(dict(row))


async def search_follow_ups(conn: asyncpg.Connection, query: FollowUpQuery) -> list[FollowUpView]:
    """Soonest due first: the order a caseworker works through them."""
    rows = await conn.fetch(
        f"""{_FOLLOW_UP_SELECT}
            WHERE p.city = $1 AND f.state = $2 AND ($3::uuid IS NULL OR f.placement_id = $3)
            ORDER BY f.due_at, f.follow_up_id LIMIT $4 OFFSET $5""",
        query.city,
        query.state.value,
        query.placement_id,
        query.limit,
        query.offset,
    )
    return [FollowUpView.model_validate(dict(row)) for row in rows]
