"""Matching's proposal lock: batches that only add candidates share it, anything that may withdraw a
proposal or refill a vacancy holds it alone, and how long each transaction waited for it is measured,
so operators can see when more replicas stop draining a backlog faster."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence

import asyncpg
import pytest
from prometheus_client import REGISTRY

from mile_devstack.testing import delivered
from mile_matching import repository, subscribers
from mile_platform.migrations import apply_migrations
from mile_schemas import Event

from .test_batches import NOW, PLUMBER, SETTINGS, _erased, _open, _profile, _registered, _updated, _vacancy

pytestmark = pytest.mark.integration

HELD_S = 0.3


def waited() -> tuple[float, float]:
    """(transactions that took the lock, seconds they waited for it) so far in this process."""
    count = REGISTRY.get_sample_value("mile_matching_proposal_lock_wait_seconds_count") or 0.0
    return count, REGISTRY.get_sample_value("mile_matching_proposal_lock_wait_seconds_sum") or 0.0


async def test_a_transaction_waiting_for_the_proposal_lock_is_measured(
    fresh_database: Callable[[str], Awaitable[str]],
) -> None:
    url = await fresh_database("matching")
    holder, waiter = await asyncpg.connect(url), await asyncpg.connect(url)
    try:
        taken = asyncio.Event()

        async def hold() -> None:
            async with holder.transaction():
                await repository.lock_proposing(holder)
                taken.set()
                await asyncio.sleep(HELD_S)

        before = waited()
        holding = asyncio.create_task(hold())
        await taken.wait()
        async with waiter.transaction():
            await repository.lock_proposing(waiter)
        await holding
        count, seconds = waited()
        assert count - before[0] == 2
        assert seconds - before[1] >= HELD_S * 0.8  # the waiter's turn came when the holder committed
    finally:
        await holder.close()
        await waiter.close()


async def _migrated_pool(url: str) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(url, min_size=2, max_size=3)
    await apply_migrations(pool, ["mile_platform", "mile_matching"])
    return pool


async def _apply(conn: asyncpg.Connection, events: Sequence[Event], offset: int = 0) -> None:
    await subscribers.consumer(SETTINGS).handler(conn, [delivered(event, offset + i) for i, event in enumerate(events)])


async def _proposed(pool: asyncpg.Pool) -> set[tuple[uuid.UUID, uuid.UUID]]:
    rows = await pool.fetch("SELECT vacancy_id, participant_id FROM matches WHERE status = 'proposed'")
    return {(row["vacancy_id"], row["participant_id"]) for row in rows}


async def test_batches_of_registrations_apply_side_by_side_where_there_is_no_room(
    fresh_database: Callable[[str], Awaitable[str]],
) -> None:
    """Two replicas' batches of new candidates share the lock, and a full vacancy they could both
    take locks neither out: the second applies while the first is still open."""
    pool = await _migrated_pool(await fresh_database("matching_shared"))
    full = _vacancy(PLUMBER, positions=1)  # room for 2 proposals
    try:
        async with pool.acquire() as conn:
            await _open(conn, full)
            await _apply(conn, [_registered(uuid.uuid4(), _profile(years=5), NOW) for _ in range(2)])
        async with pool.acquire() as first, first.transaction():
            await _apply(first, [_registered(uuid.uuid4(), _profile(), NOW)], offset=2)
            async with pool.acquire() as second, second.transaction():
                await asyncio.wait_for(_apply(second, [_registered(uuid.uuid4(), _profile(), NOW)], offset=3), 5)
        assert await pool.fetchval("SELECT count(*) FROM candidates") == 4
        assert len(await _proposed(pool)) == 2
    finally:
        await pool.close()


async def test_two_batches_taking_the_same_room_side_by_side_never_exceed_it(
    fresh_database: Callable[[str], Awaitable[str]],
) -> None:
    """The second batch waits for the vacancy the first is proposing for, then counts its proposals
    afresh: the room (2) goes to the first batch's two candidates, and the third is not proposed."""
    pool = await _migrated_pool(await fresh_database("matching_room"))
    vacancy = _vacancy(PLUMBER, positions=1)
    first_two, third = [uuid.uuid4(), uuid.uuid4()], uuid.uuid4()
    try:
        async with pool.acquire() as conn:
            await _open(conn, vacancy)
        async with pool.acquire() as second:
            async with pool.acquire() as first, first.transaction():
                await _apply(first, [_registered(pid, _profile(), NOW) for pid in first_two])
                waiting = asyncio.create_task(_in_transaction(second, [_registered(third, _profile(years=9), NOW)]))
                await asyncio.sleep(HELD_S)
                assert not waiting.done()  # behind the first batch's lock on the vacancy it can take
            await asyncio.wait_for(waiting, 5)
        assert await _proposed(pool) == {(vacancy.vacancy_id, pid) for pid in first_two}
        assert await pool.fetchval("SELECT count(*) FROM candidates WHERE participant_id = $1", third) == 1
    finally:
        await pool.close()


async def test_an_update_of_someone_whose_proposal_was_decided_shares_the_lock(
    fresh_database: Callable[[str], Awaitable[str]],
) -> None:
    """Only a proposal still waiting can be withdrawn: an update of someone whose proposal was accepted
    frees no room, so its batch applies beside another batch sharing the lock (the vacancy is full)."""
    pool = await _migrated_pool(await fresh_database("matching_decided"))
    vacancy, person = _vacancy(PLUMBER, positions=1), uuid.uuid4()  # room for 2 proposals
    try:
        async with pool.acquire() as conn:
            await _open(conn, vacancy)
            await _apply(conn, [_registered(person, _profile(years=5), NOW)])
            accept = "UPDATE matches SET status = 'accepted', decided_at = $2 WHERE participant_id = $1"
            await conn.execute(accept, person, NOW)
            await _apply(conn, [_registered(uuid.uuid4(), _profile(years=5), NOW) for _ in range(2)], offset=1)
        async with pool.acquire() as first, first.transaction():
            await _apply(first, [_registered(uuid.uuid4(), _profile(), NOW)], offset=3)
            async with pool.acquire() as second, second.transaction():
                await asyncio.wait_for(_apply(second, [_updated(person, _profile(years=6), NOW)], offset=4), 5)
        assert len(await _proposed(pool)) == 2
    finally:
        await pool.close()


@pytest.mark.parametrize("change", ["an update", "an erasure"])
async def test_a_batch_that_may_free_room_holds_the_lock_alone(
    fresh_database: Callable[[str], Awaitable[str]], change: str
) -> None:
    """An update of someone with a proposal waiting may withdraw it, an erasure drops it: either frees
    room, so its batch waits for the batches sharing the lock. Its refill then sees the candidate a
    batch registered meanwhile (while the vacancy was full) and proposes them."""
    pool = await _migrated_pool(await fresh_database("matching_exclusive"))
    vacancy, leaving, staying, newcomer = _vacancy(PLUMBER, positions=1), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    event: Event = _updated(leaving, _profile(permit="none"), NOW) if change == "an update" else _erased(leaving, NOW)
    try:
        async with pool.acquire() as conn:
            await _open(conn, vacancy)
            await _apply(conn, [_registered(pid, _profile(years=5), NOW) for pid in (leaving, staying)])
        async with pool.acquire() as freeing:
            async with pool.acquire() as sharing, sharing.transaction():
                await _apply(sharing, [_registered(newcomer, _profile(), NOW)], offset=2)  # no room: not proposed
                waiting = asyncio.create_task(_in_transaction(freeing, [event], offset=3))
                await asyncio.sleep(HELD_S)
                assert not waiting.done()
            await asyncio.wait_for(waiting, 5)
        assert await _proposed(pool) == {(vacancy.vacancy_id, staying), (vacancy.vacancy_id, newcomer)}
    finally:
        await pool.close()


async def test_a_batch_with_two_events_of_one_person_holds_the_lock_alone(
    fresh_database: Callable[[str], Awaitable[str]],
) -> None:
    """A registration and an update of the same person in one batch: the update may withdraw the
    proposal the registration made, and refill its vacancy with anyone, so the batch waits for
    those sharing the lock (here, where no vacancy has room for either, for that alone)."""
    pool = await _migrated_pool(await fresh_database("matching_twice"))
    vacancy, person = _vacancy(PLUMBER, positions=1), uuid.uuid4()
    twice: list[Event] = [_registered(person, _profile(), NOW), _updated(person, _profile(permit="none"), NOW)]
    try:
        async with pool.acquire() as conn:
            await _open(conn, vacancy)
            await _apply(conn, [_registered(uuid.uuid4(), _profile(years=5), NOW) for _ in range(2)])
        async with pool.acquire() as exclusive:
            async with pool.acquire() as sharing, sharing.transaction():
                await _apply(sharing, [_registered(uuid.uuid4(), _profile(years=1), NOW)], offset=2)
                waiting = asyncio.create_task(_in_transaction(exclusive, twice, offset=3))
                await asyncio.sleep(HELD_S)
                assert not waiting.done()
            await asyncio.wait_for(waiting, 5)
        assert person not in {pid for _, pid in await _proposed(pool)}
    finally:
        await pool.close()


async def _in_transaction(conn: asyncpg.Connection, events: Sequence[Event], offset: int = 0) -> None:
    async with conn.transaction():
        await _apply(conn, events, offset)
