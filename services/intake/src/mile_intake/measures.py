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
from collections.abc import Sequence
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
    Event,
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


async def _read(
    conn: asyncpg.Connection, actor: Actor, participant_id: uuid.UUID, *, city: str, action: str
) -> asyncpg.Record:
    """Every read of a participant's records is audited; returns the participant row."""
    participant = await _participant(conn, city, participant_id, for_update=False)
    await audit(conn, actor, city=city, action=action, participant_id=participant_id)
    return participant


async def _publish(
    conn: asyncpg.Connection,
    actor: Actor,
    events: Sequence[Event],
    *,
    city: str,
    participant_id: uuid.UUID,
    action: str,
) -> None:
    """How every write ends: its events into the outbox and the audit record, in its transaction."""
    await add_events(conn, events)
    await audit(conn, actor, city=city, action=action, participant_id=participant_id)


def _not_after(field: str, when: datetime, now: datetime) -> None:
    if when > now:
        raise DomainError(f"Invalid fields: {field} (must not be in the future)")


async def _insert_assessment(
    conn: asyncpg.Connection,
    participant_id: uuid.UUID,
    command: RecordSkillsAssessment | RecordLanguageAssessment,
    kind: str,
    sections: list[str],
    languages: list[dict[str, object]],
    *,
    city: str,
    actor: Actor,
    now: datetime,
) -> asyncpg.Record:
    """Both kinds share one table: who assessed, when (never in the future), and who recorded it."""
    _not_after("completed_at", command.completed_at, now)
    return await repository.insert_assessment(
        conn,
        assessment_id=uuid.uuid4(),
        participant_id=participant_id,
        city=city,
        kind=kind,
        assessor=command.assessor,
        completed_at=command.completed_at,
        sections=sections,
        languages=languages,
        recorded_by=actor.principal.subject,
        recorded_at=now,
    )


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
    sections = [section.value for section in command.sections]
    row = await _insert_assessment(
        conn, participant_id, command, "skills", sections, [], city=city, actor=actor, now=now
    )
    event = AssessmentCompleted(
        participant_id=participant_id,
        city=city,
        assessment_id=row["id"],
        kind="skills",
        completed_at=command.completed_at,
        sections=tuple(sections),
    )
    await _publish(conn, actor, [event], city=city, participant_id=participant_id, action="assessment.skills")
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
    levels = command.languages
    languages = [entry.model_dump(mode="json") for entry in levels]
    row = await _insert_assessment(
        conn, participant_id, command, "language", [], languages, city=city, actor=actor, now=now
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
    await _publish(
        conn, actor, [completed, snapshot], city=city, participant_id=participant_id, action="assessment.language"
    )
    return assessment_view(row)


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
        participant_id=participant_id, city=city, enrolment_id=row["id"], enrolled_at=now, **command.model_dump()
    )
    await _publish(conn, actor, [event], city=city, participant_id=participant_id, action="training.enrol")
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
        ended_at=now,
        **command.model_dump(),
    )
    await _publish(conn, actor, [event], city=city, participant_id=participant_id, action="training.end")
    return enrolment_view(row)


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
    await _publish(conn, actor, [event], city=city, participant_id=participant_id, action="guidance.record")
    return guidance_recorded_view(row)


async def list_assessments(
    conn: asyncpg.Connection, participant_id: uuid.UUID, *, city: str, actor: Actor
) -> list[AssessmentView]:
    await _read(conn, actor, participant_id, city=city, action="assessments.read")
    return [assessment_view(row) for row in await repository.assessments_of(conn, participant_id)]


async def list_training(
    conn: asyncpg.Connection, participant_id: uuid.UUID, *, city: str, actor: Actor
) -> list[EnrolmentView]:
    await _read(conn, actor, participant_id, city=city, action="training.read")
    return [enrolment_view(row) for row in await repository.enrolments_of(conn, participant_id)]


async def list_guidance_sessions(
    conn: asyncpg.Connection, participant_id: uuid.UUID, *, city: str, keyring: Keyring, actor: Actor
) -> list[GuidanceSessionView]:
    participant = await _read(conn, actor, participant_id, city=city, action="guidance.read")
    data_key = keyring.open_data_key(participant["wrapped_key"], participant_id)
    return [guidance_session_view(row, data_key) for row in await repository.guidance_sessions_of(conn, participant_id)]
