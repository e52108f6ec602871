"""Commands caseworkers send to intake (HTTP request bodies are these models).

Request models forbid unknown fields, so a client can never set what the server
owns (id, city, status, audit fields) by adding it to a body.
"""

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from mile_intake.profile import Appraisal, Needs, ParticipantProfile, one_entry_per_language
from mile_schemas import (
    ConsentPurpose,
    ConsentStatus,
    Country,
    CourseType,
    GuidanceKind,
    Language,
    LanguageProficiency,
    ReasonCode,
    Sex,
    TrainingOutcome,
    unique,
)

MIN_AGE, MAX_AGE = 15, 100


def _working_age(born: date) -> date:
    """The programme serves people of working age; a date outside it is a typing error."""
    today = date.today()
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if not MIN_AGE <= age <= MAX_AGE:
        raise ValueError(f"age must be {MIN_AGE} to {MAX_AGE} years")
    return born


BirthDate = Annotated[date, AfterValidator(_working_age)]

EARLIEST_YEAR, LATEST_YEAR = 1900, 2999


def _in_utc(value: datetime) -> datetime:
    """Bounded, then in UTC: converting a time near year 1 or 9999 overflows, and nothing
    intake records happened before 1900."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"must be in the years {EARLIEST_YEAR} to {LATEST_YEAR}")
    return value.astimezone(UTC)


UtcTime = Annotated[AwareDatetime, AfterValidator(_in_utc)]
"""Every date-time intake accepts: with a UTC offset, within bounds, held in UTC."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PersonalData(Strict):
    """Identifying data: encrypted at rest, never leaves this city's intake."""

    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    birth_date: BirthDate
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, max_length=32, pattern=r"^\+?[0-9 ()-]{5,31}$")


_EXAMPLE = {
    "personal": {"given_name": "Amina", "family_name": "Yusuf", "birth_date": "1994-03-02", "email": "a.y@example.org"},
    "sex": "female",
    "nationality": "NG",
    "profile": {
        "legal_status": "refugee",
        "work_permit": {"scope": "full"},
        "languages": [{"language": "it", "listening": "B1", "reading": "A2", "speaking": "B1", "writing": "A2"}],
        "education": [{"isced_level": 3, "field": "0732", "country": "NG", "recognition": "requested"}],
        "experience": [{"isco08": "7126", "years": 3}],
        "expectations": {"desired_isco08": ["7126"], "hours_per_week": 30, "max_commute_km": 20},
        "municipality": "Centro",
    },
    "needs": {"codes": ["childcare"]},
    "consents": ["case_management", "matching", "statistics"],
    "notice_version": "2026-01",
}


class RegisterParticipant(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    personal: PersonalData
    sex: Sex
    nationality: Country | None = Field(description="ISO 3166-1 alpha-2; null when stateless or unknown")
    profile: ParticipantProfile
    needs: Needs | None = None
    appraisal: Appraisal | None = None
    consents: list[ConsentPurpose] = Field(description="purposes the participant gave consent for")
    notice_version: str = Field(min_length=1, max_length=32, description="privacy notice the consent refers to")


class PersonalPatch(Strict):
    """Personal fields to change; those left out keep their value (null clears e-mail or phone)."""

    given_name: str | None = Field(default=None, min_length=1, max_length=100)
    family_name: str | None = Field(default=None, min_length=1, max_length=100)
    birth_date: BirthDate | None = None
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, max_length=32, pattern=r"^\+?[0-9 ()-]{5,31}$")


class UpdateParticipant(Strict):
    """A partial update: each part given replaces the one held; ``profile``, ``needs`` and
    ``appraisal`` are replaced whole (null clears needs or appraisal)."""

    personal: PersonalPatch | None = None
    sex: Sex | None = None
    nationality: Country | None = None
    profile: ParticipantProfile | None = None
    needs: Needs | None = None
    appraisal: Appraisal | None = None


class RecordConsent(Strict):
    """A consent decision for one purpose, against the privacy notice shown to the person."""

    purpose: ConsentPurpose
    status: ConsentStatus
    notice_version: str = Field(min_length=1, max_length=32)
    expires_on: date | None = Field(
        default=None, description="only with status given: on this day the consent expires by itself"
    )

    @field_validator("expires_on")
    @classmethod
    def _expiry_only_when_given(cls, expires_on: date | None, info: ValidationInfo) -> date | None:
        if expires_on is not None and info.data.get("status") is not ConsentStatus.GIVEN:
            raise ValueError("expires_on is only given with status given")
        return expires_on


class ProfileSection(StrEnum):
    """Sections of the Skills Profile Tool an assessment went through."""

    PERSONAL_INFORMATION = "personal_information"
    LEGAL_STATUS = "legal_status"
    LANGUAGES = "languages"
    EDUCATION = "education"
    WORK_EXPERIENCE = "work_experience"
    SKILLS = "skills"
    EXPECTATIONS = "expectations"
    NEEDS = "needs"
    APPRAISAL = "appraisal"


Assessor = Annotated[str, Field(min_length=1, max_length=100, description="who carried out the assessment")]


class RecordSkillsAssessment(Strict):
    assessor: Assessor
    completed_at: UtcTime
    sections: Annotated[tuple[ProfileSection, ...], AfterValidator(unique)] = Field(min_length=1)


class AssessedLanguage(LanguageProficiency):
    """CEFR levels found per skill in one language: the shared entry, strict as a request and
    tested unless said otherwise (an assessment usually tests)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tested: bool = Field(default=True, description="false when the levels were self-declared")


class RecordLanguageAssessment(Strict):
    assessor: Assessor
    completed_at: UtcTime
    languages: Annotated[tuple[AssessedLanguage, ...], AfterValidator(one_entry_per_language)] = Field(
        min_length=1, max_length=20
    )


class EnrolInTraining(Strict):
    course_type: CourseType
    language: Language | None = Field(default=None, description="taught language; host-language courses only")
    planned_hours: int = Field(ge=1, le=2000)
    starts_on: date

    @field_validator("language")
    @classmethod
    def _language_only_for_language_courses(cls, language: str | None, info: ValidationInfo) -> str | None:
        if language is not None and info.data.get("course_type") is not CourseType.HOST_LANGUAGE:
            raise ValueError("language is only given for a host_language course")
        return language


class EndTraining(Strict):
    """Completed (with hours and maybe a certificate) or dropped out (with a reason code)."""

    outcome: TrainingOutcome
    hours_attended: int = Field(ge=0, le=2000)
    certificate: bool = Field(default=False, validate_default=True)
    drop_out_reason: ReasonCode | None = Field(default=None, validate_default=True)

    @field_validator("certificate")
    @classmethod
    def _certificate_on_completion(cls, certificate: bool, info: ValidationInfo) -> bool:
        if certificate and info.data.get("outcome") is not TrainingOutcome.COMPLETED:
            raise ValueError("a certificate is only awarded on completion")
        return certificate

    @field_validator("drop_out_reason")
    @classmethod
    def _reason_for_drop_out(cls, reason: str | None, info: ValidationInfo) -> str | None:
        dropped = info.data.get("outcome") is TrainingOutcome.DROPPED_OUT
        if dropped and reason is None:
            raise ValueError("required when the participant dropped out")
        if not dropped and reason is not None:
            raise ValueError("only given when the participant dropped out")
        return reason


class RecordGuidanceSession(Strict):
    kind: GuidanceKind
    held_on: date
    minutes: int = Field(ge=1, le=600)
    notes: str | None = Field(default=None, max_length=4000, description="held encrypted; never published")
