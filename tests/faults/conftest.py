"""Fault-injection fixtures: a platform per test whose services are processes that can be killed."""

import os
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from mile_devstack.databases import PostgresServer

from .kit import Platform, city_name

MakePlatform = Callable[..., Awaitable[Platform]]


@pytest.fixture
async def make_platform(
    tmp_path: Path, kafka_bootstrap: str, kafka_idempotence: bool, postgres_server: PostgresServer
) -> AsyncIterator[MakePlatform]:
    """``await make_platform(cities=1, server=..., bootstrap=..., idempotence=...)``: prepared, nothing started."""
    made: list[Platform] = []

    async def make(
        cities: int = 1,
        server: PostgresServer | None = None,
        bootstrap: str | None = None,
        idempotence: bool | None = None,
    ) -> Platform:
        platform = Platform(
            tmp_path / f"platform{len(made)}",
            bootstrap or kafka_bootstrap,
            kafka_idempotence if idempotence is None else idempotence,
            server or postgres_server,
            [city_name() for _ in range(cities)],
        )
        made.append(platform)
        await platform.prepare()
        return platform

    try:
        yield make
    finally:
        for platform in made:
            platform.stop()
            if platform.bootstrap == kafka_bootstrap:  # a broker a test started itself is gone already
                await platform.forget()


KAFKA_LIBS_ENV = "MILE_TEST_KAFKA_LIBS"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that restart a broker of their own need Apache Kafka's jars (``.ci/kafka.sh fetch``).

    tansu keeps topics in memory only, so a restarted tansu has nothing left to recover. Without
    the jars those tests are deselected, visibly, rather than skipped; CI provides them.
    """
    if os.environ.get(KAFKA_LIBS_ENV):
        return
    needing = [item for item in items if "kafka_libs" in getattr(item, "fixturenames", ())]
    if needing:
        config.hook.pytest_deselected(items=needing)
        items[:] = [item for item in items if item not in needing]
        warnings.warn(
            pytest.PytestWarning(f"deselected {len(needing)} broker-restart test(s): set {KAFKA_LIBS_ENV}"),
            stacklevel=1,
        )


@pytest.fixture
def kafka_libs() -> Path:
    """The jars of ``.ci/kafka.sh fetch DIR`` (DIR/libs)."""
    return Path(os.environ[KAFKA_LIBS_ENV])
