"""Handlers for what the city does with a participant: assessments, training and guidance.

Each runs in the caller's transaction, writes its event to the outbox and an audit record.

Consent: ``TrainingEnrolled``, ``TrainingEnded``, ``GuidanceSessionRecorded`` and
``AssessmentCompleted`` are published whatever the participant's consents. They count the
service the city delivered (what funders pay for), and carry only the pseudonymous id, codes,
hours and dates, never a name or a note. The one personal attribute among them, the CEFR
levels of a language assessment (``AssessmentCompleted.languages``), travels only with
statistics consent; without it the event says that an assessment took place and no more.

Erasure: every write locks the participant row first (``FOR UPDATE``), so it either runs
before an erasure (whose delete then waits and removes what it wrote) or after it (404);
the foreign keys of migration 0006 make the database refuse an orphan whatever the code does.
"""

import uuid
from datetime import datetime

import asyncpg

from mile_intake import domain, repository
from mile_intake.access import Actor, audit
from mile_intake.commands import (
    EndTraining,
    EnrolInTraining,
    RecordGuidanceSession,
    RecordLanguageAssessment,
    RecordSkillsAssessment,
)
from mile_intake.crypto import Keyring, encrypt_json
from mile_intake.profile import ParticipantProfile, with_languages
from mile_intake.views import (
    AssessmentView,
    EnrolmentView,
    GuidanceSessionRecordedView,
    GuidanceSessionView,
    assessment_view,
    enrolment_view,
    guidance_recorded_view,
    guidance_session_view,
)
from mile_platform.errors import Conflict, DomainError, NotFound
from mile_platform.outbox import add_events
from mile_schemas import (
    AssessmentCompleted,
    ConsentPurpose,
    GuidanceSessionRecorded,
    StatisticalAttributes,
    TrainingEnded,
    TrainingEnrolled,
)


async def _participant(
    conn: asyncpg.Connection, city: str, participant_id: uuid.UUID, *, for_update: bool
) -> asyncpg.Record:
    """The participant row; writers lock it so an erasure cannot slip between read and write."""
    await repository.act_for_city(conn, city)
    row = await repository.get_participant(conn, city, participant_id, for_update=for_update)
    if row is None:
        raise NotFound(f"participant {participant_id} not found")
    return row


def _not_after(field: str, when: datetime, now: datetime) -> None:
    if when > now:
        raise DomainError(f"Invalid fields: {field} (must not be in the future)")


async def record_skills_assessment(
    conn: asyncpg.Connection,
    participant_id: uuid.UUID,
    command: RecordSkillsAssessment,
    *,
    city: str,
    actor: Actor,
    now: datetime,
) -> AssessmentView:
    await _participant(conn, city, participant_id, for_update=True)
    _not_after("completed_at", command.completed_at, now)
    row = await repository.insert_assessment(
        conn,
        assessment_id=uuid.uuid4(),
        participant_id=participant_id,
        city=city,
        kind="skills",
        assessor=command.assessor,
        completed_at=command.completed_at,
        sections=[section.value for section in command.sections],
        languages=[],
        recorded_by=actor.principal.subject,
        recorded_at=now,
    )
    event = AssessmentCompleted(
        participant_id=participant_id,
        city=city,
        assessment_id=row["id"],
        kind="skills",
        completed_at=command.completed_at,
        sections=tuple(section.value for section in command.sections),
    )
    await add_events(conn, [event])
    await audit(conn, actor, city=city, action="assessment.skills", participant_id=participant_id)
    return assessment_view(row)


async def record_language_assessment(
    conn: asyncpg.Connection,
    participant_id: uuid.UUID,
    command: RecordLanguageAssessment,
    *,
    city: str,
    actor: Actor,
    now: datetime,
) -> AssessmentView:
    """Record the levels found; they replace the levels held, so the profile snapshot moves too."""
    participant = await _participant(conn, city, participant_id, for_update=True)
    _not_after("completed_at", command.completed_at, now)
    levels = command.languages
    row = await repository.insert_assessment(
        conn,
        assessment_id=uuid.uuid4(),
        participant_id=participant_id,
        city=city,
        kind="language",
        assessor=command.assessor,
        completed_at=command.completed_at,
        sections=[],
        languages=[entry.model_dump(mode="json") for entry in levels],
        recorded_by=actor.principal.subject,
        recorded_at=now,
    )
    profile = with_languages(ParticipantProfile.model_validate_json(participant["profile"]), levels)
    stats = StatisticalAttributes.model_validate_json(participant["statistics"])
    updated = await repository.update_profile(
        conn,
        city=city,
        participant_id=participant_id,
        statistics=stats.model_dump(mode="json"),
        profile=profile.model_dump(mode="json"),
        updated_at=now,
    )
    completed = AssessmentCompleted(
        participant_id=participant_id,
        city=city,
        assessment_id=row["id"],
        kind="language",
        completed_at=command.completed_at,
        languages=levels if ConsentPurpose.STATISTICS in participant["consents"] else (),
    )
    snapshot = domain.profile_updated_event(
        participant_id=participant_id,
        city=city,
        updated_at=updated["updated_at"],
        consents=set(updated["consents"]),
        stats=stats,
        profile=profile,
    )
    await add_events(conn, [completed, snapshot])
    await audit(conn, actor, city=city, action="assessment.language", participant_id=participant_id)
    return assessment_view(row)


async def list_assessments(
    conn: asyncpg.Connection, participant_id: uuid.UUID, *, city: str, actor: Actor
) -> list[AssessmentView]:
    await _participant(conn, city, participant_id, for_update=False)
    await audit(conn, actor, city=city, action="assessments.read", participant_id=participant_id)
    return [assessment_view(row) for row in await repository.assessments_of(conn, participant_id)]


async def enrol_in_training(
    conn: asyncpg.Connection,
    participant_id: uuid.UUID,
    command: EnrolInTraining,
    *,
    city: str,
    actor: Actor,
    now: datetime,
) -> EnrolmentView:
    await _participant(conn, city, participant_id, for_update=True)
    row = await repository.insert_enrolment(
        conn,
        enrolment_id=uuid.uuid4(),
        participant_id=participant_id,
        city=city,
        course_type=command.course_type.value,
        language=command.language,
        planned_hours=command.planned_hours,
        starts_on=command.starts_on,
        enrolled_at=now,
    )
    event = TrainingEnrolled(
        participant_id=participant_id,
        city=city,
        enrolment_id=row["id"],
        course_type=command.course_type,
        language=command.language,
        planned_hours=command.planned_hours,
        starts_on=command.starts_on,
        enrolled_at=now,
    )
    await add_events(conn, [event])
    await audit(conn, actor, city=city, action="training.enrol", participant_id=participant_id)
    return enrolment_view(row)


async def end_training(
    conn: asyncpg.Connection,
    participant_id: uuid.UUID,
    enrolment_id: uuid.UUID,
    command: EndTraining,
    *,
    city: str,
    actor: Actor,
    now: datetime,
) -> EnrolmentView:
    """Completed or dropped out, once: ending an ended enrolment is a conflict."""
    await _participant(conn, city, participant_id, for_update=True)
    enrolment = await repository.get_enrolment(conn, participant_id, enrolment_id)
    if enrolment is None:
        raise NotFound(f"enrolment {enrolment_id} not found")
    if enrolment["outcome"] is not None:
        raise Conflict(f"enrolment {enrolment_id} already ended ({enrolment['outcome']})")
    row = await repository.end_enrolment(
        conn,
        enrolment_id=enrolment_id,
        outcome=command.outcome.value,
        hours_attended=command.hours_attended,
        certificate=command.certificate,
        drop_out_reason=command.drop_out_reason,
        ended_at=now,
    )
    event = TrainingEnded(
        participant_id=participant_id,
        city=city,
        enrolment_id=enrolment_id,
        course_type=enrolment["course_type"],
        outcome=command.outcome,
        hours_attended=command.hours_attended,
        certificate=command.certificate,
        drop_out_reason=command.drop_out_reason,
        ended_at=now,
    )
    await add_events(conn, [event])
    await audit(conn, actor, city=city, action="training.end", participant_id=participant_id)
    return enrolment_view(row)


async def list_training(
    conn: asyncpg.Connection, participant_id: uuid.UUID, *, city: str, actor: Actor
) -> list[EnrolmentView]:
    await _participant(conn, city, participant_id, for_update=False)
    await audit(conn, actor, city=city, action="training.read", participant_id=participant_id)
    return [enrolment_view(row) for row in await repository.enrolments_of(conn, participant_id)]


async def record_guidance_session(
    conn: asyncpg.Connection,
    participant_id: uuid.UUID,
    command: RecordGuidanceSession,
    *,
    city: str,
    keyring: Keyring,
    actor: Actor,
    now: datetime,
) -> GuidanceSessionRecordedView:
    """The notes are sealed with the person's data key; the answer leaves them out."""
    participant = await _participant(conn, city, participant_id, for_update=True)
    if command.held_on > now.date():
        raise DomainError("Invalid fields: held_on (must not be in the future)")
    notes = None
    if command.notes is not None:
        data_key = keyring.open_data_key(participant["wrapped_key"], participant_id)
        notes = encrypt_json(data_key, {"notes": command.notes}, participant_id)
    row = await repository.insert_guidance_session(
        conn,
        session_id=uuid.uuid4(),
        participant_id=participant_id,
        city=city,
        kind=command.kind.value,
        held_on=command.held_on,
        minutes=command.minutes,
        notes=notes,
        recorded_by=actor.principal.subject,
        recorded_at=now,
    )
    event = GuidanceSessionRecorded(
        participant_id=participant_id,
        city=city,
        session_id=row["id"],
        kind=command.kind,
        held_on=command.held_on,
        minutes=command.minutes,
        recorded_at=now,
    )
    await add_events(conn, [event])
    await audit(conn, actor, city=city, action="guidance.record", participant_id=participant_id)
    return guidance_recorded_view(row)


async def list_guidance_sessions(
    conn: asyncpg.Connection, participant_id: uuid.UUID, *, city: str, keyring: Keyring, actor: Actor
) -> list[GuidanceSessionView]:
    participant = await _participant(conn, city, participant_id, for_update=False)
    data_key = keyring.open_data_key(participant["wrapped_key"], participant_id)
    await audit(conn, actor, city=city, action="guidance.read", participant_id=participant_id)
    return [guidance_session_view(row, data_key) for row in await repository.guidance_sessions_of(conn, participant_id)]
