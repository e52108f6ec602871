"""What intake shows its city's caseworkers about a participant."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

from mile_intake.crypto import decrypt_json
from mile_intake.profile import Appraisal, Casework, Needs, ParticipantProfile
from mile_schemas import (
    ConsentPurpose,
    ConsentStatus,
    CourseType,
    GuidanceKind,
    LanguageProficiency,
    LegalStatus,
    StatisticalAttributes,
    TrainingOutcome,
)


class PersonalRecord(BaseModel):
    """Personal data as held (read back without the input rules, which may have moved on)."""

    given_name: str
    family_name: str
    birth_date: date
    email: str | None = None
    phone: str | None = None


class ParticipantView(BaseModel):
    participant_id: uuid.UUID
    city: str
    status: str
    personal: PersonalRecord
    statistics: StatisticalAttributes
    profile: ParticipantProfile
    needs: Needs | None = None
    appraisal: Appraisal | None = None
    consents: list[ConsentPurpose]
    notice_version: str
    version: int
    created_at: datetime
    updated_at: datetime


class ParticipantCreated(BaseModel):
    """The answer to a registration: no personal data, so a stored first response holds none."""

    participant_id: uuid.UUID
    city: str
    status: str
    version: int
    created_at: datetime


def participant_view(row: Mapping[str, Any], data_key: bytes) -> ParticipantView:
    """The full record, decrypted with the person's data key (opened once by the caller)."""
    casework = Casework.model_validate(decrypt_json(data_key, row["casework"], row["id"]) if row["casework"] else {})
    return ParticipantView(
        participant_id=row["id"],
        city=row["city"],
        status=row["status"],
        personal=PersonalRecord.model_validate(decrypt_json(data_key, row["personal"], row["id"])),
        statistics=StatisticalAttributes.model_validate(json.loads(row["statistics"])),
        profile=ParticipantProfile.model_validate(json.loads(row["profile"])),
        needs=casework.needs,
        appraisal=casework.appraisal,
        consents=list(row["consents"]),
        notice_version=row["notice_version"],
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class AuditRecord(BaseModel):
    """One access to personal data: who, with which roles, did what to whom, when, in which request."""

    id: int
    at: datetime
    actor: str
    roles: list[str]
    action: str
    participant_id: uuid.UUID | None
    request_id: str


class AuditPage(BaseModel):
    items: list[AuditRecord]
    next_after: int | None = None  # pass as ``after`` for the next page; null on the last page


def audit_page(rows: Sequence[Mapping[str, Any]], limit: int) -> AuditPage:
    items = [AuditRecord.model_validate(dict(row)) for row in rows]
    return AuditPage(items=items, next_after=items[-1].id if len(items) == limit else None)


class ParticipantExport(BaseModel):
    """Everything this intake holds about one person (GDPR Art. 15), as JSON."""

    exported_at: datetime
    participant: ParticipantView
    consent_history: list[ConsentRecord]
    assessments: list[AssessmentView]
    training: list[EnrolmentView]
    guidance_sessions: list[GuidanceSessionView]
    audit_trail: list[AuditRecord]


class ParticipantSummary(BaseModel):
    """A list entry: pseudonymous, so listing reveals no one's identity (read one for that)."""

    participant_id: uuid.UUID
    status: str
    legal_status: LegalStatus
    languages: list[str]
    version: int
    created_at: datetime
    updated_at: datetime


class ParticipantPage(BaseModel):
    items: list[ParticipantSummary]
    next_cursor: str | None = None  # pass as ``cursor`` for the next page; null on the last page


def encode_cursor(created_at: datetime, participant_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{participant_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """Raises ValueError for a cursor this service did not make."""
    try:
        created, participant = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(created), uuid.UUID(participant)
    except (ValueError, UnicodeError) as exc:
        raise ValueError("not a cursor of this list") from exc


def participant_page(rows: Sequence[Mapping[str, Any]], limit: int) -> ParticipantPage:
    items = []
    for row in rows:
        profile = json.loads(row["profile"])
        items.append(
            ParticipantSummary(
                participant_id=row["id"],
                status=row["status"],
                legal_status=profile["legal_status"],
                languages=[entry["language"] for entry in profile.get("languages", [])],
                version=row["version"],
                created_at=row["created_at"],
                updated_at=row["updated_at"],
            )
        )
    last = rows[-1] if len(rows) == limit else None
    return ParticipantPage(items=items, next_cursor=encode_cursor(last["created_at"], last["id"]) if last else None)


class ConsentRecord(BaseModel):
    purpose: ConsentPurpose
    status: ConsentStatus
    notice_version: str
    expires_on: date | None = None
    recorded_at: datetime
    recorded_by: str


class ConsentView(BaseModel):
    """Consents in force after a decision, and the decisions so far (no personal data)."""

    participant_id: uuid.UUID
    consents: list[ConsentPurpose]
    notice_version: str
    version: int
    history: list[ConsentRecord]


def consent_view(row: Mapping[str, Any], history: Sequence[Mapping[str, Any]]) -> ConsentView:
    return ConsentView(
        participant_id=row["id"],
        consents=list(row["consents"]),
        notice_version=row["notice_version"],
        version=row["version"],
        history=[ConsentRecord.model_validate(dict(h)) for h in history],
    )


class AssessmentView(BaseModel):
    """A skills assessment (sections gone through) or a language assessment (levels found)."""

    assessment_id: uuid.UUID
    participant_id: uuid.UUID
    kind: str
    assessor: str
    completed_at: datetime
    sections: list[str]
    languages: list[LanguageProficiency]
    recorded_by: str
    recorded_at: datetime


def assessment_view(row: Mapping[str, Any]) -> AssessmentView:
    return AssessmentView(
        assessment_id=row["id"],
        participant_id=row["participant_id"],
        kind=row["kind"],
        assessor=row["assessor"],
        completed_at=row["completed_at"],
        sections=list(row["sections"]),
        languages=json.loads(row["languages"]),
        recorded_by=row["recorded_by"],
        recorded_at=row["recorded_at"],
    )


class EnrolmentView(BaseModel):
    """A training enrolment; ``outcome`` is null while the course is under way."""

    enrolment_id: uuid.UUID
    participant_id: uuid.UUID
    course_type: CourseType
    language: str | None
    planned_hours: int
    starts_on: date
    enrolled_at: datetime
    outcome: TrainingOutcome | None
    hours_attended: int | None
    certificate: bool | None
    drop_out_reason: str | None
    ended_at: datetime | None


def enrolment_view(row: Mapping[str, Any]) -> EnrolmentView:
    return EnrolmentView(
        enrolment_id=row["id"], **{k: row[k] for k in EnrolmentView.model_fields if k != "enrolment_id"}
    )


class GuidanceSessionRecordedView(BaseModel):
    """The answer to recording a session: without the notes, so a stored first response holds none."""

    session_id: uuid.UUID
    participant_id: uuid.UUID
    kind: GuidanceKind
    held_on: date
    minutes: int
    recorded_by: str
    recorded_at: datetime


class GuidanceSessionView(GuidanceSessionRecordedView):
    notes: str | None


def guidance_recorded_view(row: Mapping[str, Any]) -> GuidanceSessionRecordedView:
    return GuidanceSessionRecordedView(
        session_id=row["id"],
        participant_id=row["participant_id"],
        kind=row["kind"],
        held_on=row["held_on"],
        minutes=row["minutes"],
        recorded_by=row["recorded_by"],
        recorded_at=row["recorded_at"],
    )


def guidance_session_view(row: Mapping[str, Any], data_key: bytes) -> GuidanceSessionView:
    notes = decrypt_json(data_key, row["notes"], row["participant_id"])["notes"] if row["notes"] else None
    return GuidanceSessionView(**guidance_recorded_view(row).model_dump(), notes=notes)
