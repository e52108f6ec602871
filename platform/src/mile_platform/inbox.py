"""The inbox: a consumer claims each event id in the transaction that applies it.

A claim that already exists means the event was processed before (a redelivery
or a replay), so applying events stays idempotent whatever Kafka delivers twice.
"""

import uuid
from collections.abc import Sequence

import asyncpg


async def claim(conn: asyncpg.Connection, consumer: str, event_ids: Sequence[uuid.UUID]) -> set[uuid.UUID] | None:
    """Claim ids for ``consumer``; returns those never claimed before, or None when that is every id
    (all new and none twice, as nearly always): a backlog's batch then reads back no ids at all."""
    fresh: list[uuid.UUID] | None = await conn.fetchval(
        """WITH claimed AS (
               INSERT INTO mile_inbox (consumer, event_id)
               SELECT $1, id FROM unnest($2::uuid[]) AS id
               ON CONFLICT DO NOTHING RETURNING event_id)
           SELECT CASE WHEN count(*) = $3 THEN NULL ELSE coalesce(array_agg(event_id), '{}') END FROM claimed""",
        consumer,
        list(event_ids),
        len(event_ids),
    )
    return None if fresh is None else set(fresh)
