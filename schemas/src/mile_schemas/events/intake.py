"""Intake events, v1: published by each city's intake on ``mile.intake.<city>.participants.v1``.

Key = participant id. Canonical examples: ``mile_schemas/examples/<event_type>/``.
Consent is fail-closed: a profile travels only with matching consent, statistics only with
statistics consent, and the models refuse anything else.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import AfterValidator, Field, model_validator

from mile_schemas.base import Event, Producer
from mile_schemas.codes import (
    CitySlug,
    ConsentPurpose,
    ConsentStatus,
    CourseType,
    GuidanceKind,
    Language,
    ReasonCode,
    TrainingOutcome,
)
from mile_schemas.events._fields import Label
from mile_schemas.events.profile import (
    CandidateProfile,
    LanguageProficiency,
    StatisticalAttributes,
)
from mile_schemas.timestamps import UtcDateTime
from mile_schemas.topics import participants_topic

__all__ = [
    "AssessmentCompleted",
    "ConsentChanged",
    "GuidanceSessionRecorded",
    "IntakeEvent",
    "ParticipantErased",
    "ParticipantProfileUpdated",
    "ParticipantRegistered",
    "TrainingEnded",
    "TrainingEnrolled",
]


class IntakeEvent(Event):
    """A fact about one participant, published on the participant's city topic."""

    producer: ClassVar[Producer] = "intake"

    participant_id: UUID = Field(description="pseudonymous id; personal data stays in intake")
    city: CitySlug

    def topic(self) -> str:
        return participants_topic(self.city)

    def key(self) -> str:
        return str(self.participant_id)

    def source(self) -> str:
        return f"/mile/intake/{self.city}"


_PURPOSE_ORDER = tuple(ConsentPurpose)  # iterating the enum class itself is slow, and this runs per event


def _canonical_purposes(purposes: tuple[ConsentPurpose, ...]) -> tuple[ConsentPurpose, ...]:
    """A set of purposes in declaration order, so the same consents encode to the same bytes."""
    return tuple(purpose for purpose in _PURPOSE_ORDER if purpose in purposes)


class ParticipantRegistered(IntakeEvent):
    """A caseworker registered a participant. Topic: ``participants_topic(city)``."""

    event_type: ClassVar[str] = "eu.mile.intake.participant_registered.v1"
    time_field: ClassVar[str] = "registered_at"

    registered_at: UtcDateTime
    consents: Annotated[tuple[ConsentPurpose, ...], AfterValidator(_canonical_purposes)] = Field(
        default=(),
        description="purposes consent is currently given for (a set, in canonical order)",
    )
    statistics: StatisticalAttributes | None = None
    profile: CandidateProfile | None = None

    @model_validator(mode="after")
    def _fail_closed(self) -> ParticipantRegistered:
        if self.profile is not None and ConsentPurpose.MATCHING not in self.consents:
            raise ValueError("profile requires matching consent")
        if self.statistics is not None and ConsentPurpose.STATISTICS not in self.consents:
            raise ValueError("statistics require statistics consent")
        return self


class ParticipantProfileUpdated(IntakeEvent):
    """The participant's shareable attributes changed: a full snapshot that replaces the last.

    Intake leaves out each part whose consent is not given (None = not shared).
    """

    event_type: ClassVar[str] = "eu.mile.intake.participant_profile_updated.v1"
    time_field: ClassVar[str] = "updated_at"

    updated_at: UtcDateTime
    statistics: StatisticalAttributes | None = None
    profile: CandidateProfile | None = None


class ConsentChanged(IntakeEvent):
    """Consent for one purpose was given, withdrawn or expired, against a notice version.

    When matching consent is given it carries the profile (and statistics consent the
    statistics), so consumers can (re)build what they hold without asking intake.
    """

    event_type: ClassVar[str] = "eu.mile.intake.consent_changed.v1"
    time_field: ClassVar[str] = "changed_at"

    purpose: ConsentPurpose
    status: ConsentStatus
    notice_version: str = Field(min_length=1, max_length=32)
    changed_at: UtcDateTime
    profile: CandidateProfile | None = None
    statistics: StatisticalAttributes | None = None

    @model_validator(mode="after")
    def _fail_closed(self) -> ConsentChanged:
        given = self.status is ConsentStatus.GIVEN
        if self.profile is not None and not (given and self.purpose is ConsentPurpose.MATCHING):
            raise ValueError("profile only accompanies matching consent being given")
        if self.statistics is not None and not (given and self.purpose is ConsentPurpose.STATISTICS):
            raise ValueError("statistics only accompany statistics consent being given")
        return self


class AssessmentCompleted(IntakeEvent):
    """A skills or language assessment was completed; levels found are in ``languages``."""

    event_type: ClassVar[str] = "eu.mile.intake.assessment_completed.v1"
    time_field: ClassVar[str] = "completed_at"

    assessment_id: UUID
    kind: Literal["skills", "language"]
    completed_at: UtcDateTime
    sections: tuple[Label, ...] = Field(default=(), description="sections completed")
    languages: tuple[LanguageProficiency, ...] = ()


class TrainingEnrolled(IntakeEvent):
    """The participant was enrolled in a course. Key = participant, so their events stay ordered."""

    event_type: ClassVar[str] = "eu.mile.intake.training_enrolled.v1"
    time_field: ClassVar[str] = "enrolled_at"

    enrolment_id: UUID
    course_type: CourseType
    language: Language | None = Field(default=None, description="taught language of a host-language course")
    planned_hours: int = Field(ge=1, le=2000)
    starts_on: date
    enrolled_at: UtcDateTime


class TrainingEnded(IntakeEvent):
    """An enrolment ended: completed (with or without certificate) or dropped out (with a code)."""

    event_type: ClassVar[str] = "eu.mile.intake.training_ended.v1"
    time_field: ClassVar[str] = "ended_at"

    enrolment_id: UUID
    course_type: CourseType
    outcome: TrainingOutcome
    hours_attended: int = Field(ge=0, le=2000)
    certificate: bool = False
    drop_out_reason: ReasonCode | None = None
    ended_at: UtcDateTime

    @model_validator(mode="after")
    def _reason_only_for_drop_out(self) -> TrainingEnded:
        if self.drop_out_reason is not None and self.outcome is not TrainingOutcome.DROPPED_OUT:
            raise ValueError("drop_out_reason is only given when the participant dropped out")
        if self.certificate and self.outcome is not TrainingOutcome.COMPLETED:
            raise ValueError("a certificate is only awarded on completion")
        return self


class GuidanceSessionRecorded(IntakeEvent):
    """A tutoring or guidance session with the city's staff took place (no notes travel)."""

    event_type: ClassVar[str] = "eu.mile.intake.guidance_session_recorded.v1"
    time_field: ClassVar[str] = "recorded_at"

    session_id: UUID
    kind: GuidanceKind
    held_on: date
    minutes: int = Field(ge=1, le=600)
    recorded_at: UtcDateTime


class ParticipantErased(IntakeEvent):
    """The participant's data was erased in intake; every consumer must drop what it holds."""

    event_type: ClassVar[str] = "eu.mile.intake.participant_erased.v1"
    time_field: ClassVar[str] = "erased_at"

    erased_at: UtcDateTime
