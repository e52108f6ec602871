"""Each shared service fed a backlog: stopped, N events produced for it, started again to drain it
alone (no load is offered, the services drained before are stopped; the intakes stay up, idle).

Its consumer throughput (records handled per second, from its own ``mile_events_consumed_total``,
timed from the first record handled to the last) is set beside the raw aiokafka consume rate of
exactly the same records on the same broker. The events are what the service meets in real
use: registrations with a profile that fits open vacancies (matching proposes, reporting
counts), and accepted decisions for those participants (placement creates placements), each
with the trace context a relay sends with it.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import TopicPartition
from opentelemetry import trace
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator

from mile_devstack.demo import PLUMBER
from mile_platform.broker import topic_partitions
from mile_platform.telemetry import traceparent_of
from mile_schemas import (
    AgeBand,
    CandidateProfile,
    ConsentPurpose,
    Event,
    MatchDecided,
    MatchDecision,
    ParticipantRegistered,
    Sex,
    StatisticalAttributes,
    encode_event,
    to_headers,
)

from .baselines import consume_ranges
from .infra import PATTERNS, SHARED, Platform
from .load import LANGUAGES, own_cpu_s

POLL_S = 0.05
DRAIN_POLL_S = 1.0  # each poll costs every replica a /metrics page, CPU the drain is charged with
DRAIN_TIMEOUT_S = 300
RELAY_SETTLE_S = 3.0
QUIET_S = 3.0
RAW_READS = 5


@dataclass(frozen=True)
class Drain:
    service: str
    records: int
    handled: int  # fewer than records when the drain was cut off
    per_s: float
    raw_per_s: float  # the median read
    raw_best_per_s: float
    lock_wait_s: float = 0.0  # matching's replicas together, waiting for its proposal lock
    cpu_us: Mapping[str, float] = field(default_factory=dict)  # per record handled: the service, broker, PostgreSQL
    raw_cpu_us: Mapping[str, float] = field(default_factory=dict)  # per record read raw: the reader, broker, PostgreSQL
    cpu_bound: float | None = None  # the most % of raw its CPU per record allows; None if a server went unseen

    @property
    def share(self) -> float:
        return 100 * self.per_s / self.raw_per_s

    @property
    def seconds(self) -> float:
        return self.handled / self.per_s


async def run_backlogs(
    platform: Platform, events: int, vacancy_ids: dict[str, uuid.UUID], replicas: int
) -> list[Drain]:
    """Placement first (decisions), then matching (registrations), then reporting (all of it), each
    drained by ``replicas`` processes of the service."""
    bootstrap = platform.infra.bootstrap
    participants = [(uuid.uuid4(), platform.cities[i % len(platform.cities)]) for i in range(events)]
    languages = dict(zip(platform.cities, LANGUAGES, strict=False))
    drains = []
    async with httpx.AsyncClient(timeout=10.0) as client:
        await _await_quiet(platform)  # so each backlog holds only the events produced for it
        platform.stop(*SHARED)
        platform.replicas = replicas
        await _produce(bootstrap, _decisions(participants, vacancy_ids))
        drains.append(await _measure(platform, client, "placement"))
        await _produce(bootstrap, _registrations(participants, languages))
        await _await_count(platform, client, "placement", drains[0].records + events)  # it skips them, live
        platform.stop("placement")  # each drain has the machine to itself, but for the idle intakes
        drains.append(await _measure(platform, client, "matching"))
        await asyncio.sleep(RELAY_SETTLE_S)  # matching's proposals join reporting's backlog
        platform.stop("matching")
        drains.append(await _measure(platform, client, "reporting"))
    return drains


async def _measure(platform: Platform, client: httpx.AsyncClient, service: str) -> Drain:
    """The service's whole backlog: read raw first, then by the service started alone.

    The raw rate is the median of ``RAW_READS`` reads. One read of a hundred thousand records takes
    about a second, and on a shared machine reads of the same records differ by up to 50 % from one
    second to the next; the drain lasts several seconds and meets the machine as it is on average.
    The best read would set it against the machine's fastest second (in two runs of eight reads, the
    median was 12 % and 18 % below the best), so the share takes the median; the best is reported beside it.
    The CPU each side spent per record is set beside the rates: on a machine of two cores the
    service, its database and the broker share them, and a rate alone does not say which one bounds it.
    """
    async with _offsets_of(platform, service) as offsets:
        starts, _ = await offsets()
    before = {"aiokafka": own_cpu_s(), **platform.infra.cpu_s()}
    reads = [await consume_ranges(platform.infra.bootstrap, starts) for _ in range(RAW_READS)]
    records, seconds = reads[0][0], [seconds for _, seconds in reads]
    raw_cpu_us = _per_record(before, {"aiokafka": own_cpu_s(), **platform.infra.cpu_s()}, records * RAW_READS)
    await platform.start(service)
    ready = await platform.consumed(client, service)  # its start-up CPU is not the backlog's
    before = {service: ready.cpu_s, **platform.infra.cpu_s()}
    handled, per_s = await _drain(platform, client, service, records)
    end = await platform.consumed(client, service)  # started for this drain: its lock waits are all for it
    cpu_us = _per_record(before, {service: end.cpu_s, **platform.infra.cpu_s()}, end.records - ready.records)
    raw_per_s, raw_best_per_s = records / statistics.median(seconds), records / min(seconds)
    seen = platform.infra.sees_servers and sum(cpu_us.values()) > 0  # a small drain may take less than a tick
    bound = cpu_bound(cpu_us, raw_per_s) if seen else None
    return Drain(
        service, records, handled, per_s, raw_per_s, raw_best_per_s, end.lock_wait_s, cpu_us, raw_cpu_us, bound
    )


def cpu_bound(cpu_us: Mapping[str, float], raw_per_s: float, cpus: int | None = None) -> float:
    """The share of raw a drain would reach with every CPU busy on it (``cpus``, default this machine's):
    a ceiling its CPU per record sets, whatever the scheduling, replicas or partitions. The idle
    intakes and this bench also take a little CPU, so the real ceiling is a little lower."""
    per_s = (cpus or os.cpu_count() or 1) * 1e6 / sum(cpu_us.values())
    return 100 * per_s / raw_per_s


def _per_record(before: Mapping[str, float], after: Mapping[str, float], records: int) -> dict[str, float]:
    """Microseconds of CPU per record, of each process (or server) measured."""
    return {name: 1e6 * (after[name] - before[name]) / records for name in before} if records > 0 else {}


Offsets = Callable[[], Awaitable[tuple[dict[TopicPartition, int], dict[TopicPartition, int]]]]


@asynccontextmanager
async def _offsets_of(platform: Platform, service: str) -> AsyncIterator[Offsets]:
    """A reader of the service group's offsets on its topics, open while the block runs; each call
    asks the broker afresh for (where the group resumes on each partition: its committed offset or
    the log start, the log end). The reader joins no group: it only asks."""
    bootstrap = platform.infra.bootstrap
    partitions = await topic_partitions({"bootstrap_servers": bootstrap}, PATTERNS[service])
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=platform.group(service), enable_auto_commit=False)
    await reader.start()

    async def offsets() -> tuple[dict[TopicPartition, int], dict[TopicPartition, int]]:
        beginnings = await reader.beginning_offsets(partitions)
        ends = await reader.end_offsets(partitions)
        return {tp: await reader.committed(tp) or beginnings[tp] for tp in partitions}, ends

    try:
        yield offsets
    finally:
        await reader.stop()


async def _drain(platform: Platform, client: httpx.AsyncClient, service: str, records: int) -> tuple[int, float]:
    """(records handled, per second) from the start of the service's first batch to the end of its last.

    The service reports how long it has had a batch in hand, exact when asked, and when it committed
    its last batch; on a backlog it is never idle between the two. So the first batch began that long
    before the first poll that finds records handled (or before its last commit, if it had already
    finished), and the polling interval does not skew the rate: polls can be few, and each costs the
    service a /metrics page. The end is its last commit: it counts records once they are in its
    database and commits their offsets just after, so a poll later finds that time set. A drain still
    going after ``DRAIN_TIMEOUT_S`` is measured as far as it got.
    """
    began: float | None = None
    deadline = time.time() + DRAIN_TIMEOUT_S
    while True:
        progress = await platform.consumed(client, service)
        now = time.time()
        if progress.records and began is None:
            began = (progress.last_batch_at if progress.records >= records else now) - progress.busy_s
        if began is not None and progress.records >= records:
            await asyncio.sleep(DRAIN_POLL_S)
            ended = (await platform.consumed(client, service)).last_batch_at
            return progress.records, progress.records / (ended - began)
        if began is not None and now > deadline:
            return progress.records, progress.records / (now - began)
        if now > deadline + DRAIN_TIMEOUT_S:
            raise TimeoutError(f"{service} handled nothing of its backlog of {records} records")
        await asyncio.sleep(DRAIN_POLL_S)


async def _await_quiet(platform: Platform) -> None:
    """Wait until the load's tail has flowed: every shared service has committed the end of all its
    topics, and still has after ``QUIET_S`` (a relay may publish what a last batch caused).

    Counters of handled records would not do: they move at the end of a batch, and one batch of
    the tail may take longer than ``QUIET_S``.
    """
    async with AsyncExitStack() as stack:
        groups = [await stack.enter_async_context(_offsets_of(platform, service)) for service in SHARED]
        deadline, quiet_since = time.monotonic() + DRAIN_TIMEOUT_S, time.monotonic()
        while time.monotonic() < deadline:
            if any([await _lag(offsets) for offsets in groups]):
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= QUIET_S:
                return
            await asyncio.sleep(POLL_S)
    raise TimeoutError(f"the load's tail had not flowed after {DRAIN_TIMEOUT_S} s")


async def _lag(offsets: Offsets) -> int:
    """Records on the group's topics past its committed offsets, no less than 0 a partition: on
    tansu a group's committed offset was seen one past the end the broker reported."""
    starts, ends = await offsets()
    return sum(max(0, ends[tp] - offset) for tp, offset in starts.items())


async def _await_count(platform: Platform, client: httpx.AsyncClient, service: str, at_least: int) -> None:
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    while (await platform.consumed(client, service)).records < at_least and time.monotonic() < deadline:
        await asyncio.sleep(POLL_S)


def _registrations(participants: list[tuple[uuid.UUID, str]], languages: dict[str, str]) -> Iterable[Event]:
    now = datetime.now(UTC)
    for i, (pid, city) in enumerate(participants):
        level = "B1"
        yield ParticipantRegistered(
            participant_id=pid,
            city=city,
            registered_at=now,
            consents=(ConsentPurpose.CASE_MANAGEMENT, ConsentPurpose.MATCHING, ConsentPurpose.STATISTICS),
            statistics=StatisticalAttributes(
                age_band=list(AgeBand)[i % 6], sex=list(Sex)[i % 2], nationality="NG", legal_status="refugee"
            ),
            profile=CandidateProfile.model_validate(
                {
                    "legal_status": "refugee",
                    "work_permit": {"scope": "full"},
                    "languages": [
                        dict.fromkeys(("listening", "reading", "speaking", "writing"), level)
                        | {"language": languages[city]}
                    ],
                    "experience": [{"isco08": PLUMBER, "years": 3}],
                    "desired_isco08": [PLUMBER],
                    "municipality": "Centro",
                    "hours_per_week": 30,
                    "max_commute_km": 25,
                }
            ),
        )


def _decisions(participants: list[tuple[uuid.UUID, str]], vacancy_ids: dict[str, uuid.UUID]) -> Iterable[Event]:
    now = datetime.now(UTC)
    for pid, city in participants:
        yield MatchDecided(
            match_id=uuid.uuid4(),
            vacancy_id=vacancy_ids[city],
            participant_id=pid,
            city=city,
            decision=MatchDecision.ACCEPTED,
            decided_at=now,
        )


async def _produce(bootstrap: str, events: Iterable[Event]) -> None:
    """Publish the events as the relay does: sent together, awaited as a group, each continuing a
    trace of its own (a relay sends its span's ``traceparent``, which consumers link and continue)."""
    ids = RandomIdGenerator()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        pending = []
        for event in events:
            pending.append(
                await producer.send(
                    event.topic(),
                    encode_event(event),
                    key=event.key().encode(),
                    headers=to_headers(event.meta(), _relayed(ids)),
                )
            )
            if len(pending) >= 500:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


def _relayed(ids: RandomIdGenerator) -> str | None:
    """The ``traceparent`` of a relay's span, sampled, in a trace of its own."""
    sampled = trace.TraceFlags(trace.TraceFlags.SAMPLED)
    span = trace.SpanContext(ids.generate_trace_id(), ids.generate_span_id(), False, sampled)
    return traceparent_of(trace.NonRecordingSpan(span))
