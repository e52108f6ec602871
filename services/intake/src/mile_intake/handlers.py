"""Intake command handlers: each runs in the caller's transaction and writes its events to the outbox."""

import uuid
from datetime import UTC, datetime

import asyncpg

from mile_intake import domain, repository
from mile_intake.commands import RegisterParticipant
from mile_intake.crypto import Keyring, encrypt_json
from mile_intake.views import ParticipantView, participant_view
from mile_platform.outbox import add_events


async def register_participant(
    conn: asyncpg.Connection, command: RegisterParticipant, *, city: str, keyring: Keyring
) -> ParticipantView:
    participant_id = uuid.uuid4()
    now = datetime.now(UTC)
    consents = set(command.consents)
    stats = domain.statistics(
        birth_date=command.personal.birth_date,
        sex=command.sex,
        nationality=command.nationality,
        profile=command.profile,
        on=now.date(),
    )
    data_key, wrapped = keyring.new_data_key(participant_id)
    row = await repository.insert_participant(
        conn,
        participant_id=participant_id,
        city=city,
        wrapped_key=wrapped,
        personal=encrypt_json(data_key, command.personal.model_dump(mode="json"), participant_id),
        statistics=stats.model_dump(mode="json"),
        profile=command.profile.model_dump(mode="json"),
        consents=sorted(consents),
        notice_version=command.notice_version,
    )
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
    return participant_view({**row, "wrapped_key": wrapped}, keyring)
