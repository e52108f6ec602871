"""Commands employer liaisons and caseworkers send to matching (HTTP request bodies).

Request models forbid unknown fields, so a client can never set what the server owns
(ids, status, filled positions, times) by adding it to a body.
"""

from datetime import date
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from mile_schemas import (
    CitySlug,
    ESCOUri,
    ISCO08Code,
    LanguageRequirement,
    LegalStatus,
    MatchDecision,
    ReasonCode,
    VacancyKind,
)
from mile_schemas.events._fields import Label, Latitude, Longitude, unique


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LanguageRequirementInput(LanguageRequirement):
    """A language minimum as a liaison enters it (unknown fields refused)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _one_requirement_per_language(
    languages: tuple[LanguageRequirementInput, ...],
) -> tuple[LanguageRequirementInput, ...]:
    unique(tuple(requirement.language for requirement in languages))
    return languages


class OpenVacancy(Strict):
    """A vacancy or work-experience place: ``VacancyOpened`` without what the server assigns."""

    employer_id: UUID
    city: CitySlug
    kind: VacancyKind
    title: str = Field(min_length=1, max_length=200)
    isco08: ISCO08Code
    esco_uri: ESCOUri | None = None
    essential_skills: Annotated[tuple[Label, ...], AfterValidator(unique)] = ()
    optional_skills: Annotated[tuple[Label, ...], AfterValidator(unique)] = ()
    languages: Annotated[tuple[LanguageRequirementInput, ...], AfterValidator(_one_requirement_per_language)] = ()
    municipality: str = Field(min_length=1, max_length=100)
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    positions: int = Field(default=1, ge=1, le=1000)
    hours_per_week: int = Field(ge=1, le=60)
    start_date: date
    closing_date: date | None = None
    accepted_legal_statuses: Annotated[tuple[LegalStatus, ...], AfterValidator(unique)] = Field(
        default=(), description="empty: no restriction beyond a work permit"
    )

    @model_validator(mode="after")
    def _coordinates_together(self) -> "OpenVacancy":
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude are given together or not at all")
        return self


class CloseVacancy(Strict):
    reason: ReasonCode = Field(description="snake_case code, e.g. filled, withdrawn_by_employer")


class DecideMatch(Strict):
    decision: MatchDecision
    reason: ReasonCode | None = Field(default=None, description="snake_case code, e.g. participant_declined")
