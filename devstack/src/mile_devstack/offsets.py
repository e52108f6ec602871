"""Consumer-group offsets: rewind a group to replay topics, and tell when it has caught up.

Uses a consumer of the group itself rather than the admin API, because tansu's
``list_consumer_group_offsets`` fails (DESIGN §9). Stop the group's members first:
offsets of a group with live members cannot be rewritten.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import OffsetAndMetadata

from mile_platform.broker import topic_partitions


@asynccontextmanager
async def _group_client(bootstrap: str, group: str) -> AsyncIterator[AIOKafkaConsumer]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        session_timeout_ms=6000,
        heartbeat_interval_ms=500,
    )
    await consumer.start()
    try:
        yield consumer
    finally:
        await consumer.stop()


async def rewind_group(bootstrap: str, group: str, pattern: str, timeout: float = 60.0) -> int:
    """Set ``group``'s offsets to 0 on every partition of the topics matching ``pattern``.

    Joins the (stopped) group as its only member, as some brokers accept offset
    commits from members only, then commits offset 0 for everything assigned.
    """
    async with _group_client(bootstrap, group) as consumer:
        consumer.subscribe(pattern=pattern)
        async with asyncio.timeout(timeout):
            while not consumer.assignment():
                await consumer.getmany(timeout_ms=200, max_records=1)
        partitions = sorted(consumer.assignment())
        await consumer.commit({tp: OffsetAndMetadata(0, "") for tp in partitions})
        return len(partitions)


async def group_lag(bootstrap: str, group: str, pattern: str) -> int:
    """Messages not yet committed by ``group`` on the topics matching ``pattern``."""
    async with _group_client(bootstrap, group) as consumer:
        partitions = await topic_partitions({"bootstrap_servers": bootstrap}, pattern)
        ends = await consumer.end_offsets(partitions)
        lag = 0
        for tp in partitions:
            lag += max(0, ends[tp] - (await consumer.committed(tp) or 0))
        return lag
