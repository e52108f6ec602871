"""Reporting's event handler: applies a whole batch to every projection in the caller's transaction."""

from collections.abc import Sequence

import asyncpg

from mile_reporting import domain, facts, repository
from mile_schemas import Event


async def project(conn: asyncpg.Connection, events: Sequence[Event]) -> None:
    """Record stages and facts first, then erasures, so an erasure also unlinks stages from its own batch."""
    changes = domain.funnel_changes(events)
    if changes.reached:
        await repository.record_stages(conn, changes.reached)
    found = facts.fact_changes(events)
    if found.statistics:
        await repository.record_statistics(conn, found.statistics)
    if found.levels:
        await repository.record_language_levels(conn, found.levels)
    if found.drop_outs:
        await repository.record_drop_outs(conn, found.drop_outs)
    if changes.erased:
        await repository.unlink_participants(conn, changes.erased)
