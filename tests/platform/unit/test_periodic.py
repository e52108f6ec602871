"""The background loop keeps running after a failed tick and stops when its block ends."""

import asyncio
import logging

import pytest

from mile_platform import periodic


async def test_a_failed_tick_is_logged_by_class_and_retried_until_the_block_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls = 0
    enough = asyncio.Event()

    async def tick() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ValueError("participant Jane Doe")
        if calls == 3:
            enough.set()

    with caplog.at_level(logging.ERROR, logger="mile_platform.periodic"):
        async with periodic.every(0.01, tick, name="test-job"):
            await asyncio.wait_for(enough.wait(), timeout=30)
    stopped_at = calls
    await asyncio.sleep(0.05)

    assert calls == stopped_at  # no tick after the block ended
    assert [r.getMessage() for r in caplog.records] == ["test-job tick failed: ValueError; retrying"]
    assert "Jane" not in caplog.text
