"""Reading topics back the way an auditor would: from the beginning, without a group."""

import asyncio

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord


async def read_topic(bootstrap: str, topic: str, *, expect: int, timeout: float = 30.0) -> list[ConsumerRecord]:
    """Every record of ``topic`` once at least ``expect`` arrived (or the deadline passed)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    records: list[ConsumerRecord] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for messages in batch.values():
                records.extend(messages)
            if len(records) >= expect:
                # one more short poll catches anything beyond what was expected
                for messages in (await consumer.getmany(timeout_ms=500)).values():
                    records.extend(messages)
                break
    finally:
        await consumer.stop()
    return records
