"""Placement served over real HTTP on a fresh database, with a producer standing in for matching and intake."""

import random
import string
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from mile_devstack.inprocess import serve
from mile_devstack.tokens import DevIssuer
from mile_devstack.topics import create_topics, platform_topics
from mile_placement.main import create_app
from mile_platform.broker import make_producer
from mile_platform.settings import KafkaSettings

from .running import MovableClock, RunningPlacement


@pytest.fixture
async def placement(
    fresh_database: Callable[[str], Awaitable[str]],
    kafka_bootstrap: str,
    kafka_idempotence: bool,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> AsyncIterator[RunningPlacement]:
    city = "pl" + "".join(random.choices(string.ascii_lowercase, k=10))
    await create_topics(kafka_bootstrap, platform_topics([city]))  # before start: the pattern sees them
    database = await fresh_database("placement")
    monkeypatch.setenv("PLACEMENT_DATABASE_URL", database)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)
    monkeypatch.setenv("MILE_KAFKA_IDEMPOTENCE", str(kafka_idempotence).lower())
    # A consumer group of its own: committed offsets of earlier tests never hide events from this one.
    monkeypatch.setenv("MILE_CONSUMER_GROUP_PREFIX", f"test-{uuid.uuid4().hex[:8]}-")
    producer = make_producer(
        KafkaSettings(bootstrap_servers=kafka_bootstrap), service="test", idempotence=kafka_idempotence
    )
    # The scheduler looks often; the test's clock decides what is due.
    monkeypatch.setenv("PLACEMENT_SCHEDULER_INTERVAL_S", "0.2")
    clock = MovableClock(datetime.now(UTC).replace(microsecond=0))
    issuer = DevIssuer(tmp_path / "auth")
    for name, value in issuer.auth_env().items():
        monkeypatch.setenv(name, value)
    caseworker = {"Authorization": f"Bearer {issuer.token(site=city, roles=['caseworker'])}"}
    await producer.start()
    try:
        async with (
            serve(create_app(clock)) as base_url,
            httpx.AsyncClient(base_url=base_url, headers=caseworker) as http,
        ):
            yield RunningPlacement(
                http=http,
                bootstrap=kafka_bootstrap,
                city=city,
                producer=producer,
                clock=clock,
                issuer=issuer,
                database=database,
            )
    finally:
        await producer.stop()
