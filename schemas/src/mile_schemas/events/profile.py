"""Pseudonymous participant attributes that may leave a city's intake (DESIGN §4).

Only what matching and reporting need: no names, contacts, birth date, address, documents,
notes or health details.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from mile_schemas.codes import (
    AgeBand,
    CEFRLevel,
    Country,
    ESCOUri,
    ISCEDLevel,
    ISCO08Code,
    Language,
    LegalStatus,
    RecognitionStatus,
    Sex,
    WorkPermitScope,
)
from mile_schemas.events._fields import CoarseLatitude, CoarseLongitude, Label, unique

__all__ = [
    "CandidateProfile",
    "LanguageProficiency",
    "OccupationExperience",
    "StatisticalAttributes",
    "WorkPermit",
]


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class LanguageProficiency(_Part):
    """CEFR level per skill in one language; ``tested`` means assessed, not self-declared."""

    language: Language
    listening: CEFRLevel
    reading: CEFRLevel
    speaking: CEFRLevel
    writing: CEFRLevel
    tested: bool = False


class OccupationExperience(_Part):
    """Work experience in an occupation, coded as ISCO-08 (and ESCO where known)."""

    isco08: ISCO08Code
    esco_uri: ESCOUri | None = None
    years: float = Field(ge=0, le=70)


class WorkPermit(_Part):
    scope: WorkPermitScope
    valid_until: date | None = None


class StatisticalAttributes(_Part):
    """Attributes for funders' indicators; published only with statistics consent.

    ``nationality`` is None for stateless people or when unknown: ISO 3166 has no code for them.
    """

    age_band: AgeBand
    sex: Sex
    nationality: Country | None
    legal_status: LegalStatus
    recognition: RecognitionStatus | None = Field(
        default=None,
        description="furthest recognition status of the participant's foreign qualifications; None = none held",
    )


def _one_entry_per_language(
    languages: tuple[LanguageProficiency, ...],
) -> tuple[LanguageProficiency, ...]:
    unique(tuple(entry.language for entry in languages))
    return languages


class CandidateProfile(_Part):
    """What matching needs to rank a participant; published only with matching consent."""

    legal_status: LegalStatus
    work_permit: WorkPermit
    languages: Annotated[tuple[LanguageProficiency, ...], AfterValidator(_one_entry_per_language)] = ()
    isced_level: ISCEDLevel | None = None
    experience: tuple[OccupationExperience, ...] = ()
    skills: Annotated[tuple[Label, ...], AfterValidator(unique)] = Field(
        default=(), description="ESCO skill URIs where known, otherwise short labels"
    )
    desired_isco08: Annotated[tuple[ISCO08Code, ...], AfterValidator(unique)] = ()
    municipality: str = Field(min_length=1, max_length=100)
    latitude: CoarseLatitude | None = Field(default=None, description="rounded to 0.01°")
    longitude: CoarseLongitude | None = Field(default=None, description="rounded to 0.01°")
    hours_per_week: int | None = Field(default=None, ge=1, le=60)
    available_from: date | None = None
    max_commute_km: int | None = Field(default=None, ge=0, le=500)

    @model_validator(mode="after")
    def _coordinates_together(self) -> CandidateProfile:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude are given together or not at all")
        return self
