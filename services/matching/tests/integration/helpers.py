"""Waiting for asynchronous effects with a deadline, and reading topics back."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiokafka import AIOKafkaConsumer

from mile_schemas import Event, from_headers, parse_event

T = TypeVar("T")


async def eventually(probe: Callable[[], Awaitable[T | None]], *, timeout: float = 30.0) -> T:
    """Poll ``probe`` until it returns something other than None, or fail at the deadline."""
    async with asyncio.timeout(timeout):
        while True:
            found = await probe()
            if found is not None:
                return found
            await asyncio.sleep(0.2)


async def find_event(bootstrap: str, topic: str, wanted: Callable[[Event], bool], *, timeout: float = 30.0) -> Event:
    """The first event on ``topic`` (read from the start, without a group) that is ``wanted``."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    try:
        async with asyncio.timeout(timeout):
            while True:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for record in records:
                        event = parse_event(from_headers(record.headers)[0].type, record.value or b"")
                        if wanted(event):
                            return event
    finally:
        await consumer.stop()
