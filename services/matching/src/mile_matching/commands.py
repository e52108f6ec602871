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


class UpdateVacancy(Strict):
    """Change an open vacancy's requirements; only the fields given change (null clears an optional one)."""

    kind: VacancyKind | None = None
    title: str | None = Field(default=None, min_length=1, max_length=200)
    isco08: ISCO08Code | None = None
    esco_uri: ESCOUri | None = None
    essential_skills: Annotated[tuple[Label, ...], AfterValidator(unique)] | None = None
    optional_skills: Annotated[tuple[Label, ...], AfterValidator(unique)] | None = None
    languages: Annotated[tuple[LanguageRequirementInput, ...], AfterValidator(_one_requirement_per_language)] | None = (
        None
    )
    municipality: str | None = Field(default=None, min_length=1, max_length=100)
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    positions: int | None = Field(default=None, ge=1, le=1000)
    hours_per_week: int | None = Field(default=None, ge=1, le=60)
    start_date: date | None = None
    closing_date: date | None = None
    accepted_legal_statuses: Annotated[tuple[LegalStatus, ...], AfterValidator(unique)] | None = None

    @model_validator(mode="after")
    def _something_changes(self) -> "UpdateVacancy":
        if not self.model_fields_set:
            raise ValueError("give at least one field to change")
        required = {"kind", "title", "isco08", "municipality", "positions", "hours_per_week", "start_date"}
        cleared = sorted(name for name in required & self.model_fields_set if getattr(self, name) is None)
        if cleared:
            raise ValueError(f"{', '.join(cleared)} cannot be cleared")
        return self

    def changes(self) -> dict[str, object]:
        """The fields the liaison gave, as JSON values."""
        return self.model_dump(mode="json", include=self.model_fields_set)


NACECode = Annotated[str, Field(pattern=r"^[A-U](\d{2}(\.\d{1,2})?)?$", examples=["F43.2", "I56", "C"])]


class EmployerContact(Strict):
    """Whom a liaison calls at the employer; kept in matching, never published."""

    person: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 ()./-]{5,30}$")


class RegisterEmployer(Strict):
    """An employer offering places in the liaison's city (the city comes from the token)."""

    name: str = Field(min_length=1, max_length=200)
    nace: NACECode = Field(description="NACE Rev. 2 sector: section letter, optional division and group")
    municipality: str = Field(min_length=1, max_length=100)
    contact: EmployerContact = EmployerContact()


class AssignBatch(Strict):
    """Propose at once, over a city or region, the assignment with the best total score."""

    cities: Annotated[tuple[CitySlug, ...], AfterValidator(unique)] = Field(
        min_length=1, description="vacancies and participants of these cities take part"
    )
    min_score: float | None = Field(default=None, ge=0, le=1, description="lowest score proposed; default configured")
    min_refugee_share: float | None = Field(default=None, ge=0, le=1, description="of those proposed")
    city_balance: float | None = Field(
        default=None, ge=0, le=1, description="every city's proposal rate at least this fraction of the overall rate"
    )


class CloseVacancy(Strict):
    reason: ReasonCode = Field(description="snake_case code, e.g. filled, withdrawn_by_employer")


class DecideMatch(Strict):
    decision: MatchDecision
    reason: ReasonCode | None = Field(default=None, description="snake_case code, e.g. participant_declined")
