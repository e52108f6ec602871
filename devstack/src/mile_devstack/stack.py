"""Everything `mile-dev up` runs: broker, PostgreSQL and services, started and stopped in order.

A broker or database named by the environment (`KAFKA_BOOTSTRAP_SERVERS`, `MILE_DATABASE_URL`)
is used as it is; only what this stack started is stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from mile_devstack.broker import LocalBroker
from mile_devstack.databases import ExternalPostgres, PostgresServer
from mile_devstack.master_key import load_or_create_master_key
from mile_devstack.postgres import LocalPostgres
from mile_devstack.services import (
    ServiceProcess,
    ServiceSpec,
    platform_databases,
    platform_specs,
)
from mile_devstack.tokens import DevIssuer
from mile_devstack.topics import create_topics, platform_topics

POSTGRES_PORT = 15432
BROKER_PORT = 19092


class Stack:
    """The local platform for `cities`, with PostgreSQL data, logs and master key in `state_dir`."""

    def __init__(self, state_dir: Path, cities: Sequence[str], ready_timeout: float = 120.0) -> None:
        self.state_dir = state_dir
        self.log_dir = state_dir / "logs"
        self.cities = list(cities)
        self.ready_timeout = ready_timeout
        self.broker: LocalBroker | None = None
        self.postgres: LocalPostgres | None = None
        self.specs: list[ServiceSpec] = []
        self.services: list[ServiceProcess] = []
        self.issuer = DevIssuer(state_dir)  # development tokens; services trust its key set

    async def start(self) -> None:
        """Bring up broker and PostgreSQL, databases and topics, then every service until ready."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with _first_failure():
            async with asyncio.TaskGroup() as group:
                kafka = group.create_task(self._kafka_bootstrap())
                database = group.create_task(self._database_server())
        bootstrap, server = kafka.result(), database.result()

        for name in platform_databases(self.cities):  # one by one: each copies template1
            await server.create_database(name)
        await create_topics(bootstrap, platform_topics(self.cities))

        self.specs = platform_specs(
            self.cities,
            bootstrap,
            server.url,
            load_or_create_master_key(self.state_dir),
            _idempotence(tansu=self.broker is not None),
            otlp_endpoint=os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"),
            auth_env=self.issuer.auth_env(),
        )
        for spec in self.specs:  # recorded one by one so stop() finds all that were spawned
            self.services.append(ServiceProcess(spec, self.log_dir))
        with _first_failure():
            async with asyncio.TaskGroup() as group:
                for service in self.services:
                    group.create_task(service.wait_ready(self.ready_timeout))

    async def stop(self) -> None:
        """Services first (they still flush to the broker and database), then broker, then PostgreSQL."""
        await asyncio.gather(*(asyncio.to_thread(service.stop) for service in self.services))
        if self.broker:
            self.broker.stop()
        if self.postgres:
            await asyncio.to_thread(self.postgres.stop)

    async def _kafka_bootstrap(self) -> str:
        if external := os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
            return external
        self.broker = LocalBroker(BROKER_PORT, log_path=self.log_dir / "broker.log")
        await self.broker.start()
        return self.broker.bootstrap

    async def _database_server(self) -> PostgresServer:
        if external := os.environ.get("MILE_DATABASE_URL"):
            return ExternalPostgres(external)
        self.postgres = LocalPostgres(
            self.state_dir / "postgres", POSTGRES_PORT, log_path=self.log_dir / "postgres.log"
        )
        await self.postgres.start()
        return self.postgres


def _idempotence(*, tansu: bool) -> bool:
    """tansu lacks the idempotent producer; an external broker is taken to be Apache Kafka."""
    configured = os.environ.get("MILE_KAFKA_IDEMPOTENCE")
    if configured is not None:
        return configured.strip().lower() == "true"
    return not tansu


@contextlib.contextmanager
def _first_failure() -> Iterator[None]:
    """Unwrap a TaskGroup's ExceptionGroup: report the first failure (it carries the log tail)."""
    try:
        yield
    except* Exception as failed:
        raise failed.exceptions[0] from None
