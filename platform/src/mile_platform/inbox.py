"""The inbox: a consumer claims each event id in the transaction that applies it.

A claim that already exists means the event was processed before (a redelivery
or a replay), so applying events stays idempotent whatever Kafka delivers twice.
"""

import uuid
from collections.abc import Sequence

import asyncpg


async def claim(conn: asyncpg.Connection, consumer: str, event_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Claim ids for ``consumer``; returns only those never claimed before."""
    rows = await conn.fetch(
        """INSERT INTO mile_inbox (consumer, event_id)
           SELECT $1, id FROM unnest($2::uuid[]) AS id
           ON CONFLICT DO NOTHING RETURNING event_id""",
        consumer,
        list(event_ids),
    )
    return {r["event_id"] for r in rows}
