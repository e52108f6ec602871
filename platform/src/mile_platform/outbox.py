"""The transactional outbox: events are rows written with the state change.

Nothing is ever published from a request handler; the relay sends these rows
after the transaction commits, so no event exists without its state and no
committed state lacks its event.
"""

import uuid
from collections.abc import Sequence

import asyncpg
from pydantic_core import to_json

from mile_platform.telemetry import current_traceparent
from mile_schemas import Event, encode_event, header_values

NOTIFY_CHANNEL = "mile_outbox"


async def add_events(
    conn: asyncpg.Connection, events: Sequence[Event], *, traceparents: Sequence[str | None] | None = None
) -> list[uuid.UUID]:
    """Queue events in the caller's transaction; returns their CloudEvents ids. Each continues the
    current trace, or its own of ``traceparents`` (one per event, for a batch of several causes)."""
    if not events:
        return []
    if traceparents is None:
        traceparents = [current_traceparent()] * len(events)
    metas = [e.meta() for e in events]
    # The headers as JSON by pydantic-core: ``json.dumps`` took 4.3 µs an event, this 0.6 µs.
    headers = [
        to_json(header_values(meta, traceparent)).decode()
        for meta, traceparent in zip(metas, traceparents, strict=True)
    ]
    # One statement, so one round trip however many events: the rows keep the given order (ids
    # ascend with it, and the relay publishes by id) and the relay is woken in the same breath.
    await conn.execute(
        """WITH queued AS (
               INSERT INTO mile_outbox (event_id, topic, key, headers, payload)
               SELECT event_id, topic, key, headers::jsonb, payload
               FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bytea[])
                    WITH ORDINALITY AS e(event_id, topic, key, headers, payload, n)
               ORDER BY n
               RETURNING 1
           )
           SELECT pg_notify($6, '') FROM (SELECT count(*) FROM queued) AS done""",
        [meta.id for meta in metas],
        [event.topic() for event in events],
        [event.key() for event in events],
        headers,
        [encode_event(event) for event in events],
        NOTIFY_CHANNEL,
    )
    return [m.id for m in metas]
