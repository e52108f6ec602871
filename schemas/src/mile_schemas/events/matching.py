"""Matching events, v1: vacancies on ``mile.matching.vacancies.v1`` (key = vacancy id) and
match proposals and decisions on ``mile.matching.matches.v1`` (key = match id).

Canonical examples: ``mile_schemas/examples/<event_type>/``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from mile_schemas.base import Event, Producer
from mile_schemas.codes import (
    CEFRLevel,
    CitySlug,
    ESCOUri,
    ISCO08Code,
    Language,
    LegalStatus,
    MatchDecision,
    ReasonCode,
    VacancyKind,
)
from mile_schemas.events._fields import Label, Latitude, Longitude, unique
from mile_schemas.timestamps import UtcDateTime
from mile_schemas.topics import MATCHES, VACANCIES

__all__ = [
    "EmployerRegistered",
    "LanguageRequirement",
    "MatchDecided",
    "MatchEvent",
    "MatchProposed",
    "VacancyClosed",
    "VacancyEvent",
    "VacancyOpened",
    "VacancyUpdated",
]


class LanguageRequirement(BaseModel):
    """The lowest CEFR level a vacancy accepts in a language (every skill must meet it)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    language: Language
    min_level: CEFRLevel


class VacancyEvent(Event):
    """A fact about one vacancy or work-experience place."""

    producer: ClassVar[Producer] = "matching"

    vacancy_id: UUID
    city: CitySlug

    def topic(self) -> str:
        return VACANCIES

    def key(self) -> str:
        return str(self.vacancy_id)


def _one_requirement_per_language(
    languages: tuple[LanguageRequirement, ...],
) -> tuple[LanguageRequirement, ...]:
    unique(tuple(requirement.language for requirement in languages))
    return languages


class VacancyOpened(VacancyEvent):
    """An employer liaison opened a vacancy. Topic: VACANCIES."""

    event_type: ClassVar[str] = "eu.mile.matching.vacancy_opened.v1"
    time_field: ClassVar[str] = "opened_at"

    employer_id: UUID
    kind: VacancyKind
    title: str = Field(min_length=1, max_length=200)
    isco08: ISCO08Code
    esco_uri: ESCOUri | None = None
    essential_skills: Annotated[tuple[Label, ...], AfterValidator(unique)] = ()
    optional_skills: Annotated[tuple[Label, ...], AfterValidator(unique)] = ()
    languages: Annotated[tuple[LanguageRequirement, ...], AfterValidator(_one_requirement_per_language)] = ()
    municipality: str = Field(min_length=1, max_length=100)
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    positions: int = Field(default=1, ge=1)
    hours_per_week: int = Field(ge=1, le=60)
    start_date: date
    closing_date: date | None = None
    accepted_legal_statuses: Annotated[tuple[LegalStatus, ...], AfterValidator(unique)] = Field(
        default=(), description="empty: no restriction beyond a work permit"
    )
    opened_at: UtcDateTime

    @model_validator(mode="after")
    def _coordinates_together(self) -> VacancyOpened:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude are given together or not at all")
        return self


class VacancyUpdated(VacancyEvent):
    """An employer liaison changed an open vacancy; carries its requirements as they now stand.

    Topic: VACANCIES.
    """

    event_type: ClassVar[str] = "eu.mile.matching.vacancy_updated.v1"
    time_field: ClassVar[str] = "updated_at"

    kind: VacancyKind
    title: str = Field(min_length=1, max_length=200)
    isco08: ISCO08Code
    esco_uri: ESCOUri | None = None
    essential_skills: Annotated[tuple[Label, ...], AfterValidator(unique)] = ()
    optional_skills: Annotated[tuple[Label, ...], AfterValidator(unique)] = ()
    languages: Annotated[tuple[LanguageRequirement, ...], AfterValidator(_one_requirement_per_language)] = ()
    municipality: str = Field(min_length=1, max_length=100)
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    positions: int = Field(ge=1)
    hours_per_week: int = Field(ge=1, le=60)
    start_date: date
    closing_date: date | None = None
    accepted_legal_statuses: Annotated[tuple[LegalStatus, ...], AfterValidator(unique)] = ()
    updated_at: UtcDateTime

    @model_validator(mode="after")
    def _coordinates_together(self) -> VacancyUpdated:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude are given together or not at all")
        return self


NACECode = Annotated[
    str,
    Field(pattern=r"^[A-U](\d{2}(\.\d{1,2})?)?$", description="NACE Rev. 2: section letter, optional division/group"),
]


class EmployerRegistered(Event):
    """An employer liaison registered an employer of a city; its contact stays in matching.

    Topic: VACANCIES (key = employer id), beside the vacancies it offers.
    """

    producer: ClassVar[Producer] = "matching"
    event_type: ClassVar[str] = "eu.mile.matching.employer_registered.v1"
    time_field: ClassVar[str] = "registered_at"

    employer_id: UUID
    city: CitySlug
    organisation: str = Field(min_length=1, max_length=200, description="the employer's trading name")
    nace: NACECode
    municipality: str = Field(min_length=1, max_length=100)
    registered_at: UtcDateTime

    def topic(self) -> str:
        return VACANCIES

    def key(self) -> str:
        return str(self.employer_id)


class VacancyClosed(VacancyEvent):
    """A vacancy stopped taking candidates (filled, withdrawn, expired). Topic: VACANCIES."""

    event_type: ClassVar[str] = "eu.mile.matching.vacancy_closed.v1"
    time_field: ClassVar[str] = "closed_at"

    closed_at: UtcDateTime
    reason: ReasonCode


class MatchEvent(Event):
    """A fact about one proposed pairing of a participant and a vacancy."""

    producer: ClassVar[Producer] = "matching"

    match_id: UUID
    vacancy_id: UUID
    participant_id: UUID
    city: CitySlug = Field(description="the participant's city")

    def topic(self) -> str:
        return MATCHES

    def key(self) -> str:
        return str(self.match_id)


class MatchProposed(MatchEvent):
    """Matching proposed a participant for a vacancy, with its score and why. Topic: MATCHES."""

    event_type: ClassVar[str] = "eu.mile.matching.match_proposed.v1"
    time_field: ClassVar[str] = "proposed_at"

    score: float = Field(ge=0, le=1)
    reasons: tuple[Label, ...] = ()
    proposed_at: UtcDateTime


class MatchDecided(MatchEvent):
    """A caseworker accepted or rejected a proposal. Topic: MATCHES."""

    event_type: ClassVar[str] = "eu.mile.matching.match_decided.v1"
    time_field: ClassVar[str] = "decided_at"

    decision: MatchDecision
    reason: ReasonCode | None = None
    decided_at: UtcDateTime
