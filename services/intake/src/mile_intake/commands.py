"""Commands caseworkers send to intake (HTTP request bodies are these models).

Request models forbid unknown fields, so a client can never set what the server
owns (id, city, status, audit fields) by adding it to a body.
"""

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from mile_schemas import CandidateProfile, ConsentPurpose, Country, Sex


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PersonalData(Strict):
    """Identifying data: encrypted at rest, never leaves this city's intake."""

    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    birth_date: date
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, max_length=32, pattern=r"^\+?[0-9 ()-]{5,31}$")


class ProfileInput(CandidateProfile):
    """The shareable profile as a caseworker enters it (unknown fields refused)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class RegisterParticipant(Strict):
    personal: PersonalData
    sex: Sex
    nationality: Country | None = Field(description="ISO 3166-1 alpha-2; null when stateless or unknown")
    profile: ProfileInput
    consents: list[ConsentPurpose] = Field(description="purposes the participant gave consent for")
    notice_version: str = Field(min_length=1, max_length=32, description="privacy notice the consent refers to")
