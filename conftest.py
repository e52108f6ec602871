"""Session-wide real broker and PostgreSQL, started only when a test asks (see mile_devstack.testing)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from mile_devstack import testing
from mile_devstack.databases import PostgresServer


@pytest.fixture(scope="session")
async def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    async with testing.kafka_bootstrap(tmp_path_factory.mktemp("broker")) as bootstrap:
        yield bootstrap


@pytest.fixture(scope="session")
def kafka_idempotence() -> bool:
    return testing.kafka_idempotence()


@pytest.fixture(scope="session")
async def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[PostgresServer]:
    async with testing.postgres_server(tmp_path_factory.mktemp("postgres")) as server:
        yield server


@pytest.fixture
async def fresh_database(postgres_server: PostgresServer) -> Callable[[str], Awaitable[str]]:
    """`await fresh_database("prefix")` creates a uniquely named database and returns its URL."""

    async def create(prefix: str = "test") -> str:
        return await testing.fresh_database(postgres_server, prefix)

    return create
