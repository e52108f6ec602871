"""The topics the platform needs, created up front so no service depends on auto-creation."""

from __future__ import annotations

from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code
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
    """Create the topics that do not exist yet; any error other than "exists" is raised."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        response = await admin.create_topics(
            [NewTopic(name, partitions, replication_factor) for name in names]
        )
    finally:
        await admin.close()
    for topic, code, *_ in response.topic_errors:
        error = for_code(code)
        if code and error is not TopicAlreadyExistsError:
            raise error(f"cannot create topic {topic}")
