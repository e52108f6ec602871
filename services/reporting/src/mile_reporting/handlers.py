"""Reporting's event handler: applies a whole batch to every projection in the caller's transaction."""

from collections.abc import Sequence

import asyncpg

from mile_reporting import repository
from mile_reporting.batch import Changes, changes
from mile_schemas import Event


async def project(conn: asyncpg.Connection, events: Sequence[Event]) -> None:
    await apply(conn, changes(events))


async def apply(conn: asyncpg.Connection, found: Changes) -> None:
    """Record stages and facts first, then erasures, so an erasure also unlinks rows from its own batch."""
    funnel, facts, measures = found
    if funnel.reached:
        await repository.record_stages(conn, funnel.reached)
    if facts.statistics:
        await repository.record_statistics(conn, facts.statistics)
    if facts.levels:
        await repository.record_language_levels(conn, facts.levels)
    if facts.drop_outs:
        await repository.record_drop_outs(conn, facts.drop_outs)
    if measures.received:
        await repository.record_measures(conn, measures.received)
    if measures.trainings:
        await repository.record_training_endings(conn, measures.trainings)
    if measures.follow_ups:
        await repository.record_follow_ups(conn, measures.follow_ups)
    if funnel.erased:
        await repository.unlink_participants(conn, funnel.erased)
