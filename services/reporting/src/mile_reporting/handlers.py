"""Reporting's event handler: applies a whole batch to the funnel in the caller's transaction."""

from collections.abc import Sequence

import asyncpg

from mile_reporting import domain, repository
from mile_schemas import Event


async def project_funnel(conn: asyncpg.Connection, events: Sequence[Event]) -> None:
    """Record stages first, then erasures, so an erasure also unlinks stages from its own batch."""
    changes = domain.funnel_changes(events)
    if changes.reached:
        await repository.record_stages(conn, changes.reached)
    if changes.erased:
        await repository.unlink_participants(conn, changes.erased)
