"""Test resources behind the root conftest: a real broker and a real PostgreSQL per session,
and deliveries for tests that feed a consumer's handler directly.

Environment variables point tests at existing ones (CI uses Apache Kafka); otherwise devstack
starts its own on free ports, only when a test asks for them, and stops them at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from aiokafka.structs import ConsumerRecord

from mile_devstack.broker import LocalBroker
from mile_devstack.databases import ExternalPostgres, PostgresServer
from mile_devstack.postgres import LocalPostgres
from mile_devstack.processes import free_port
from mile_platform.subscriber import Delivery
from mile_schemas import Event

KAFKA_ENV = "MILE_TEST_KAFKA_BOOTSTRAP"
IDEMPOTENCE_ENV = "MILE_TEST_KAFKA_IDEMPOTENCE"
POSTGRES_ENV = "MILE_TEST_POSTGRES_URL"


@asynccontextmanager
async def kafka_bootstrap(state_dir: Path) -> AsyncIterator[str]:
    """`$MILE_TEST_KAFKA_BOOTSTRAP`, or a tansu broker living as long as the context."""
    if external := os.environ.get(KAFKA_ENV):
        yield external
        return
    broker = LocalBroker(free_port(), log_path=state_dir / "broker.log")
    try:
        await broker.start()
        yield broker.bootstrap
    finally:
        broker.stop()


def kafka_idempotence() -> bool:
    """Whether the test broker supports the idempotent producer (tansu does not)."""
    return os.environ.get(IDEMPOTENCE_ENV, "false").strip().lower() == "true"


@asynccontextmanager
async def postgres_server(state_dir: Path) -> AsyncIterator[PostgresServer]:
    """`$MILE_TEST_POSTGRES_URL` (a server URL), or a throw-away PostgreSQL without fsync."""
    if external := os.environ.get(POSTGRES_ENV):
        yield ExternalPostgres(external)
        return
    server = LocalPostgres(state_dir / "pgdata", free_port(), fsync=False)
    try:
        await server.start()
        yield server
    finally:
        server.stop()


async def fresh_database(server: PostgresServer, prefix: str = "test") -> str:
    """Create a database no other test uses and return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    await server.create_database(name)
    return server.url(name)


def delivered(event: Event, offset: int) -> Delivery:
    """``event`` as the subscriber hands it to a handler, read from offset ``offset`` of partition 0."""
    record = ConsumerRecord(
        topic=event.topic(),
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=event.key().encode(),
        value=b"",
        checksum=None,
        serialized_key_size=0,
        serialized_value_size=0,
        headers=(),
    )
    return Delivery(meta=event.meta(), event=event, record=record)
