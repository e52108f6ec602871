"""Placement events, v1: on ``mile.placement.placements.v1``, key = placement id.

Canonical examples: ``mile_schemas/examples/<event_type>/``.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import AfterValidator, Field

from mile_schemas.base import Event, Producer
from mile_schemas.codes import CitySlug, PlacementOutcome, ReasonCode, VacancyKind
from mile_schemas.events._fields import unique
from mile_schemas.timestamps import UtcDateTime
from mile_schemas.topics import PLACEMENTS

__all__ = [
    "ContractType",
    "FollowUpDue",
    "FollowUpMissed",
    "FollowUpRecorded",
    "HoursBand",
    "PlacementConfirmed",
    "PlacementEnded",
    "PlacementEvent",
    "PlacementStarted",
    "TutoringSessionRecorded",
]


class ContractType(StrEnum):
    """The contract a placement runs under, or a participant works under at a follow-up."""

    TRAINEESHIP = "traineeship"
    APPRENTICESHIP = "apprenticeship"
    FIXED_TERM = "fixed_term"
    PERMANENT = "permanent"
    TEMPORARY_AGENCY = "temporary_agency"
    SELF_EMPLOYED = "self_employed"
    OTHER = "other"


class HoursBand(StrEnum):
    """Weekly working hours in bands: enough for funders' part-/full-time counts, no more."""

    UNDER_16 = "under_16"
    FROM_16_TO_29 = "16_to_29"
    FROM_30 = "30_or_more"


Codes = Annotated[tuple[ReasonCode, ...], Field(max_length=20), AfterValidator(unique)]
"""A short set of snake_case codes (tutoring topics, issues raised): codes, never free text."""


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


class PlacementConfirmed(PlacementEvent):
    """Both sides agreed the placement's terms. Topic: PLACEMENTS.

    The tutor is a pseudonymous reference the city's frontend resolves in its own staff
    directory: no tutor's name travels or is stored in shared services.
    """

    event_type: ClassVar[str] = "eu.mile.placement.placement_confirmed.v1"
    time_field: ClassVar[str] = "confirmed_at"

    kind: VacancyKind
    contract_type: ContractType
    start_date: date
    weekly_hours: float = Field(gt=0, le=60)
    tutor_ref: UUID | None = Field(default=None, description="pseudonymous reference to the tutor")
    confirmed_at: UtcDateTime


class TutoringSessionRecorded(PlacementEvent):
    """A tutoring session or check-in took place during the placement. Topic: PLACEMENTS."""

    event_type: ClassVar[str] = "eu.mile.placement.tutoring_session_recorded.v1"
    time_field: ClassVar[str] = "recorded_at"

    session_id: UUID
    held_on: date
    tutor_ref: UUID = Field(description="pseudonymous reference to the tutor")
    topics: Codes = ()
    issues_raised: Codes = ()
    recorded_at: UtcDateTime


class FollowUpEvent(PlacementEvent):
    """A fact about one follow-up of an ended placement, ``offset_months`` after its end."""

    follow_up_id: UUID
    offset_months: int = Field(ge=1, le=60)


class FollowUpDue(FollowUpEvent):
    """A follow-up is due now; it is missed if nothing is recorded by ``window_closes_at``. Topic: PLACEMENTS."""

    event_type: ClassVar[str] = "eu.mile.placement.follow_up_due.v1"
    time_field: ClassVar[str] = "due_at"

    due_at: UtcDateTime
    window_closes_at: UtcDateTime


class FollowUpRecorded(FollowUpEvent):
    """A caseworker recorded where the participant stands. Topic: PLACEMENTS."""

    event_type: ClassVar[str] = "eu.mile.placement.follow_up_recorded.v1"
    time_field: ClassVar[str] = "recorded_at"

    employed: bool
    same_employer: bool | None = Field(default=None, description="null when not employed")
    contract_type: ContractType | None = None
    hours_band: HoursBand | None = None
    in_education_or_training: bool
    recorded_at: UtcDateTime


class FollowUpMissed(FollowUpEvent):
    """The follow-up's window passed with nothing recorded. Topic: PLACEMENTS."""

    event_type: ClassVar[str] = "eu.mile.placement.follow_up_missed.v1"
    time_field: ClassVar[str] = "missed_at"

    due_at: UtcDateTime
    missed_at: UtcDateTime
