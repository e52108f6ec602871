"""Matching's transactions propose one at a time; how long each waited for its turn is measured,
so operators can see when more replicas stop draining a backlog faster."""

import asyncio
from collections.abc import Awaitable, Callable

import asyncpg
import pytest
from prometheus_client import REGISTRY

from mile_matching import repository

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
