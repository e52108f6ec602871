"""The Skills Profile Tool profile as a caseworker records it, in the tool's order.

The profile is held as JSON in the participant's row (it names no one); from it intake
derives the pseudonymous ``CandidateProfile`` matching may see and the recognition
status reporting counts. Needs and barriers and the caseworker's appraisal are free
text about a person, so they are held encrypted beside the personal data and never leave.
"""

from datetime import date
from enum import StrEnum
from typing import Annotated, Protocol, Self, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from mile_schemas import (
    CandidateProfile,
    CoarseLatitude,
    CoarseLongitude,
    Country,
    ISCEDLevel,
    ISCO08Code,
    Label,
    LanguageProficiency,
    LegalStatus,
    OccupationExperience,
    RecognitionStatus,
    WorkPermit,
    unique,
)


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Qualification(_Input):
    """One completed education; ``recognition`` only for a qualification obtained abroad."""

    isced_level: ISCEDLevel = Field(description="ISCED 2011 level")
    field: str | None = Field(default=None, pattern=r"^\d{2,4}$", description="ISCED-F 2013 field code")
    country: Country | None = Field(default=None, description="ISO 3166-1 alpha-2 where it was obtained")
    recognition: RecognitionStatus | None = Field(
        default=None, description="recognition of a foreign qualification; null when not applicable"
    )


class Expectations(_Input):
    """What the participant looks for: matching ranks vacancies against these."""

    desired_isco08: Annotated[tuple[ISCO08Code, ...], AfterValidator(unique)] = ()
    hours_per_week: int | None = Field(default=None, ge=1, le=60)
    available_from: date | None = Field(default=None, description="earliest start")
    max_commute_km: int | None = Field(default=None, ge=0, le=500)


class _InOneLanguage(Protocol):
    @property
    def language(self) -> str: ...


L = TypeVar("L", bound=_InOneLanguage)


def one_entry_per_language(entries: tuple[L, ...]) -> tuple[L, ...]:
    """Levels are held per language: two entries for one language would contradict each other."""
    unique(tuple(entry.language for entry in entries))
    return entries


class ParticipantProfile(_Input):
    """Legal status, languages, education, experience, skills, expectations and where they live."""

    legal_status: LegalStatus
    work_permit: WorkPermit
    languages: Annotated[tuple[LanguageProficiency, ...], AfterValidator(one_entry_per_language)] = ()
    education: tuple[Qualification, ...] = ()
    experience: tuple[OccupationExperience, ...] = ()
    skills: Annotated[tuple[Label, ...], AfterValidator(unique)] = Field(
        default=(), description="ESCO skill URIs where known, otherwise short labels"
    )
    expectations: Expectations = Expectations()
    municipality: str = Field(min_length=1, max_length=100)
    latitude: CoarseLatitude | None = Field(default=None, description="rounded to 0.01°")
    longitude: CoarseLongitude | None = Field(default=None, description="rounded to 0.01°")

    @model_validator(mode="after")
    def _coordinates_together(self) -> Self:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude are given together or not at all")
        return self


class NeedCode(StrEnum):
    """Needs and barriers to work, as codes: never medical or health details."""

    CHILDCARE = "childcare"
    ELDER_CARE = "elder_care"
    TRANSPORT = "transport"
    HOUSING = "housing"
    DIGITAL_SKILLS = "digital_skills"
    HOST_LANGUAGE = "host_language"
    DOCUMENTS = "documents"
    FINANCIAL = "financial"


class Needs(_Input):
    codes: Annotated[tuple[NeedCode, ...], AfterValidator(unique)] = ()
    note: str | None = Field(default=None, max_length=1000, description="short note; no medical details")


class Appraisal(_Input):
    """The caseworker's overall appraisal and the next steps agreed (held encrypted, never published)."""

    summary: str = Field(min_length=1, max_length=4000)
    next_steps: str | None = Field(default=None, max_length=4000)


class Casework(BaseModel):
    """What is held encrypted about the person besides identity: needs and the appraisal."""

    needs: Needs | None = None
    appraisal: Appraisal | None = None


def candidate_profile(profile: ParticipantProfile) -> CandidateProfile:
    """What matching may see: expectations and the highest ISCED level, no needs or notes."""
    expectations = profile.expectations
    return CandidateProfile(
        legal_status=profile.legal_status,
        work_permit=profile.work_permit,
        languages=profile.languages,
        isced_level=max((q.isced_level for q in profile.education), default=None),
        experience=profile.experience,
        skills=profile.skills,
        desired_isco08=expectations.desired_isco08,
        municipality=profile.municipality,
        latitude=profile.latitude,
        longitude=profile.longitude,
        hours_per_week=expectations.hours_per_week,
        available_from=expectations.available_from,
        max_commute_km=expectations.max_commute_km,
    )


_RECOGNITION_ORDER = tuple(RecognitionStatus)  # none < requested < partial < full


def furthest_recognition(profile: ParticipantProfile) -> RecognitionStatus | None:
    """The furthest recognition status across foreign qualifications; None when none is held."""
    statuses = [q.recognition for q in profile.education if q.recognition is not None]
    return max(statuses, key=_RECOGNITION_ORDER.index, default=None)


def with_languages(profile: ParticipantProfile, assessed: tuple[LanguageProficiency, ...]) -> ParticipantProfile:
    """The profile after a language assessment: assessed languages replace the levels held."""
    found = {entry.language: entry for entry in assessed}
    kept = tuple(found.pop(entry.language, entry) for entry in profile.languages)
    return profile.model_copy(update={"languages": (*kept, *found.values())})
