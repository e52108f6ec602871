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
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
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
class Progress:
    """A consumer's progress as its /metrics tell it."""

    records: int
    busy_s: float  # wall time with at least one batch in hand, overlapping batches counted once
    last_batch_at: float  # Unix time its last batch was committed (0 before the first)
    lock_wait_s: float = 0.0  # matching only: time its transactions waited for the proposal lock
    cpu_s: float = 0.0  # CPU time of its processes (user + system), since they started


@dataclass(frozen=True)
class Infra:
    bootstrap: str
    server: PostgresServer
    idempotence: bool  # the idempotent producer: Apache Kafka has it, tansu not
    external_broker: bool
    label: str  # what ran, for the report
    pids: Mapping[str, int] = field(default_factory=dict)  # the broker and PostgreSQL this bench started

    def cpu_s(self) -> dict[str, float]:
        """CPU time so far of the broker and PostgreSQL this bench started (one it did not is not seen)."""
        return {name: process_tree_cpu_s(pid) for name, pid in self.pids.items()}

    @property
    def sees_servers(self) -> bool:
        """Whether this bench started both the broker and PostgreSQL, so it sees all the CPU they spend."""
        return {"broker", "PostgreSQL"} <= self.pids.keys()


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
        pids = {"broker": broker.pid if broker else None, "PostgreSQL": postgres.pid if postgres else None}
        yield Infra(
            bootstrap,
            server,
            idempotence,
            broker is None,
            f"{broker_label}, {db_label}",
            {name: pid for name, pid in pids.items() if pid is not None},
        )
    finally:
        if broker:
            broker.stop()
        if postgres:
            postgres.stop()


class Platform:
    """One intake per city plus ``replicas`` of each shared service, each its own process on a free port.

    A shared service's replicas share its database and consumer group, as its pods do on Kubernetes
    (``deploy/k8s/base``: two), so its partitions are split between them; HTTP goes to the first.
    """

    def __init__(self, infra: Infra, cities: Sequence[str], state_dir: Path, replicas: int = 1) -> None:
        self.infra = infra
        self.cities = list(cities)
        self.replicas = replicas  # of each shared service; ``start`` and ``stop`` go by it as it is then
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
        for service in SHARED:
            for replica in self.instances(service)[1:]:
                self.specs[replica] = replace(self.specs[service], name=replica, port=free_port())
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

    def instances(self, name: str) -> list[str]:
        """The processes of a service: a shared one's replicas (``placement``, ``placement-2``, ...), else itself."""
        if name not in SHARED:
            return [name]
        return [name, *(f"{name}-{n}" for n in range(2, self.replicas + 1))]

    async def start(self, *names: str) -> None:
        """Start services (every replica of a shared one) together, then wait until all are ready."""
        services = names or [name for name in self.specs if _replica_of(name) is None]
        started = [instance for name in services for instance in self.instances(name)]
        for name in started:
            if (service := _replica_of(name)) is not None and name not in self.specs:  # ``replicas`` was raised
                self.specs[name] = replace(self.specs[service], name=name, port=free_port())
            self.processes[name] = ServiceProcess(self.specs[name], self.log_dir)
        for name in started:
            await self.processes[name].wait_ready(180)

    def stop(self, *names: str) -> None:
        """Stop services, noting each process's peak RSS first (the highest over its restarts)."""
        running = list(self.processes)  # every replica started, however many ``replicas`` says now
        stopped = [name for name in running if name in names or _replica_of(name) in names] if names else running
        for name in stopped:
            process = self.processes.pop(name)
            peak = _peak_rss_mb(self.specs[name].port)
            self.peak_rss_mb[name] = max(peak, self.peak_rss_mb.get(name, 0.0))
            process.stop()

    async def consumed(self, client: httpx.AsyncClient, service: str) -> Progress:
        """Since the service started, from the /metrics of each of its replicas: records handled (any
        outcome), wall time with a batch in hand (of the replica busy longest), and when its last batch
        was committed."""
        replicas = [_progress((await client.get(f"{self.url(name)}/metrics")).text) for name in self.instances(service)]
        return Progress(
            sum(p.records for p in replicas),
            max(p.busy_s for p in replicas),
            max(p.last_batch_at for p in replicas),
            sum(p.lock_wait_s for p in replicas),
            sum(p.cpu_s for p in replicas),
        )

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


def _replica_of(name: str) -> str | None:
    """The shared service ``name`` is a second (third...) replica of, else None."""
    service, _, n = name.rpartition("-")
    return service if service in SHARED and n.isdigit() else None


def _progress(metrics: str) -> Progress:
    samples = dict.fromkeys(
        (
            "mile_consumer_busy_seconds_total",
            "mile_consumer_last_batch_timestamp_seconds",
            "mile_matching_proposal_lock_wait_seconds_sum",
            "process_cpu_seconds_total",  # prometheus-client's own, of the service's process
        ),
        0.0,
    )
    records = 0.0
    for line in metrics.splitlines():
        name = line.partition("{")[0].partition(" ")[0]  # labelled or not
        if name == "mile_events_consumed_total":
            records += float(line.rsplit(" ", 1)[1])
        elif name in samples:
            samples[name] = float(line.rsplit(" ", 1)[1])
    return Progress(
        int(records),
        samples["mile_consumer_busy_seconds_total"],
        samples["mile_consumer_last_batch_timestamp_seconds"],
        samples["mile_matching_proposal_lock_wait_seconds_sum"],
        samples["process_cpu_seconds_total"],
    )


_TICKS = os.sysconf("SC_CLK_TCK")


def process_tree_cpu_s(pid: int) -> float:
    """CPU time of a process, its children that ended and those still running (a PostgreSQL server's
    backends), from /proc: the bench's own view of what the broker and the database cost."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # it ended meanwhile
            continue
        if entry.name == str(pid):
            total += sum(map(int, stat[11:15])) / _TICKS  # utime, stime, cutime, cstime
        elif int(stat[1]) == pid:
            total += sum(map(int, stat[11:13])) / _TICKS
    return total


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

    Commits as a standalone consumer, without joining the group: on tansu, a member that joined and
    left here stalled the rebalance of two replicas restarting later for minutes.
    """
    partitions = await topic_partitions({"bootstrap_servers": bootstrap}, pattern)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.commit({tp: OffsetAndMetadata(ends[tp], "") for tp in partitions})
    finally:
        await consumer.stop()
