"""Commands caseworkers send to intake (HTTP request bodies are these models).

Request models forbid unknown fields, so a client can never set what the server
owns (id, city, status, audit fields) by adding it to a body.
"""

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from mile_schemas import CandidateProfile, ConsentPurpose, ConsentStatus, Country, Sex

MIN_AGE, MAX_AGE = 15, 100


def _working_age(born: date) -> date:
    """The programme serves people of working age; a date outside it is a typing error."""
    today = date.today()
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if not MIN_AGE <= age <= MAX_AGE:
        raise ValueError(f"age must be {MIN_AGE} to {MAX_AGE} years")
    return born


BirthDate = Annotated[date, AfterValidator(_working_age)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PersonalData(Strict):
    """Identifying data: encrypted at rest, never leaves this city's intake."""

    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    birth_date: BirthDate
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, max_length=32, pattern=r"^\+?[0-9 ()-]{5,31}$")


class ProfileInput(CandidateProfile):
    """The shareable profile as a caseworker enters it (unknown fields refused)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


_EXAMPLE = {
    "personal": {"given_name": "Amina", "family_name": "Yusuf", "birth_date": "1994-03-02", "email": "a.y@example.org"},
    "sex": "female",
    "nationality": "NG",
    "profile": {
        "legal_status": "refugee",
        "work_permit": {"scope": "full"},
        "languages": [{"language": "it", "listening": "B1", "reading": "A2", "speaking": "B1", "writing": "A2"}],
        "experience": [{"isco08": "7126", "years": 3}],
        "desired_isco08": ["7126"],
        "municipality": "Centro",
        "hours_per_week": 30,
    },
    "consents": ["case_management", "matching", "statistics"],
    "notice_version": "2026-01",
}


class RegisterParticipant(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    personal: PersonalData
    sex: Sex
    nationality: Country | None = Field(description="ISO 3166-1 alpha-2; null when stateless or unknown")
    profile: ProfileInput
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
    """A partial update: each part given replaces the one held; ``profile`` is replaced whole."""

    personal: PersonalPatch | None = None
    sex: Sex | None = None
    nationality: Country | None = None
    profile: ProfileInput | None = None


class RecordConsent(Strict):
    """A consent decision for one purpose, against the privacy notice shown to the person."""

    purpose: ConsentPurpose
    status: ConsentStatus
    notice_version: str = Field(min_length=1, max_length=32)
