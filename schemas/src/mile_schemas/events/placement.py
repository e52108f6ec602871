"""Placement events, v1: on ``mile.placement.placements.v1``, key = placement id.

Canonical examples: ``mile_schemas/examples/<event_type>/``.
"""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import Field

from mile_schemas.base import Event, Producer
from mile_schemas.codes import CitySlug, PlacementOutcome, ReasonCode, VacancyKind
from mile_schemas.timestamps import UtcDateTime
from mile_schemas.topics import PLACEMENTS

__all__ = ["PlacementEnded", "PlacementEvent", "PlacementStarted"]


class PlacementEvent(Event):
    """A fact about one placement (work experience, apprenticeship or job)."""

    producer: ClassVar[Producer] = "placement"

    placement_id: UUID
    match_id: UUID
    vacancy_id: UUID
    participant_id: UUID
    city: CitySlug = Field(description="the participant's city")

    def topic(self) -> str:
        return PLACEMENTS

    def key(self) -> str:
        return str(self.placement_id)


class PlacementStarted(PlacementEvent):
    """The participant started at the employer. Topic: PLACEMENTS."""

    event_type: ClassVar[str] = "eu.mile.placement.placement_started.v1"
    time_field: ClassVar[str] = "started_at"

    kind: VacancyKind
    started_at: UtcDateTime


class PlacementEnded(PlacementEvent):
    """The placement ended; ``early`` returns its capacity to the vacancy. Topic: PLACEMENTS."""

    event_type: ClassVar[str] = "eu.mile.placement.placement_ended.v1"
    time_field: ClassVar[str] = "ended_at"

    outcome: PlacementOutcome
    reason: ReasonCode | None = None
    ended_at: UtcDateTime
    early: bool = Field(description="ended before the planned end")
