"""The topics the platform needs, created up front so no service depends on auto-creation."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code
from aiokafka.structs import ConsumerRecord

from mile_schemas.topics import all_topics, dead_letter_topic

PARTITIONS = 6
"""Of every topic: as many as deploy/k8s and deploy/compose give Apache Kafka (see ``create_topics``)."""


def platform_topics(cities: Iterable[str]) -> list[str]:
    """Every event topic for `cities`, each followed by its dead-letter topic."""
    return [name for topic in all_topics(cities) for name in (topic, dead_letter_topic(topic))]


async def create_topics(
    bootstrap: str,
    names: Iterable[str],
    *,
    partitions: int = PARTITIONS,
    replication_factor: int = 1,
) -> None:
    """Create the topics that do not exist yet; any error other than "exists" is raised.

    ``PARTITIONS`` (six) by default, as deploy/k8s and deploy/compose give Apache Kafka, so the two
    or three replicas of a shared service split each topic evenly. With three, two replicas held 8
    and 7 of the five city topics' 15 partitions, and the one with 8 drained the last eighth of a
    backlog alone (CPU sampled every 0.1 s: 0.45 s of a 4.4 s drain, the machine 40-70 % idle).

    Each partition costs the broker CPU in every consumer's fetches: the idle platform's tansu took
    12 % of a CPU with six, 8.5 % with three. An earlier bench saw six raise the load's p99 by about
    150 ms. On 2026-12-07, ``python -m bench.e2e --seconds 10 --backlog 100000`` in the same hour gave
    a p99 of 245-500 ms with six (5 runs) and 279-536 ms with three (4 runs), and matching drained
    24,000 records/s with six against 22,300/s with three (means of 3 runs each, some with a light
    CPU sampler beside them). Full-size runs that day gave 403-748 ms with six, as the machine's load moved it.
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
