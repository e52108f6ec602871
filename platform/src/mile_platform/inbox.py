"""The inbox: a consumer claims each event id in the transaction that applies it.

A claim that already exists means the event was processed before (a redelivery
or a replay), so applying events stays idempotent whatever Kafka delivers twice.
A batch is first claimed as all new (``claim_new``), as nearly every batch is; only when
that fails is it claimed again id by id (``claim``), in a new transaction.

A claim is kept ``MILE_INBOX_RETENTION_DAYS`` (``forget_older_than``): longer than any event can
come back, which is the topics' retention (a replay from the start) and the dead-letter topics'
(a re-drive republishes an event that other consumers had applied).
"""

import uuid
from collections.abc import Sequence

import asyncpg


class ClaimedBefore(Exception):
    """An id given to ``claim_new`` had been claimed before, or came twice: its transaction is aborted."""


async def claim_new(conn: asyncpg.Connection, consumer: str, event_ids: Sequence[uuid.UUID]) -> None:
    """Claim ids for ``consumer`` as never claimed before, in a plain insert: checking each for a
    conflict instead costs PostgreSQL half as much again. Raises ClaimedBefore if one was."""
    try:
        await conn.execute(
            "INSERT INTO mile_inbox (consumer, event_id) SELECT $1, id FROM unnest($2::uuid[]) AS id",
            consumer,
            list(event_ids),
        )
    except asyncpg.UniqueViolationError as exc:
        raise ClaimedBefore(str(exc)) from exc


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


FORGET_CHUNK = 10_000
"""Claims dropped per statement: a delete holds its rows locked until it commits."""
FORGET_CHUNKS_PER_PASS = 100
"""At most a million claims a pass: a first pass over a table never purged leaves the rest to the next."""

_FORGET = """WITH cutoff AS (SELECT now() - make_interval(secs => $1) AS at),
                  gone AS (
                      DELETE FROM mile_inbox WHERE received_at < (SELECT at FROM cutoff) AND ctid = ANY(ARRAY(
                          SELECT ctid FROM mile_inbox WHERE received_at < (SELECT at FROM cutoff) LIMIT $2))
                      RETURNING 1)
             SELECT count(*) FROM gone"""


async def forget_older_than(pool: asyncpg.Pool, retention_days: float) -> int:
    """Drop the claims made more than ``retention_days`` ago, a chunk at a time; returns how many."""
    forgotten = 0
    for _ in range(FORGET_CHUNKS_PER_PASS):
        dropped: int = await pool.fetchval(_FORGET, retention_days * 86_400, FORGET_CHUNK)
        forgotten += dropped
        if dropped < FORGET_CHUNK:
            break
    return forgotten
