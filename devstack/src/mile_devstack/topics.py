"""The topics the platform needs, created up front so no service depends on auto-creation."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code
from aiokafka.structs import ConsumerRecord

from mile_schemas.topics import all_topics, dead_letter_topic


def platform_topics(cities: Iterable[str]) -> list[str]:
    """Every event topic for `cities`, each followed by its dead-letter topic."""
    return [name for topic in all_topics(cities) for name in (topic, dead_letter_topic(topic))]


async def create_topics(
    bootstrap: str,
    names: Iterable[str],
    *,
    partitions: int = 3,
    replication_factor: int = 1,
) -> None:
    """Create the topics that do not exist yet; any error other than "exists" is raised.

    Three partitions by default, for the embedded tansu: there every partition costs CPU in each of
    every consumer's fetches (ten a second). With six the idle platform's broker took 12 % of a CPU
    instead of 8.5 %, and the e2e bench's p99 at 200 registrations/s rose from 710-770 ms to
    880-890 ms on two cores (2026-12-07). Apache Kafka (deploy/k8s, deploy/compose) gets six, so two
    or three replicas split each topic evenly.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        response = await admin.create_topics([NewTopic(name, partitions, replication_factor) for name in names])
    finally:
        await admin.close()
    for topic, code, *_ in response.topic_errors:
        error = for_code(code)
        if code and error is not TopicAlreadyExistsError:
            raise error(f"cannot create topic {topic}")


async def read_topic(
    bootstrap: str, topic: str, *, expect: int, timeout: float = 30.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record of ``topic`` from the beginning, once ``expect`` arrived or the deadline passed.

    Reads without a consumer group, as an auditor or a test would, so no offsets move.
    """
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    loop = asyncio.get_running_loop()
    try:
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            for messages in (await consumer.getmany(timeout_ms=500)).values():
                records.extend(messages)
            if len(records) >= expect:
                for messages in (await consumer.getmany(timeout_ms=500)).values():
                    records.extend(messages)  # anything beyond what was expected shows too
                break
    finally:
        await consumer.stop()
    return records
