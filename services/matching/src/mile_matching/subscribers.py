"""Matching's consumer: participant events of every city and placement events, as commands."""

import re
import uuid
from collections.abc import Sequence
from itertools import groupby

import asyncpg

from mile_matching import handlers, profiles, repository
from mile_matching.settings import MatchingSettings
from mile_platform import idempotency
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
    reader,
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
    """Apply each batch in partition order, so a participant's events apply in the order made;
    each run of consecutive profile events is applied set-wise, the others one at a time. The
    stored responses naming the batch's erased participants (a decision's view carries the
    reasons of its proposal) are blanked at its end."""

    async def apply(conn: asyncpg.Connection, deliveries: Sequence[Delivery]) -> None:
        # Once for the batch's transaction, before any row lock. What it read under the shared lock holds
        # for every run of the batch: each touches only its own people, and nobody is in two runs.
        stored = await _lock_proposing(conn, deliveries)
        for is_profile, run in groupby(deliveries, key=lambda d: _is_profile(d.event)):
            if is_profile:
                await profiles.apply(conn, list(run), settings, stored)
                continue
            for delivery in run:
                with delivery.traced():
                    await _apply_one(conn, delivery.event, settings)
        if stored is not None:  # profile events only: nobody erased (a pass over a backlog's batch spared)
            return
        if erased := [d.event.participant_id for d in deliveries if isinstance(d.event, ParticipantErased)]:
            # Once for the batch: a scan of every stored response, under the proposal lock.
            await idempotency.forget_responses_naming(conn, erased)

    return Consumer(
        pattern=PATTERN,
        handler=apply,
        handles=frozenset(m.event_type for m in _HANDLED),
        # Statistics are reporting's: matching neither reads nor validates them.
        readers={m.event_type: reader(m, "statistics") for m in _HANDLED if "statistics" in m.model_fields},
    )


async def _lock_proposing(
    conn: asyncpg.Connection, deliveries: Sequence[Delivery]
) -> dict[uuid.UUID, repository.RunParticipant] | None:
    """Share the proposal lock if the batch can only add candidates and take room, else hold it alone.

    That is a batch of profile events, one per person, of people with no proposal waiting: each
    then upserts or drops its candidate and proposes them, and nothing is withdrawn or refilled.
    Erasures and placement events free room; so may a second event of someone the batch has just
    proposed, or one of someone with a proposal waiting (withdrawing it). That last check reads the
    batch's people as stored, under the shared lock: no batch sharing it touches anyone outside itself,
    so what it read still holds for planning the batch, and is returned for that; if the check fails,
    the savepoint's rollback drops the shared lock before the other is taken, and None is returned.
    """
    people = [d.event.participant_id for d in deliveries if isinstance(d.event, profiles.ProfileEvent)]
    if len(people) == len(deliveries) and len(set(people)) == len(people):
        savepoint = conn.transaction()
        await savepoint.start()
        await repository.lock_proposing(conn, shared=True)
        stored = await repository.run_participants(conn, people)
        if not any(participant.waiting for participant in stored.values()):
            await savepoint.commit()
            return stored
        await savepoint.rollback()
    await repository.lock_proposing(conn)
    return None


def _is_profile(event: Event) -> bool:
    """Whether the event sets or drops the participant's candidate profile."""
    match event:
        case ParticipantRegistered() | ParticipantProfileUpdated() | ConsentChanged(purpose=ConsentPurpose.MATCHING):
            return True
    return False


async def _apply_one(conn: asyncpg.Connection, event: Event, settings: MatchingSettings) -> None:
    match event:
        case ParticipantErased():
            await handlers.erase_participant(conn, event, settings)
        case PlacementStarted():
            await handlers.placement_started(conn, event, settings)
        case PlacementEnded():
            await handlers.placement_ended(conn, event, settings)
