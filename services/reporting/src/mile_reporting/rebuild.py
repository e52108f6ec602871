"""Rebuild: replay every topic reporting reads, from the beginning, into a fresh projection.

Readers (worker processes, or one thread with ``--workers 0``) each own some of the partitions and
read them with a plain consumer (no group, nothing committed) until past the end offsets seen at
the start. They check and parse each batch exactly as the live consumer does and reduce it with the
same rules (``batch.changes``); this process applies the reductions one at a time with the live
handler's ``apply``. The projections are idempotent (earliest
stage, newest statistics, keyed levels and drop-outs), so the result equals the live one without an inbox.

    uv run mile-reporting-rebuild --database-url postgresql://.../mile_reporting_rebuilt
"""

import argparse
import asyncio
import multiprocessing
import multiprocessing.process
import os
import queue
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

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
"""What decoding needs of a record: topic, headers, value."""


class RebuildFailed(RuntimeError):
    """A reader stopped before reaching the end of its partitions: the new projection is incomplete."""


class Reduced(NamedTuple):
    """One batch read and reduced by a reader (``changes`` is None if no event of it applies)."""

    changes: batch.Changes | None
    records: int
    applied: int
    rejected: int


class Finished(NamedTuple):
    reader: int


class Failed(NamedTuple):
    reader: int
    error: str


Report = Reduced | Finished | Failed


class Outbox(Protocol):
    """What readers and this process share: a ``queue.Queue`` or a ``multiprocessing`` queue."""

    def put(self, item: Report, block: bool = True, timeout: float | None = None) -> None: ...
    def get(self, block: bool = True, timeout: float | None = None) -> Report: ...


class Stop(Protocol):
    def is_set(self) -> bool: ...
    def set(self) -> None: ...


async def _replay(pool: asyncpg.Pool, kafka: KafkaSettings, batch_size: int, workers: int) -> RebuildResult:
    started = time.perf_counter()
    sizes = await _partition_sizes(kafka)
    shares = _share(sizes, max(workers, 1))
    # Reading and parsing every event is the costly part: readers, each owning some partitions,
    # consume, check, parse and reduce batches while this process applies earlier reductions in
    # the order they come. Reader processes never pass raw records through this process; with no
    # workers, one reader runs here in a thread, so the event loop still drives the writes meanwhile.
    if workers:
        context = multiprocessing.get_context("spawn")
        out: Outbox = context.Queue(maxsize=2 * len(shares))
        stop: Stop = context.Event()
        readers: list[multiprocessing.process.BaseProcess | threading.Thread] = [
            context.Process(target=read, args=(i, kafka, ends, batch_size, out, stop), daemon=True)
            for i, ends in enumerate(shares)
        ]
    else:
        out, stop = queue.Queue(maxsize=2), threading.Event()
        readers = [
            threading.Thread(target=read, args=(i, kafka, ends, batch_size, out, stop), daemon=True)
            for i, ends in enumerate(shares)
        ]
    settle_collector()
    loop = asyncio.get_running_loop()
    records = applied = rejected = 0
    writing: asyncio.Task[None] | None = None
    try:
        for reader in readers:
            reader.start()
        reading = set(range(len(readers)))
        while reading:
            report = await loop.run_in_executor(None, _take, out, readers, reading)
            if isinstance(report, Failed):
                raise RebuildFailed(f"reader {report.reader}: {report.error}")
            if isinstance(report, Finished):
                reading.discard(report.reader)
                continue
            records, applied, rejected = (
                records + report.records,
                applied + report.applied,
                rejected + report.rejected,
            )
            if report.changes is not None:
                if writing is not None:
                    await writing
                writing = asyncio.create_task(_write(pool, report.changes))
        if writing is not None:
            await writing
    finally:
        stop.set()
        if writing is not None and not writing.done():
            writing.cancel()
            await asyncio.gather(writing, return_exceptions=True)
        for reader in readers:
            if isinstance(reader, multiprocessing.process.BaseProcess) and reader.is_alive():
                reader.terminate()
            if reader.ident is not None:
                reader.join()
    return RebuildResult(records, applied, rejected, time.perf_counter() - started)


async def _partition_sizes(kafka: KafkaSettings) -> dict[TopicPartition, tuple[int, int]]:
    """Each partition's first offset and the end offset seen now, where the rebuild stops."""
    partitions = await topic_partitions(client_options(kafka), TOPICS_PATTERN)
    reader = AIOKafkaConsumer(**client_options(kafka), enable_auto_commit=False, group_id=None)
    await reader.start()
    try:
        firsts = await reader.beginning_offsets(partitions)
        ends = await reader.end_offsets(partitions)
    finally:
        await reader.stop()
    return {tp: (firsts[tp], ends[tp]) for tp in partitions}


def _share(sizes: dict[TopicPartition, tuple[int, int]], readers: int) -> list[dict[TopicPartition, int]]:
    """Deal the partitions to at most ``readers`` readers, largest first to the least loaded,
    so they finish together; each share maps a partition to its end offset."""
    shares: list[dict[TopicPartition, int]] = [{} for _ in range(min(readers, len(sizes)))]
    loads = [0] * len(shares)
    for tp, (first, end) in sorted(sizes.items(), key=lambda item: item[1][0] - item[1][1]):
        least = loads.index(min(loads))
        shares[least][tp] = end
        loads[least] += end - first
    return shares


def _take(
    out: Outbox, readers: Sequence[multiprocessing.process.BaseProcess | threading.Thread], reading: set[int]
) -> Report:
    """The next report; fails if a reader that has not finished is gone (killed, out of memory)."""
    while True:
        try:
            return out.get(timeout=1.0)
        except queue.Empty:
            gone = sorted(i for i in reading if not readers[i].is_alive())
            if gone:
                raise RebuildFailed(f"readers {gone} exited without finishing") from None


def read(
    reader: int, kafka: KafkaSettings, ends: dict[TopicPartition, int], batch_size: int, out: Outbox, stop: Stop
) -> None:
    """A reader (process or thread): its partitions from the beginning to ``ends``, reduced batch by batch."""
    settle_collector()
    try:
        asyncio.run(_read(kafka, ends, batch_size, out, stop))
    except Exception as exc:  # reported, so the rebuild fails with the reason instead of waiting
        _put(out, Failed(reader, f"{type(exc).__name__}: {exc}"), stop)
    else:
        _put(out, Finished(reader), stop)


async def _read(
    kafka: KafkaSettings, ends: dict[TopicPartition, int], batch_size: int, out: Outbox, stop: Stop
) -> None:
    consumer = AIOKafkaConsumer(
        **client_options(kafka),
        enable_auto_commit=False,
        group_id=None,
        # Large fetches: fewer round trips while replaying whole topics.
        fetch_max_bytes=64 << 20,
        max_partition_fetch_bytes=16 << 20,
    )
    try:
        await consumer.start()
        consumer.assign(list(ends))
        await consumer.seek_to_beginning(*ends)
        # Done once past the end offsets seen at the start and a poll finds nothing more (some
        # brokers, tansu among them, report end offsets per record batch rather than per record).
        while not stop.is_set():
            fetched = await consumer.getmany(timeout_ms=1000, max_records=batch_size)
            raw: list[Raw] = [(r.topic, tuple(r.headers or ()), r.value) for part in fetched.values() for r in part]
            if not raw and not await _behind(consumer, ends):
                return
            if raw:
                _put(out, reduce(raw), stop)
    finally:
        await consumer.stop()


def _put(out: Outbox, report: Report, stop: Stop) -> None:
    """Wait for room, but give up once the rebuild has stopped (nobody would take it)."""
    while not stop.is_set():
        try:
            return out.put(report, timeout=0.5)
        except queue.Full:
            continue


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


def reduce(records: list[Raw]) -> Reduced:
    """A batch's changes with the same rules as the live consumer, and what it counted."""
    events, rejected = decode(records)
    return Reduced(batch.changes(events) if events else None, len(records), len(events), rejected)


def decode(records: list[Raw]) -> tuple[list[Event], int]:
    """The events the live consumer would apply, in order; and how many it would dead-letter.

    The same checks as the live consumer (the CloudEvents envelope, the event model, the city of
    a participants topic), only skipping the envelope of event types no projection reads.
    """
    events: list[Event] = []
    append = events.append
    rejected = 0
    handles = consumer.handles
    for topic, headers, value in records:
        raw_type = _type_header(headers)
        try:
            if raw_type is not None and raw_type.decode() not in handles:
                continue  # most skipped records are told apart without reading their envelope
            meta, _ = from_headers(headers)
            if meta.type not in handles:
                continue
            event = parse_event(meta.type, value or b"", consumer.readers)
        except Exception:  # the live consumer dead-letters these; a rebuild counts them
            rejected += 1
            continue
        city = city_of_participants_topic(topic)
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
    except RebuildFailed as exc:
        sys.exit(f"failed, the new projection is incomplete: {exc}")
    print(
        f"rebuilt from {result.records} records ({result.applied} applied, {result.rejected} rejected) "
        f"in {result.seconds:.1f} s: {result.events_per_second:,.0f} events/s"
    )
