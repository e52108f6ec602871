"""The broker, PostgreSQL and service processes the benchmark runs against.

By default the bench starts its own tansu and PostgreSQL (as ``mile-dev up`` does, fsync on) on
free ports; ``KAFKA_BOOTSTRAP_SERVERS`` and ``MILE_DATABASE_URL`` point it at existing ones
(Apache Kafka, a real server). Services run as separate processes so each one's peak RSS is its
own; every run gets fresh databases and consumer groups, so earlier runs never count.
"""

from __future__ import annotations

import asyncio
import base64
import os
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import OffsetAndMetadata

from mile_devstack.broker import LocalBroker
from mile_devstack.databases import ExternalPostgres, PostgresServer
from mile_devstack.postgres import LocalPostgres
from mile_devstack.processes import free_port
from mile_devstack.services import ServiceProcess, ServiceSpec, platform_databases, platform_specs
from mile_devstack.tokens import DevIssuer
from mile_devstack.topics import create_topics, platform_topics
from mile_matching.subscribers import PATTERN as MATCHING_PATTERN
from mile_placement.subscribers import PATTERN as PLACEMENT_PATTERN
from mile_platform.broker import topic_partitions
from mile_reporting.subscribers import TOPICS_PATTERN as REPORTING_PATTERN

SHARED = ("matching", "placement", "reporting")
PATTERNS = {"matching": MATCHING_PATTERN, "placement": PLACEMENT_PATTERN, "reporting": REPORTING_PATTERN}


@dataclass(frozen=True)
class Infra:
    bootstrap: str
    server: PostgresServer
    idempotence: bool  # the idempotent producer: Apache Kafka has it, tansu not
    external_broker: bool
    label: str  # what ran, for the report


@asynccontextmanager
async def infrastructure(state_dir: Path) -> AsyncIterator[Infra]:
    """The broker and PostgreSQL named by the environment, else local ones living as long as the context."""
    broker: LocalBroker | None = None
    postgres: LocalPostgres | None = None
    try:
        if bootstrap := os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
            idempotence = os.environ.get("MILE_KAFKA_IDEMPOTENCE", "true").strip().lower() == "true"
            broker_label = f"Kafka at {bootstrap}"
        else:
            broker = LocalBroker(free_port(), log_path=state_dir / "broker.log")
            await broker.start()
            bootstrap, idempotence, broker_label = broker.bootstrap, False, "embedded tansu"
        server: PostgresServer
        if url := os.environ.get("MILE_DATABASE_URL"):
            server, db_label = ExternalPostgres(url), "PostgreSQL at MILE_DATABASE_URL"
        else:
            postgres = LocalPostgres(state_dir / "pgdata", free_port(), log_path=state_dir / "postgres.log")
            await postgres.start()
            server, db_label = postgres, "embedded PostgreSQL (fsync on)"
        yield Infra(bootstrap, server, idempotence, broker is None, f"{broker_label}, {db_label}")
    finally:
        if broker:
            broker.stop()
        if postgres:
            postgres.stop()


class Platform:
    """One intake per city plus the shared services, each its own process on a free port."""

    def __init__(self, infra: Infra, cities: Sequence[str], state_dir: Path) -> None:
        self.infra = infra
        self.cities = list(cities)
        self.log_dir = state_dir / "logs"
        self.run_id = uuid.uuid4().hex[:8]
        self.group_prefix = f"bench-{self.run_id}-"
        self.issuer = DevIssuer(state_dir / "auth")
        self.database_urls: dict[str, str] = {}
        self.specs: dict[str, ServiceSpec] = {}
        self.processes: dict[str, ServiceProcess] = {}
        self.peak_rss_mb: dict[str, float] = {}

    async def prepare(self) -> None:
        """Fresh databases and topics; on a broker with history, new groups start at its end."""
        for name in platform_databases(self.cities):
            fresh = f"bench_{self.run_id}_{name.removeprefix('mile_')}"
            await self.infra.server.create_database(fresh)
            self.database_urls[name] = self.infra.server.url(fresh)
        await create_topics(self.infra.bootstrap, platform_topics(self.cities))
        key = base64.urlsafe_b64encode(os.urandom(32)).decode()
        specs = platform_specs(
            self.cities,
            self.infra.bootstrap,
            self.database_urls.__getitem__,
            key,
            self.infra.idempotence,
            log_level="WARNING",
            auth_env=self.issuer.auth_env(),
        )
        prefix = {"MILE_CONSUMER_GROUP_PREFIX": self.group_prefix}
        self.specs = {s.name: replace(s, port=free_port(), env={**s.env, **prefix}) for s in specs}
        if self.infra.external_broker:
            await asyncio.gather(
                *(_start_group_at_end(self.infra.bootstrap, self.group(s), PATTERNS[s]) for s in SHARED)
            )

    async def extra_database(self, name: str) -> str:
        """A fresh database of this run for the bench's own use (dropped with the others)."""
        fresh = f"bench_{self.run_id}_{name}"
        await self.infra.server.create_database(fresh)
        self.database_urls[fresh] = self.infra.server.url(fresh)
        return self.database_urls[fresh]

    def group(self, service: str) -> str:
        return f"{self.group_prefix}{service}"

    def url(self, name: str) -> str:
        return self.specs[name].url

    def auth(self, city: str, role: str = "caseworker") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.issuer.token(site=city, roles=(role,))}"}

    async def start(self, *names: str) -> None:
        for name in names or tuple(self.specs):
            self.processes[name] = ServiceProcess(self.specs[name], self.log_dir)
        for name in names or tuple(self.specs):
            await self.processes[name].wait_ready(180)

    def stop(self, *names: str) -> None:
        """Stop services, noting each one's peak RSS first (the highest over its restarts)."""
        for name in names or tuple(self.processes):
            process = self.processes.pop(name)
            peak = _peak_rss_mb(self.specs[name].port)
            self.peak_rss_mb[name] = max(peak, self.peak_rss_mb.get(name, 0.0))
            process.stop()

    async def consumed(self, client: httpx.AsyncClient, service: str) -> tuple[int, float]:
        """Since the service started, from its /metrics: records handled (any outcome), seconds in batches."""
        text = (await client.get(f"{self.url(service)}/metrics")).text
        records = busy = 0.0
        for line in text.splitlines():
            if line.startswith("mile_events_consumed_total{"):
                records += float(line.rsplit(" ", 1)[1])
            elif line.startswith("mile_consumer_batch_duration_seconds_sum{"):
                busy += float(line.rsplit(" ", 1)[1])
        return int(records), busy

    async def drop_databases(self) -> None:
        """Only on a server the bench did not start (a local one goes away with its data dir)."""
        if not isinstance(self.infra.server, ExternalPostgres):
            return
        conn = await asyncpg.connect(self.infra.server.url("postgres"))
        try:
            for url in self.database_urls.values():
                name = urlsplit(url).path.lstrip("/")
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


def _peak_rss_mb(port: int) -> float:
    """VmHWM of this process's child serving ``port`` (the uvicorn command line names it)."""
    me, wanted = os.getpid(), str(port).encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            args = (entry / "cmdline").read_bytes().split(b"\0")
            if ppid != me or b"--port" not in args or args[args.index(b"--port") + 1] != wanted:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except (OSError, IndexError, ValueError):
            continue
    return 0.0


async def _start_group_at_end(bootstrap: str, group: str, pattern: str) -> None:
    """Commit the current end offsets for a new group, so a broker's earlier events are not replayed.

    Joins the group as its only member (some brokers accept commits from members only).
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False, session_timeout_ms=6000
    )
    await consumer.start()
    try:
        consumer.subscribe(pattern=pattern)
        while not consumer.assignment():
            await consumer.getmany(timeout_ms=200, max_records=1)
        partitions = await topic_partitions({"bootstrap_servers": bootstrap}, pattern)
        ends = await consumer.end_offsets(partitions)
        await consumer.commit({tp: OffsetAndMetadata(ends[tp], "") for tp in consumer.assignment()})
    finally:
        await consumer.stop()
