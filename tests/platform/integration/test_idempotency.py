"""``Idempotency-Key`` on real PostgreSQL: once per key, even for repeats racing the first."""

import asyncio
import json
import uuid

import asyncpg
import pytest

from mile_platform.idempotency import IdempotencyKeyReused, ResponseErased, expire, forget_responses_naming, run_once


class Command:
    """A write that records each run, optionally held until ``release`` is set."""

    def __init__(self, conn: asyncpg.Connection, answer: dict[str, str]) -> None:
        self.conn, self.answer, self.runs = conn, answer, 0
        self.started, self.release = asyncio.Event(), asyncio.Event()
        self.release.set()

    async def __call__(self) -> tuple[int, dict[str, str]]:
        self.runs += 1
        await self.conn.execute("INSERT INTO mile_inbox (consumer, event_id) VALUES ('test', $1)", uuid.uuid4())
        self.started.set()
        await self.release.wait()
        return 201, self.answer


async def _once(pool: asyncpg.Pool, key: str, request: dict[str, str], answer: dict[str, str]) -> tuple[int, object]:
    async with pool.acquire() as conn, conn.transaction():
        return await run_once(conn, scope="POST /things", key=key, request=request, command=Command(conn, answer))


async def _writes(pool: asyncpg.Pool) -> int:
    return await pool.fetchval("SELECT count(*) FROM mile_inbox WHERE consumer = 'test'")


async def test_a_repeat_replays_the_first_response_and_writes_nothing(platform_db: tuple[str, asyncpg.Pool]) -> None:
    _, pool = platform_db
    assert await _once(pool, "k", {"n": "1"}, {"id": "first"}) == (201, {"id": "first"})
    assert await _once(pool, "k", {"n": "1"}, {"id": "second"}) == (201, {"id": "first"})
    assert await _writes(pool) == 1
    assert await _once(pool, "other", {"n": "1"}, {"id": "third"}) == (201, {"id": "third"})
    stored = await pool.fetch("SELECT key, status, body FROM mile_idempotency ORDER BY key")
    assert [(r["key"], r["status"], r["body"]) for r in stored] == [
        ("k", 201, '{"id": "first"}'),
        ("other", 201, '{"id": "third"}'),
    ]


async def test_a_key_reused_for_another_request_is_refused(platform_db: tuple[str, asyncpg.Pool]) -> None:
    _, pool = platform_db
    await _once(pool, "k", {"n": "1"}, {"id": "first"})
    with pytest.raises(IdempotencyKeyReused, match="'k'"):
        await _once(pool, "k", {"n": "2"}, {"id": "second"})
    assert await _writes(pool) == 1


@pytest.mark.parametrize("first_commits", [True, False], ids=["first commits", "first rolls back"])
async def test_a_repeat_racing_the_first_waits_for_it(
    platform_db: tuple[str, asyncpg.Pool], first_commits: bool
) -> None:
    """The repeat replays what the first committed, or runs itself if the first rolled back."""
    _, pool = platform_db
    async with pool.acquire() as conn:
        first = Command(conn, {"id": "first"})
        first.release.clear()

        async def run_first() -> None:
            async with conn.transaction():
                await run_once(conn, scope="POST /things", key="k", request={"n": "1"}, command=first)
                if not first_commits:
                    raise RuntimeError("the first request failed")

        running = asyncio.create_task(run_first())
        await first.started.wait()
        repeat = asyncio.create_task(_once(pool, "k", {"n": "1"}, {"id": "repeat"}))
        await asyncio.sleep(0.3)
        assert not repeat.done()  # it waits for the first to end
        first.release.set()
        if first_commits:
            await running
        else:
            with pytest.raises(RuntimeError):
                await running
    assert await asyncio.wait_for(repeat, 5) == (201, {"id": "first" if first_commits else "repeat"})
    assert await _writes(pool) == 1


async def test_responses_naming_an_id_anywhere_are_blanked_and_their_repeats_refused(
    platform_db: tuple[str, asyncpg.Pool],
) -> None:
    """A view naming the id, or a list nesting it, is blanked; a response merely quoting it in text stays.
    A repeat of a blanked one is refused: run again, it would write about someone erased."""
    _, pool = platform_db
    person, placement = str(uuid.uuid4()), str(uuid.uuid4())
    answers = {
        "view": {"participant_id": person, "status": "accepted"},
        "batch": {"proposals": [{"participant_id": str(uuid.uuid4())}, {"participant_id": person}]},
        "feedback": {"placement_id": placement, "note": "Often late."},
        "other": {"participant_id": str(uuid.uuid4())},
        "quoting": {"note": f"not {person}"},
    }
    for key, answer in answers.items():
        await _once(pool, key, {"n": key}, answer)
    async with pool.acquire() as conn:
        await forget_responses_naming(conn, [uuid.UUID(person), uuid.UUID(placement)])
    rows = await pool.fetch("SELECT * FROM mile_idempotency")
    stored = {r["key"]: (r["status"], r["body"]) for r in rows}
    assert stored == {
        "view": (410, "null"),
        "batch": (410, "null"),
        "feedback": (410, "null"),
        "other": (201, json.dumps(answers["other"])),
        "quoting": (201, json.dumps(answers["quoting"])),
    }
    assert {r["key"] for r in rows if r["fingerprint"] == ""} == {"view", "batch", "feedback"}  # the request's hash too
    with pytest.raises(ResponseErased, match="'view'"):
        await _once(pool, "view", {"n": "view"}, {"id": "again"})
    with pytest.raises(ResponseErased, match="'batch'"):  # whatever the request
        await _once(pool, "batch", {"n": "another"}, {"id": "again"})
    assert await _once(pool, "other", {"n": "other"}, {"id": "again"}) == (201, answers["other"])
    assert await _writes(pool) == len(answers)


async def test_responses_expire_after_the_retention(platform_db: tuple[str, asyncpg.Pool]) -> None:
    _, pool = platform_db
    for key in ("old", "recent"):
        await _once(pool, key, {"n": key}, {"id": key})
    await pool.execute("UPDATE mile_idempotency SET created_at = now() - interval '25 hours' WHERE key = 'old'")
    await pool.execute("UPDATE mile_idempotency SET created_at = now() - interval '23 hours' WHERE key = 'recent'")
    await expire(pool, retention_h=24)
    assert await pool.fetchval("SELECT array_agg(key) FROM mile_idempotency") == ["recent"]
    # the old key is free again: a request with it runs, even a different one
    assert await _once(pool, "old", {"n": "other"}, {"id": "new"}) == (201, {"id": "new"})
    assert await _once(pool, "recent", {"n": "recent"}, {"id": "ignored"}) == (201, {"id": "recent"})
