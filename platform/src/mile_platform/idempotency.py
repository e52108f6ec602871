"""``Idempotency-Key`` for HTTP writes: a repeat returns the first response.

The key is claimed inside the command's own transaction, so the stored response
and the state change commit together; a concurrent repeat waits on the claimed row
and then replays. Reusing a key for a different request is a 422.

A stored response is kept for ``MILE_IDEMPOTENCY_RETENTION_H`` (24 h by default, as payment
APIs keep theirs: long enough for any client's retries); after that the key is free again. A
response naming an erased participant is blanked by their erasure, as it can hold what erasure
drops elsewhere (an employer's note about them, the reasons of a proposal); its key stays taken,
and a repeat is refused (410) rather than run again on someone erased.
"""

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import asyncpg
from pydantic import BaseModel

from mile_platform.errors import DomainError


class IdempotencyKeyReused(DomainError):
    title = "Idempotency-Key reused with a different request"


ERASED = 410
"""The status of an erased response's tombstone (no write answers 410 itself)."""


class ResponseErased(DomainError):
    status = ERASED
    title = "Response erased"


_CLAIM = """INSERT INTO mile_idempotency (scope, key, fingerprint, status, body) VALUES ($1, $2, $3, 0, 'null')
            ON CONFLICT (scope, key) DO NOTHING RETURNING true"""
"""Claim the key with a placeholder the command's response replaces before commit (no one else
sees it). A repeat's insert waits on the first one's uncommitted row: if that commits, the
repeat reads the response in its next statement; if it rolls back, the repeat claims the key."""


def fingerprint(payload: Any) -> str:
    data = payload.model_dump(mode="json") if isinstance(payload, BaseModel) else payload
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


async def run_once(
    conn: asyncpg.Connection,
    *,
    scope: str,
    key: str | None,
    request: Any,
    command: Callable[[], Awaitable[tuple[int, Any]]],
) -> tuple[int, Any]:
    """Run ``command`` (returning status and JSON body) at most once per key.

    Must be called inside a transaction, the same one the command writes in.
    """
    if key is None:
        return await command()
    print_ = fingerprint(request)
    while not await conn.fetchval(_CLAIM, scope, key, print_):
        row = await conn.fetchrow(
            "SELECT fingerprint, status, body FROM mile_idempotency WHERE scope = $1 AND key = $2", scope, key
        )
        if row is None:  # erased since the claim was refused: claim it afresh
            continue
        if row["status"] == ERASED:  # its fingerprint went with it: any request with the key is refused
            raise ResponseErased(f"the first response to Idempotency-Key {key!r} concerned someone since erased")
        if row["fingerprint"] != print_:
            raise IdempotencyKeyReused(f"Idempotency-Key {key!r} was used for another request")
        return row["status"], json.loads(row["body"])
    status, body = await command()
    await conn.execute(
        "UPDATE mile_idempotency SET status = $3, body = $4::jsonb WHERE scope = $1 AND key = $2",
        scope,
        key,
        status,
        json.dumps(body, default=str),
    )
    return status, body


_NAMING = """DELETE FROM mile_idempotency
             WHERE jsonb_path_exists(body, '$.** ? (@ == $ids[*])', jsonb_build_object('ids', $1::text[]))
             RETURNING scope, key, created_at"""
"""Any value anywhere in the body equal to one of the ids: a view's ``participant_id`` and those
nested in a list (a batch's proposals) alike. A scan of the table, which the retention keeps to a day's writes."""

_TOMBSTONES = f"""INSERT INTO mile_idempotency (scope, key, fingerprint, status, body, created_at)
                  SELECT scope, key, '', {ERASED}, 'null', created_at
                  FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS t(scope, key, created_at)"""


async def forget_responses_naming(conn: asyncpg.Connection, ids: Iterable[uuid.UUID]) -> None:
    """Blank the stored responses that name any of ``ids`` (participants, their placements): part of
    an erasure, in its transaction. Each is replaced by a tombstone holding only its key and when it
    was stored, so a repeat is refused, never run again. The request's fingerprint goes too: a hash
    of personal data (a registration's), against which a guess could be checked. Replaced rather
    than updated, as intake's app role may not change a fingerprint (its migration 0007)."""
    erased = await conn.fetch(_NAMING, [str(i) for i in ids])
    if erased:
        await conn.execute(_TOMBSTONES, *(list(column) for column in zip(*erased, strict=True)))


async def expire(pool: asyncpg.Pool, retention_h: float) -> None:
    """Drop the responses stored more than ``retention_h`` hours ago, freeing their keys."""
    await pool.execute(
        "DELETE FROM mile_idempotency WHERE created_at < now() - make_interval(secs => $1)", retention_h * 3600
    )
