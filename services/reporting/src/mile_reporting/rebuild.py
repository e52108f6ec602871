"""Rebuild: replay every topic reporting reads, from the beginning, into a fresh projection.

Reads with a plain consumer (no group, nothing committed) until it has passed the end offsets
seen at the start and finds nothing more. Worker processes check and parse each batch exactly as
the live consumer does and reduce it with the same rules (``batch.changes``); this process applies
the reductions in order with the live handler's ``apply``. The projections are idempotent (earliest
stage, newest statistics, keyed levels and drop-outs), so the result equals the live one without an inbox.

    uv run mile-reporting-rebuild --database-url postgresql://.../mile_reporting_rebuilt
"""

import argparse
import asyncio
import multiprocessing
import os
import sys
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import asyncpg
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from mile_platform.broker import client_options, topic_partitions
from mile_platform.collector import settle_collector
from mile_platform.migrations import apply_migrations
from mile_platform.settings import KafkaSettings
from mile_reporting import batch, handlers
from mile_reporting.subscribers import TOPICS_PATTERN, consumer
from mile_schemas import Event, city_of_participants_topic, from_headers, parse_event

TYPE_HEADER = "ce_type"
DEFAULT_WORKERS = max(1, min(4, os.cpu_count() or 1))


class NotFresh(RuntimeError):
    """The target database already holds a projection: a rebuild never merges into one."""


@dataclass(frozen=True)
class RebuildResult:
    records: int  # read from the topics
    applied: int  # events the projections read
    rejected: int  # records the live consumer would dead-letter
    seconds: float

    @property
    def events_per_second(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


async def rebuild(
    database_url: str, kafka: KafkaSettings, *, batch_size: int = 20_000, workers: int = DEFAULT_WORKERS
) -> RebuildResult:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    try:
        await apply_migrations(pool, ["mile_platform", "mile_reporting"])
        async with pool.acquire() as conn:
            if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM funnel_stages)"):
                raise NotFresh("the target database already holds a funnel")
        return await _replay(pool, kafka, batch_size, workers)
    finally:
        await pool.close()


Raw = tuple[str, tuple[tuple[str, bytes], ...], bytes | None]
"""What a worker needs of a record: topic, headers, value (cheap to send to another process)."""


async def _replay(pool: asyncpg.Pool, kafka: KafkaSettings, batch_size: int, workers: int) -> RebuildResult:
    reader = AIOKafkaConsumer(
        **client_options(kafka),
        enable_auto_commit=False,
        group_id=None,
        # Large fetches: fewer round trips while replaying whole topics.
        fetch_max_bytes=64 << 20,
        max_partition_fetch_bytes=16 << 20,
    )
    await reader.start()
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    records = applied = rejected = 0
    # Parsing and checking every event is the costly part: it runs in worker processes, several batches
    # at once, while this process fetches and PostgreSQL applies earlier batches, in order. With no
    # workers it runs here, in a thread, so the event loop still drives the writes meanwhile.
    decoders = (
        ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=settle_collector
        )
        if workers
        else None
    )
    settle_collector()
    in_flight: deque[asyncio.Future[tuple[batch.Changes | None, int, int]]] = deque()
    writing: asyncio.Task[None] | None = None

    async def settle_oldest() -> None:
        nonlocal applied, rejected, writing
        found, used, bad = await in_flight.popleft()
        applied, rejected = applied + used, rejected + bad
        if writing is not None:
            await writing
        writing = asyncio.create_task(_write(pool, found)) if found is not None else None

    try:
        partitions = await topic_partitions(client_options(kafka), TOPICS_PATTERN)
        reader.assign(partitions)
        await reader.seek_to_beginning(*partitions)
        ends = await reader.end_offsets(partitions)
        # Done once past the end offsets seen at the start and a poll finds nothing more (some
        # brokers, tansu among them, report end offsets per record batch rather than per record).
        while True:
            fetched = await reader.getmany(timeout_ms=1000, max_records=batch_size)
            raw: list[Raw] = [(r.topic, tuple(r.headers or ()), r.value) for part in fetched.values() for r in part]
            if not raw and not await _behind(reader, ends):
                break
            records += len(raw)
            if raw:
                in_flight.append(loop.run_in_executor(decoders, decode_and_reduce, raw))
            while len(in_flight) > max(workers, 1):
                await settle_oldest()
        while in_flight:
            await settle_oldest()
        if writing is not None:
            await writing
    finally:
        for future in in_flight:
            future.cancel()
        if decoders is not None:
            decoders.shutdown(cancel_futures=True)
        await reader.stop()
    return RebuildResult(records, applied, rejected, time.perf_counter() - started)


async def _write(pool: asyncpg.Pool, found: batch.Changes) -> None:
    async with pool.acquire() as conn, conn.transaction():
        # A rebuild that dies is started again into a fresh database: no need to wait for each flush.
        await conn.execute("SET LOCAL synchronous_commit = off")
        await handlers.apply(conn, found)


async def _behind(reader: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    for tp, end in ends.items():
        if await reader.position(tp) < end:
            return True
    return False


def decode_and_reduce(records: list[Raw]) -> tuple[batch.Changes | None, int, int]:
    """In a worker: the batch's changes (None if no event applies), events applied and records rejected."""
    events, rejected = decode(records)
    return (batch.changes(events) if events else None), len(events), rejected


def decode(records: list[Raw]) -> tuple[list[Event], int]:
    """The events the live consumer would apply, in order; and how many it would dead-letter.

    The same checks as the live consumer (the CloudEvents envelope, the event model, the city of
    a participants topic), only skipping the envelope of event types no projection reads.
    """
    events: list[Event] = []
    append = events.append
    rejected = 0
    handles = consumer.handles
    cities: dict[str, str | None] = {}
    for topic, headers, value in records:
        raw_type = _type_header(headers)
        try:
            if raw_type is not None and raw_type.decode() not in handles:
                continue  # most skipped records are told apart without reading their envelope
            meta, _ = from_headers(headers)
            if meta.type not in handles:
                continue
            event = parse_event(meta.type, value or b"")
        except Exception:  # the live consumer dead-letters these; a rebuild counts them
            rejected += 1
            continue
        city = cities[topic] if topic in cities else cities.setdefault(topic, city_of_participants_topic(topic))
        if city is not None and getattr(event, "city", None) != city:
            rejected += 1
            continue
        append(event)
    return events, rejected


def _type_header(headers: tuple[tuple[str, bytes], ...]) -> bytes | None:
    """The raw ``ce_type`` header (a plain loop: a generator per record costs more than this)."""
    for name, raw in headers:
        if name == TYPE_HEADER:
            return raw
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="a fresh (empty) database for the new projection")
    parser.add_argument("--batch-size", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="processes parsing events; 0: none")
    args = parser.parse_args()
    try:
        result = asyncio.run(
            rebuild(args.database_url, KafkaSettings(), batch_size=args.batch_size, workers=args.workers)
        )
    except NotFresh as exc:
        sys.exit(f"refused: {exc}")
    print(
        f"rebuilt from {result.records} records ({result.applied} applied, {result.rejected} rejected) "
        f"in {result.seconds:.1f} s: {result.events_per_second:,.0f} events/s"
    )
