"""Intake command handlers: each runs in the caller's transaction and writes its events to the outbox.

``now`` comes from the service's clock (``mile_platform.clock``), so the times stored and the
times in the events are one and the same.
"""

import uuid
from datetime import date, datetime

import asyncpg
from pydantic import ValidationError

from mile_intake import domain, repository
from mile_intake.access import Actor, audit
from mile_intake.commands import PersonalData, RecordConsent, RegisterParticipant, UpdateParticipant
from mile_intake.crypto import Keyring, encrypt_json
from mile_intake.identity import identity_hash
from mile_intake.profile import Casework, ParticipantProfile
from mile_intake.views import (
    AuditRecord,
    ConsentRecord,
    ConsentView,
    ParticipantCreated,
    ParticipantExport,
    ParticipantView,
    assessment_view,
    consent_view,
    enrolment_view,
    guidance_session_view,
    participant_view,
)
from mile_platform.errors import Conflict, DomainError, NotFound
from mile_platform.outbox import add_events
from mile_schemas import ConsentPurpose, ConsentStatus, ParticipantErased, StatisticalAttributes


class DuplicateParticipant(Conflict):
    """This person is already registered in this city; the answer names the existing id."""

    def __init__(self, existing: uuid.UUID) -> None:
        super().__init__(f"this person is already registered as participant {existing}")
        self.existing = existing


async def register_participant(
    conn: asyncpg.Connection,
    command: RegisterParticipant,
    *,
    city: str,
    keyring: Keyring,
    actor: Actor,
    now: datetime,
) -> ParticipantCreated:
    person = command.personal
    fingerprint = identity_hash(
        keyring.identity_key,
        given_name=person.given_name,
        family_name=person.family_name,
        birth_date=person.birth_date,
    )
    await repository.act_for_city(conn, city, queue_on_identity=fingerprint)
    participant_id = uuid.uuid4()
    consents = set(command.consents)
    stats = domain.statistics(
        birth_date=command.personal.birth_date,
        sex=command.sex,
        nationality=command.nationality,
        profile=command.profile,
        on=now.date(),
    )
    data_key, wrapped = keyring.new_data_key(participant_id)
    casework = Casework(needs=command.needs, appraisal=command.appraisal)
    row = await repository.insert_participant(
        conn,
        participant_id=participant_id,
        city=city,
        wrapped_key=wrapped,
        personal=encrypt_json(data_key, command.personal.model_dump(mode="json"), participant_id),
        casework=encrypt_json(data_key, casework.model_dump(mode="json"), participant_id),
        statistics=stats.model_dump(mode="json"),
        profile=command.profile.model_dump(mode="json"),
        consents=sorted(consents),
        notice_version=command.notice_version,
        identity_hash=fingerprint,
        recorded_by=actor.principal.subject,
        created_at=now,
    )
    if row["existing_id"] is not None:
        raise DuplicateParticipant(row["existing_id"])
    await add_events(
        conn,
        [
            domain.registered_event(
                participant_id=participant_id,
                city=city,
                registered_at=row["created_at"],
                consents=consents,
                stats=stats,
                profile=command.profile,
            )
        ],
    )
    await audit(conn, actor, city=city, action="participant.register", participant_id=participant_id)
    return ParticipantCreated(
        participant_id=participant_id,
        city=city,
        status=row["status"],
        version=row["version"],
        created_at=row["created_at"],
    )


async def read_participant(
    conn: asyncpg.Connection, participant_id: uuid.UUID, *, city: str, keyring: Keyring, actor: Actor
) -> ParticipantView:
    view = await _load(conn, participant_id, city=city, keyring=keyring)
    await audit(conn, actor, city=city, action="participant.read", participant_id=participant_id)
    return view


async def _load(conn: asyncpg.Connection, participant_id: uuid.UUID, *, city: str, keyring: Keyring) -> ParticipantView:
    await repository.act_for_city(conn, city)
    row = await repository.get_participant(conn, city, participant_id)
    if row is None:
        raise NotFound(f"participant {participant_id} not found")
    return participant_view(row, keyring.open_data_key(row["wrapped_key"], participant_id))


async def erase_participant(
    conn: asyncpg.Connection, participant_id: uuid.UUID, *, city: str, actor: Actor, now: datetime
) -> None:
    """Crypto-shred and delete the person, and tell every shared service to drop them."""
    await repository.act_for_city(conn, city)
    if not await repository.erase_participant(conn, city, participant_id):
        raise NotFound(f"participant {participant_id} not found")
    await add_events(conn, [ParticipantErased(participant_id=participant_id, city=city, erased_at=now)])
    await audit(conn, actor, city=city, action="participant.erase", participant_id=participant_id)


async def export_participant(
    conn: asyncpg.Connection, participant_id: uuid.UUID, *, city: str, keyring: Keyring, actor: Actor, now: datetime
) -> ParticipantExport:
    """Everything held about the person; the export itself is audited (and listed in it)."""
    await repository.act_for_city(conn, city)
    row = await repository.get_participant(conn, city, participant_id)
    if row is None:
        raise NotFound(f"participant {participant_id} not found")
    data_key = keyring.open_data_key(row["wrapped_key"], participant_id)
    view = participant_view(row, data_key)
    await audit(conn, actor, city=city, action="participant.export", participant_id=participant_id)
    trail = await repository.audit_records(conn, participant_id=participant_id, after=0, limit=1_000_000)
    return ParticipantExport(
        exported_at=now,
        participant=view,
        consent_history=[
            ConsentRecord.model_validate(dict(h)) for h in await repository.consent_history(conn, participant_id)
        ],
        assessments=[assessment_view(a) for a in await repository.assessments_of(conn, participant_id)],
        training=[enrolment_view(e) for e in await repository.enrolments_of(conn, participant_id)],
        guidance_sessions=[
            guidance_session_view(g, data_key) for g in await repository.guidance_sessions_of(conn, participant_id)
        ],
        audit_trail=[AuditRecord.model_validate(dict(row)) for row in trail],
    )


class PreconditionRequired(DomainError):
    status = 428
    title = "Precondition required"


class PreconditionFailed(DomainError):
    status = 412
    title = "Precondition failed"


def etag(version: int) -> str:
    return f'"{version}"'


async def update_participant(
    conn: asyncpg.Connection,
    participant_id: uuid.UUID,
    command: UpdateParticipant,
    *,
    if_match: str | None,
    city: str,
    keyring: Keyring,
    actor: Actor,
    now: datetime,
) -> ParticipantView:
    """Apply a partial update if the caller saw the latest version; emits the new shareable snapshot."""
    await repository.act_for_city(conn, city)
    row = await repository.get_participant(conn, city, participant_id, for_update=True)
    if row is None:
        raise NotFound(f"participant {participant_id} not found")
    if if_match is None:
        raise PreconditionRequired("send If-Match with the ETag of the version you read")
    if if_match.strip() not in (etag(row["version"]), "*"):
        raise PreconditionFailed(f"the participant changed since; the current ETag is {etag(row['version'])}")
    data_key = keyring.open_data_key(row["wrapped_key"], participant_id)
    current = participant_view(row, data_key)
    changes = command.model_dump(mode="json", exclude_unset=True)
    try:
        personal = PersonalData.model_validate(
            domain.merged(current.personal.model_dump(mode="json"), changes.pop("personal", None) or {})
        )
    except ValidationError as exc:  # a held value the input rules no longer accept: the caller must fix it
        fields = ", ".join(sorted({"personal." + ".".join(map(str, e["loc"])) for e in exc.errors()}))
        raise DomainError(f"Invalid fields: {fields}") from exc
    profile = command.profile or current.profile
    casework = Casework(
        needs=command.needs if "needs" in changes else current.needs,
        appraisal=command.appraisal if "appraisal" in changes else current.appraisal,
    )
    sex = command.sex or current.statistics.sex
    nationality = command.nationality if "nationality" in changes else current.statistics.nationality
    stats = domain.statistics(
        birth_date=personal.birth_date, sex=sex, nationality=nationality, profile=profile, on=now.date()
    )
    fingerprint = identity_hash(
        keyring.identity_key,
        given_name=personal.given_name,
        family_name=personal.family_name,
        birth_date=personal.birth_date,
    )
    if (existing := await repository.find_by_identity(conn, city, fingerprint, other_than=participant_id)) is not None:
        raise DuplicateParticipant(existing)
    updated = await repository.update_participant(
        conn,
        city=city,
        participant_id=participant_id,
        personal=encrypt_json(data_key, personal.model_dump(mode="json"), participant_id),
        casework=encrypt_json(data_key, casework.model_dump(mode="json"), participant_id),
        statistics=stats.model_dump(mode="json"),
        profile=profile.model_dump(mode="json"),
        identity_hash=fingerprint,
        updated_at=now,
    )
    consents = set(updated["consents"])
    await add_events(
        conn,
        [
            domain.profile_updated_event(
                participant_id=participant_id,
                city=city,
                updated_at=updated["updated_at"],
                consents=consents,
                stats=stats,
                profile=profile,
            )
        ],
    )
    await audit(conn, actor, city=city, action="participant.update", participant_id=participant_id)
    return participant_view(updated, data_key)


async def record_consent(
    conn: asyncpg.Connection,
    participant_id: uuid.UUID,
    command: RecordConsent,
    *,
    city: str,
    actor: Actor,
    now: datetime,
) -> ConsentView:
    """Record a consent decision and tell the shared services (fail-closed on withdrawal)."""
    await repository.act_for_city(conn, city)
    row = await repository.get_participant(conn, city, participant_id, for_update=True)
    if row is None:
        raise NotFound(f"participant {participant_id} not found")
    if command.expires_on is not None and command.expires_on <= now.date():
        raise DomainError("Invalid fields: expires_on (must be a day after today)")
    updated = await change_consent(
        conn,
        row,
        city=city,
        purpose=command.purpose,
        status=command.status,
        notice_version=command.notice_version,
        recorded_by=actor.principal.subject,
        now=now,
        expires_on=command.expires_on,
    )
    await audit(conn, actor, city=city, action=f"consent.{command.status.value}", participant_id=participant_id)
    return consent_view(updated, await repository.consent_history(conn, participant_id))


async def change_consent(
    conn: asyncpg.Connection,
    participant: asyncpg.Record,
    *,
    city: str,
    purpose: ConsentPurpose,
    status: ConsentStatus,
    notice_version: str,
    recorded_by: str,
    now: datetime,
    expires_on: date | None = None,
) -> asyncpg.Record:
    """One consent decision on a participant row locked by the caller: history, consents held and
    ``ConsentChanged``. Shared by caseworkers' requests and the expiry task, so both follow one rule.

    The profile and statistics are read only for a consent given; a withdrawal or expiry sends neither.
    """
    consents = domain.consents_after(set(participant["consents"]), purpose, status)
    await repository.add_consent_record(
        conn,
        city=city,
        participant_id=participant["id"],
        purpose=purpose.value,
        status=status.value,
        notice_version=notice_version,
        recorded_by=recorded_by,
        recorded_at=now,
        expires_on=expires_on,
    )
    updated = await repository.set_consents(
        conn,
        city=city,
        participant_id=participant["id"],
        consents=sorted(consents),
        notice_version=notice_version,
        updated_at=now,
    )
    given = status is ConsentStatus.GIVEN
    event = domain.consent_changed_event(
        participant_id=participant["id"],
        city=city,
        purpose=purpose,
        status=status,
        notice_version=notice_version,
        changed_at=now,
        stats=StatisticalAttributes.model_validate_json(participant["statistics"]) if given else None,
        profile=ParticipantProfile.model_validate_json(participant["profile"]) if given else None,
    )
    await add_events(conn, [event])
    return updated
