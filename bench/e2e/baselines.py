"""What the libraries and servers do on their own, measured on the same broker and database.

- raw aiokafka: produce N messages of a registration's size (``acks=all``, sent together and
  awaited as a group, as the relay does), then consume them with a plain consumer doing nothing;
- raw asyncpg: N single-row INSERTs, each its own transaction (as each registration is), from a
  pool of 10 connections;
- raw consume from given offsets: the same records a service's backlog holds.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import TopicPartition

from mile_devstack.topics import create_topics

POOL = 10


@dataclass(frozen=True)
class KafkaBaseline:
    messages: int
    produce_per_s: float
    consume_per_s: float


async def raw_kafka(bootstrap: str, messages: int, payload_bytes: int, idempotence: bool) -> KafkaBaseline:
    topic = f"bench.raw.{uuid.uuid4().hex[:8]}"
    await create_topics(bootstrap, [topic])
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5, enable_idempotence=idempotence)
    await producer.start()
    payload = os.urandom(payload_bytes // 2).hex().encode()
    try:
        started = time.perf_counter()
        pending = []
        for i in range(messages):
            pending.append(await producer.send(topic, payload, key=str(i).encode()))
            if len(pending) >= 500:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
        produced_s = time.perf_counter() - started
        # The producer has the topic's metadata (it just wrote to it). A consumer's topics() does
        # not refresh what partitions_for_topic reads, so on Apache Kafka that came back empty.
        partitions = [TopicPartition(topic, p) for p in sorted(await producer.partitions_for(topic))]
    finally:
        await producer.stop()
    consumed, consume_s = await consume_ranges(bootstrap, dict.fromkeys(partitions, 0))
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)  # an external broker keeps no litter
    await admin.start()
    try:
        await admin.delete_topics([topic])
    finally:
        await admin.close()
    if consumed != messages:
        raise RuntimeError(f"raw consume read {consumed} of {messages} messages")
    return KafkaBaseline(messages, messages / produced_s, consumed / consume_s)


async def consume_ranges(
    bootstrap: str, starts: Mapping[TopicPartition, int], timeout_s: float = 120.0
) -> tuple[int, float]:
    """Read every record from ``starts`` to the partitions' ends, then until a second passes with none.

    The ends are asked for after assignment and the reader does not stop before reaching them (or
    ``timeout_s`` passing): a real broker's first fetches can come back empty while the consumer
    learns a fresh topic's leaders. It then keeps reading until a second passes with nothing,
    since tansu's end offsets can lag its records. Returns (count, seconds), timed from the first
    fetch to the last that returned records, so connecting and the final wait do not count.
    """
    reader = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None, auto_offset_reset="earliest"
    )
    await reader.start()
    try:
        partitions = list(starts)
        reader.assign(partitions)
        for tp, offset in starts.items():
            reader.seek(tp, offset)
        ends = await reader.end_offsets(partitions) if partitions else {}
        pending = {tp for tp in partitions if ends.get(tp, 0) > starts[tp]}
        count, started = 0, time.perf_counter()
        last, deadline = started, started + timeout_s
        while True:
            fetched = await reader.getmany(timeout_ms=1000, max_records=10_000)
            if fetched:
                last = time.perf_counter()
                count += sum(len(records) for records in fetched.values())
            for tp in list(pending):
                if await reader.position(tp) >= ends[tp]:
                    pending.discard(tp)
            if not fetched and (not pending or time.perf_counter() > deadline):
                return count, last - started
    finally:
        await reader.stop()


@dataclass(frozen=True)
class PostgresBaseline:
    rows: int
    per_s: float


async def raw_inserts(database_url: str, rows: int, payload_bytes: int) -> PostgresBaseline:
    """Single-row INSERT commits from a pool, into a table shaped like a registration's row."""
    pool = await asyncpg.create_pool(database_url, min_size=POOL, max_size=POOL)
    try:
        async with pool.acquire() as conn:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS bench_raw (id uuid PRIMARY KEY, city text NOT NULL, body jsonb NOT NULL)"
            )
        body = json.dumps({"data": os.urandom(payload_bytes // 2).hex()})
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(rows):
            queue.put_nowait(i)

        async def worker() -> None:
            async with pool.acquire() as conn:
                while not queue.empty():
                    queue.get_nowait()
                    await conn.execute(
                        "INSERT INTO bench_raw (id, city, body) VALUES ($1, $2, $3::jsonb)", uuid.uuid4(), "milan", body
                    )

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(POOL)))
        return PostgresBaseline(rows, rows / (time.perf_counter() - started))
    finally:
        await pool.close()
