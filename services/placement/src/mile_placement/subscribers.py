"""What placement consumes: vacancies and match decisions from matching, erasures from every city."""

from collections.abc import Sequence
from itertools import groupby
from typing import cast

import asyncpg

from mile_placement import handlers
from mile_platform.errors import PermanentError
from mile_platform.subscriber import Consumer, Delivery
from mile_schemas import (
    PARTICIPANTS_PATTERN,
    MatchDecided,
    ParticipantErased,
    VacancyOpened,
)

PATTERN = rf"^mile\.matching\.(?:vacancies|matches)\.v1$|{PARTICIPANTS_PATTERN}"


async def apply(conn: asyncpg.Connection, deliveries: Sequence[Delivery]) -> None:
    """Apply a batch in delivery order (partition order), in the wrapper's transaction; each run of
    consecutive decisions is applied together, so a backlog costs a few statements per batch."""
    for is_decision, run in groupby(deliveries, key=_is_decision):
        if is_decision:
            await handlers.record_decisions(conn, [cast(MatchDecided, d.event) for d in run])
            continue
        for delivery in run:
            with delivery.traced():
                await _apply_one(conn, delivery)


def _is_decision(delivery: Delivery) -> bool:
    """By its type's name, as reporting dispatches: isinstance of a pydantic model goes through ABCMeta."""
    return delivery.meta.type == MatchDecided.event_type


async def _apply_one(conn: asyncpg.Connection, delivery: Delivery) -> None:
    match delivery.event:
        case VacancyOpened() as event:
            await handlers.remember_vacancy(conn, event)
        case ParticipantErased() as event:
            await handlers.forget_participant(conn, event)
        case other:
            raise PermanentError(f"placement does not apply {type(other).__name__}")


CONSUMER = Consumer(
    pattern=PATTERN,
    handler=apply,
    handles=frozenset({VacancyOpened.event_type, MatchDecided.event_type, ParticipantErased.event_type}),
    # Each event touches only its own key's rows: a match's placement, a vacancy, a participant's
    # placements. What spans keys (an erasure overtaking a decision) is across topics, kept in order.
    concurrent_partitions=True,
    # A decision's placement has an id derived from its match and is only inserted when absent; erasures
    # are only ever added and placements never deleted, so applying a decision again changes nothing.
    idempotent=frozenset({MatchDecided.event_type}),
)
