"""The transactional outbox: events are rows written with the state change.

Nothing is ever published from a request handler; the relay sends these rows
after the transaction commits, so no event exists without its state and no
committed state lacks its event.
"""

import json
import uuid
from collections.abc import Sequence

import asyncpg

from mile_platform.telemetry import current_traceparent
from mile_schemas import Event, encode_event, to_headers

NOTIFY_CHANNEL = "mile_outbox"


async def add_events(conn: asyncpg.Connection, events: Sequence[Event]) -> list[uuid.UUID]:
    """Queue events in the caller's transaction; returns their CloudEvents ids."""
    if not events:
        return []
    traceparent = current_traceparent()
    metas = [e.meta() for e in events]
    await conn.executemany(
        """INSERT INTO mile_outbox (event_id, topic, key, headers, payload)
           VALUES ($1, $2, $3, $4::jsonb, $5)""",
        [
            (
                meta.id,
                event.topic(),
                event.key(),
                json.dumps([[k, v.decode()] for k, v in to_headers(meta, traceparent)]),
                encode_event(event),
            )
            for meta, event in zip(metas, events, strict=True)
        ],
    )
    await conn.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)
    return [m.id for m in metas]
