"""What services keep only for a while, on real PostgreSQL: inbox claims past their retention are
dropped, a chunk per statement and a bounded number per pass, and an event whose claim went is new
again; younger ones stay claimed."""

import uuid

import asyncpg
import pytest

from mile_platform import inbox, retention
from mile_platform.settings import PlatformSettings


async def _claim_aged(pool: asyncpg.Pool, days: int, n: int) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(n)]
    async with pool.acquire() as conn:
        await inbox.claim_new(conn, "matching", ids)
        await conn.execute(
            "UPDATE mile_inbox SET received_at = now() - make_interval(days => $2) WHERE event_id = ANY($1::uuid[])",
            ids,
            days,
        )
    return ids


async def test_claims_older_than_the_retention_are_forgotten(
    platform_db: tuple[str, asyncpg.Pool], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pass drops at most its chunks' worth (here two of 7) and the next pass goes on."""
    _, pool = platform_db
    monkeypatch.setattr(inbox, "FORGET_CHUNK", 7)
    monkeypatch.setattr(inbox, "FORGET_CHUNKS_PER_PASS", 2)
    old, young = await _claim_aged(pool, 46, 20), await _claim_aged(pool, 44, 5)
    assert await inbox.forget_older_than(pool, 45) == 14
    assert await inbox.forget_older_than(pool, 45) == 6
    assert await inbox.forget_older_than(pool, 45) == 0
    async with pool.acquire() as conn:
        assert await inbox.claim(conn, "matching", [*old, *young]) == set(old)  # the old ones are new again


async def test_a_retention_pass_applies_both(platform_db: tuple[str, asyncpg.Pool]) -> None:
    """Responses past MILE_IDEMPOTENCY_RETENTION_H and claims past MILE_INBOX_RETENTION_DAYS go; the rest stay."""
    _, pool = platform_db
    await _claim_aged(pool, 3, 2)
    young = await _claim_aged(pool, 1, 2)
    await pool.execute(
        """INSERT INTO mile_idempotency (scope, key, fingerprint, status, body, created_at)
           VALUES ('POST /x', 'old', '', 201, '{}', now() - interval '3 hours'),
                  ('POST /x', 'young', '', 201, '{}', now() - interval '1 hour')"""
    )
    await retention.apply(pool, PlatformSettings(idempotency_retention_h=2, inbox_retention_days=2))
    assert await pool.fetchval("SELECT array_agg(key) FROM mile_idempotency") == ["young"]
    assert set(await pool.fetchval("SELECT array_agg(event_id) FROM mile_inbox")) == set(young)
