"""`kill -9` of an intake right after its database commits and in the middle of a relay batch.

The two windows are opened on purpose through the database, so the crash lands in them on any
broker: holding the relay's advisory lock keeps committed registrations unpublished (crash
after commit), and row locks on the pending outbox rows let the relay send and get a batch
acknowledged but not delete its rows (crash mid batch). Afterwards every committed participant is on
the city's topic and every event on it has its row: orphans = 0, phantoms = 0.
"""

import asyncio
import hashlib
import uuid

import asyncpg
import httpx
import pytest

from mile_schemas import participants_topic

from .conftest import MakePlatform
from .kit import REGISTERED_TYPE, Platform, header, participant_of, person_request, read_all, scalar, until

pytestmark = pytest.mark.faults


def relay_lock_key(service: str) -> int:
    """The advisory lock a service's outbox relay leads under (mile_platform.relay)."""
    return int.from_bytes(hashlib.sha256(f"relay:{service}".encode()).digest()[:4])


async def register_many(platform: Platform, city: str, count: int, *, kill_after: int | None = None) -> set[uuid.UUID]:
    """POST ``count`` registrations, 16 at a time; with ``kill_after``, SIGKILL intake once that many got 201.

    Returns the ids of the 201 answers; requests cut off by the kill simply fail.
    """
    service = f"intake-{city}"
    created: set[uuid.UUID] = set()
    gate = asyncio.Semaphore(16)
    killed = asyncio.Event()

    async def one(client: httpx.AsyncClient) -> None:
        async with gate:
            if killed.is_set():
                return
            try:
                response = await client.post(
                    f"{platform.url(service)}/participants",
                    json=person_request(uuid.uuid4().hex[:12]),
                    headers=platform.auth(city),
                )
            except httpx.TransportError:
                return
            if response.status_code == 201:
                created.add(uuid.UUID(response.json()["participant_id"]))
                if kill_after is not None and len(created) >= kill_after and not killed.is_set():
                    killed.set()
                    platform.kill(service)
            else:
                assert killed.is_set(), response.text

    async with httpx.AsyncClient(timeout=30.0) as client:
        await asyncio.gather(*(one(client) for _ in range(count)))
    return created


async def published_vs_committed(platform: Platform, city: str) -> tuple[set[uuid.UUID], set[uuid.UUID], int]:
    """Participants on the topic, participants in intake's table, and records beyond one per event."""
    database = platform.database(f"intake-{city}")
    await until(lambda: scalar(database, "SELECT count(*) FROM mile_outbox"), lambda n: n == 0)  # all published
    rows = {r["id"] for r in await _rows(database)}
    records = await read_all(platform.bootstrap, f"^{participants_topic(city)}$", expect=len(rows))
    registered = [r for r in records if header(r, "ce_type") == REGISTERED_TYPE]
    published = {participant_of(r) for r in registered}
    resent = len(registered) - len({header(r, "ce_id") for r in registered})
    return published, rows, resent


async def _rows(database: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database)
    try:
        return await conn.fetch("SELECT id FROM participants")
    finally:
        await conn.close()


async def test_intake_killed_after_commit_and_mid_relay_batch_loses_and_invents_nothing(
    make_platform: MakePlatform,
) -> None:
    platform = await make_platform()
    (city,) = platform.cities
    service = f"intake-{city}"
    database = platform.database(service)
    lock = relay_lock_key(service)
    holder = await asyncpg.connect(database)
    try:
        # 1. crash right after the commit: the relay cannot lead, so nothing committed is published
        await holder.execute("SELECT pg_advisory_lock($1)", lock)
        await platform.start(service)
        answered_1 = await register_many(platform, city, 200, kill_after=100)
        unpublished_at_kill = await scalar(database, "SELECT count(*) FROM mile_outbox")
        await holder.execute("SELECT pg_advisory_unlock($1)", lock)
        await platform.start(service)
        published, rows, _ = await published_vs_committed(platform, city)
        orphans_1, phantoms_1 = len(rows - published), len(published - rows)
        figures_1 = (
            f"after-commit: answered={len(answered_1)} committed={len(rows)} "
            f"unpublished_at_kill={unpublished_at_kill} orphans={orphans_1} phantoms={phantoms_1}"
        )
        print(figures_1)
        assert unpublished_at_kill >= len(answered_1) >= 100, f"the kill missed its window: {figures_1}"
        assert answered_1 <= rows, f"a 201 answer without its row: {figures_1}"
        assert orphans_1 == 0 and phantoms_1 == 0, figures_1

        # 2. crash mid relay batch: the batch is sent and acknowledged, but deleting its rows waits on our row locks
        platform.kill(service)  # its relay held the lock; a dead session's lock is freed
        await holder.execute("SELECT pg_advisory_lock($1)", lock)
        await platform.start(service)
        answered_2 = await register_many(platform, city, 150)
        before = len(await read_all(platform.bootstrap, f"^{participants_topic(city)}$"))
        blocker = await asyncpg.connect(database)
        try:
            transaction = blocker.transaction()
            await transaction.start()
            await blocker.execute("SELECT id FROM mile_outbox FOR UPDATE")
            await holder.execute("SELECT pg_advisory_unlock($1)", lock)
            waiting = await until(
                lambda: scalar(
                    database,
                    """SELECT count(*) FROM pg_stat_activity
                       WHERE datname = current_database() AND wait_event_type = 'Lock'
                         AND query LIKE 'DELETE FROM mile_outbox%'""",
                ),
                lambda n: n > 0,
                timeout=60,
            )
            on_topic_at_kill = len(await read_all(platform.bootstrap, f"^{participants_topic(city)}$")) - before
            platform.kill(service)
            # the dead process's backend still waits to delete the batch's rows; end it as TCP keepalive would
            await blocker.execute(
                """SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                   WHERE datname = current_database() AND query LIKE 'DELETE FROM mile_outbox%'"""
            )
            await transaction.rollback()
        finally:
            await blocker.close()
        await platform.start(service)
        published, rows, resent_2 = await published_vs_committed(platform, city)
        orphans_2, phantoms_2 = len(rows - published), len(published - rows)
        figures_2 = (
            f"mid-batch: answered={len(answered_2)} committed={len(rows)} sent_before_kill={on_topic_at_kill} "
            f"resent_after_restart={resent_2} orphans={orphans_2} phantoms={phantoms_2}"
        )
        print(figures_2)
        assert waiting and on_topic_at_kill > 0, f"the kill missed the batch: {figures_2}"
        assert resent_2 > 0, f"the batch whose rows were not deleted was not sent again: {figures_2}"
        assert answered_2 <= rows, figures_2
        assert orphans_2 == 0 and phantoms_2 == 0, figures_2
    finally:
        await holder.close()
