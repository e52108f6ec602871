"""Rebuild: replay every topic reporting reads, from the beginning, into a fresh projection.

Reads with a plain consumer (no group, nothing committed) until it has passed the end offsets
seen at the start and finds nothing more, and applies batches with the live consumer's handler.
The projections are idempotent (earliest stage, newest statistics, keyed levels and drop-outs), so the result
equals the live one without an inbox.

    uv run mile-reporting-rebuild --database-url postgresql://.../mile_reporting_rebuilt
"""

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass

import asyncpg
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord, TopicPartition

from mile_platform.broker import client_options, topic_partitions
from mile_platform.migrations import apply_migrations
from mile_platform.settings import KafkaSettings
from mile_reporting import handlers
from mile_reporting.subscribers import TOPICS_PATTERN, consumer
from mile_schemas import Event, city_of_participants_topic, from_headers, parse_event

TYPE_HEADER = "ce_type"


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


async def rebuild(database_url: str, kafka: KafkaSettings, *, batch_size: int = 10_000) -> RebuildResult:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    try:
        await apply_migrations(pool, ["mile_platform", "mile_reporting"])
        async with pool.acquire() as conn:
            if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM funnel_stages)"):
                raise NotFresh("the target database already holds a funnel")
        return await _replay(pool, kafka, batch_size)
    finally:
        await pool.close()


async def _replay(pool: asyncpg.Pool, kafka: KafkaSettings, batch_size: int) -> RebuildResult:
    reader = AIOKafkaConsumer(**client_options(kafka), enable_auto_commit=False, group_id=None)
    await reader.start()
    started = time.perf_counter()
    records = applied = rejected = 0
    try:
        partitions = await topic_partitions(client_options(kafka), TOPICS_PATTERN)
        reader.assign(partitions)
        await reader.seek_to_beginning(*partitions)
        ends = await reader.end_offsets(partitions)
        # Done once past the end offsets seen at the start and a poll finds nothing more (some
        # brokers, tansu among them, report end offsets per record batch rather than per record).
        # Batch N is written while batch N+1 is decoded; batches still commit in order.
        writing: asyncio.Task[None] | None = None
        while True:
            fetched = await reader.getmany(timeout_ms=1000, max_records=batch_size)
            batch = [record for part in fetched.values() for record in part]
            if not batch and not await _behind(reader, ends):
                break
            events, bad = _decode(batch)
            records, applied, rejected = records + len(batch), applied + len(events), rejected + bad
            if writing is not None:
                await writing
            writing = asyncio.create_task(_write(pool, events)) if events else None
        if writing is not None:
            await writing
    finally:
        await reader.stop()
    return RebuildResult(records, applied, rejected, time.perf_counter() - started)


async def _write(pool: asyncpg.Pool, events: list[Event]) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await handlers.project(conn, events)


async def _behind(reader: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    for tp, end in ends.items():
        if await reader.position(tp) < end:
            return True
    return False


def _decode(records: list[ConsumerRecord]) -> tuple[list[Event], int]:
    """The events the live consumer would apply, in order; and how many it would dead-letter."""
    events: list[Event] = []
    rejected = 0
    for record in records:
        try:
            headers = dict(record.headers or ())
            event_type = headers.get(TYPE_HEADER, b"").decode()
            if event_type not in consumer.handles:
                continue
            # The full envelope only for events applied: parsing it is slower than the event itself.
            from_headers(record.headers or ())
            event = parse_event(event_type, record.value or b"")
        except Exception:  # the live consumer dead-letters these; a rebuild counts them
            rejected += 1
            continue
        city = city_of_participants_topic(record.topic)
        if city is not None and getattr(event, "city", None) != city:
            rejected += 1
            continue
        events.append(event)
    return events, rejected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="a fresh (empty) database for the new projection")
    parser.add_argument("--batch-size", type=int, default=10_000)
    args = parser.parse_args()
    try:
        result = asyncio.run(rebuild(args.database_url, KafkaSettings(), batch_size=args.batch_size))
    except NotFresh as exc:
        sys.exit(f"refused: {exc}")
    print(
        f"rebuilt from {result.records} records ({result.applied} applied, {result.rejected} rejected) "
        f"in {result.seconds:.1f} s: {result.events_per_second:,.0f} events/s"
    )
