"""A migrated platform database and a city with its topics, per test."""

import random
import string
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import pytest

from mile_devstack.topics import create_topics, platform_topics
from mile_platform.migrations import apply_migrations


@pytest.fixture
async def platform_db(fresh_database: Callable[[str], Awaitable[str]]) -> AsyncIterator[tuple[str, asyncpg.Pool]]:
    url = await fresh_database("platform")
    pool = await asyncpg.create_pool(url, min_size=1, max_size=5)
    await apply_migrations(pool, ["mile_platform"])
    yield url, pool
    await pool.close()


@pytest.fixture
async def city(kafka_bootstrap: str) -> str:
    """A city of its own, so tests sharing one broker never read each other's events."""
    name = "t" + "".join(random.choices(string.ascii_lowercase, k=10))
    await create_topics(kafka_bootstrap, platform_topics([name]))
    return name
