"""Matching's consumer: participant events of every city and placement events, as commands."""

import re
from collections.abc import Sequence

import asyncpg

from mile_matching import handlers, repository
from mile_matching.settings import MatchingSettings
from mile_platform.subscriber import Consumer, Delivery
from mile_schemas import (
    PARTICIPANTS_PATTERN,
    PLACEMENTS,
    ConsentChanged,
    ConsentPurpose,
    Event,
    ParticipantErased,
    ParticipantProfileUpdated,
    ParticipantRegistered,
    PlacementEnded,
    PlacementStarted,
)

PATTERN = f"(?:{PARTICIPANTS_PATTERN})|(?:^{re.escape(PLACEMENTS)}$)"

_HANDLED: tuple[type[Event], ...] = (
    ParticipantRegistered,
    ParticipantProfileUpdated,
    ConsentChanged,
    ParticipantErased,
    PlacementStarted,
    PlacementEnded,
)


def consumer(settings: MatchingSettings) -> Consumer:
    """Apply each batch in partition order, so a participant's events apply in the order made."""

    async def apply(conn: asyncpg.Connection, deliveries: Sequence[Delivery]) -> None:
        await repository.lock_proposing(conn)  # once for the batch's transaction, before any row lock
        for delivery in deliveries:
            with delivery.traced():
                await _apply_one(conn, delivery.event, settings)

    return Consumer(pattern=PATTERN, handler=apply, handles=frozenset(m.event_type for m in _HANDLED))


async def _apply_one(conn: asyncpg.Connection, event: Event, settings: MatchingSettings) -> None:
    match event:
        case ParticipantRegistered() | ParticipantProfileUpdated() | ConsentChanged(purpose=ConsentPurpose.MATCHING):
            await handlers.apply_profile(
                conn,
                participant_id=event.participant_id,
                city=event.city,
                profile=event.profile,
                updated_at=event.occurred_at,
                settings=settings,
            )
        case ParticipantErased():
            await handlers.forget_participant(conn, event.participant_id, settings)
        case PlacementStarted():
            await handlers.placement_started(conn, event, settings)
        case PlacementEnded():
            await handlers.placement_ended(conn, event, settings)
