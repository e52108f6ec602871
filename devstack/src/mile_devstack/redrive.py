"""`mile-dev redrive <topic>`: send the dead letters of ``<topic>.dlt`` back to ``<topic>``.

Once the cause of a dead letter is fixed (a consumer bug, a missing reference), its event
must be processed after all. Re-driving publishes each dead letter to its original topic with
the same key, value and headers, minus the ``mile_dlt_*`` headers the dead-letter path added,
and commits its offset in the consumer group ``mile-redrive`` only after the broker
acknowledged the copy: a second run re-drives only what arrived since, and an interrupted run
at worst publishes a message twice, which every consumer absorbs (its inbox, or a handler
idempotent by itself, ``Consumer.idempotent``). Only what was in the
dead-letter topic when the run began is re-driven, so an event that fails again is parked
again instead of circling. ``--dry-run`` lists the dead letters and why they failed, and
changes nothing. Connection settings are the services' own (``KAFKA_*``, TLS and SASL included).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import ConsumerRecord, OffsetAndMetadata, TopicPartition

from mile_platform.broker import client_options
from mile_platform.settings import KafkaSettings
from mile_schemas.topics import dead_letter_topic

DLT_HEADER_PREFIX = "mile_dlt_"
DEFAULT_GROUP = "mile-redrive"


class UnknownTopic(LookupError):
    """The dead-letter topic is not on the broker."""


@dataclass(frozen=True)
class RedriveResult:
    source: str
    target: str
    redriven: int


def original_headers(record: ConsumerRecord[bytes, bytes]) -> list[tuple[str, bytes | None]]:
    """The headers the event carried before it was dead-lettered (CloudEvents, traceparent...)."""
    return [(key, value) for key, value in (record.headers or ()) if not key.startswith(DLT_HEADER_PREFIX)]


def describe(record: ConsumerRecord[bytes, bytes]) -> str:
    """One line per dead letter: where it sits, which event, and why it failed (no payload)."""
    headers = {key: (value or b"").decode(errors="replace") for key, value in (record.headers or ())}
    why = {
        key.removeprefix(DLT_HEADER_PREFIX): value
        for key, value in headers.items()
        if key.startswith(DLT_HEADER_PREFIX)
    }
    return (
        f"{record.topic}[{record.partition}]@{record.offset} ce_type={headers.get('ce_type', '-')} "
        f"ce_id={headers.get('ce_id', '-')} consumer={why.get('consumer', '-')} error={why.get('error_class', '-')}: "
        f"{why.get('error_message', '-')} (from {why.get('topic', '-')}[{why.get('partition', '-')}]"
        f"@{why.get('offset', '-')} at {why.get('time', '-')})"
    )


async def redrive(
    topic: str,
    settings: KafkaSettings,
    *,
    group: str = DEFAULT_GROUP,
    dry_run: bool = False,
    report: Callable[[str], None] = print,
) -> RedriveResult:
    """Re-publish what ``<topic>.dlt`` holds beyond ``group``'s offsets; returns how many."""
    source = dead_letter_topic(topic)
    options = client_options(settings)
    consumer = AIOKafkaConsumer(group_id=group, enable_auto_commit=False, auto_offset_reset="earliest", **options)
    await consumer.start()
    try:
        ends = await _assign_from_committed(consumer, source, options)
        if dry_run:
            async for records in _dead_letters(consumer, ends):
                for record in records:
                    report("dead letter " + describe(record))
            return RedriveResult(source=source, target=topic, redriven=0)
        producer = AIOKafkaProducer(acks="all", **options)
        await producer.start()
        try:
            redriven = 0
            async for records in _dead_letters(consumer, ends):
                for record in records:
                    report("re-drive " + describe(record))
                sent = [await producer.send(topic, r.value, r.key, headers=original_headers(r)) for r in records]
                await asyncio.gather(*sent)  # every copy acknowledged (acks=all) before any offset moves
                done = {TopicPartition(r.topic, r.partition): r.offset for r in records}  # in offset order
                await consumer.commit({tp: OffsetAndMetadata(offset + 1, "") for tp, offset in done.items()})
                redriven += len(records)
        finally:
            await producer.stop()
    finally:
        await consumer.stop()
    return RedriveResult(source=source, target=topic, redriven=redriven)


async def _assign_from_committed(
    consumer: AIOKafkaConsumer, source: str, options: dict[str, Any]
) -> dict[TopicPartition, int]:
    """Assign every partition of ``source`` at the group's committed offset; return the end offsets now."""
    admin = AIOKafkaAdminClient(**options)  # a group consumer's own metadata lists only what it tracks
    await admin.start()
    try:
        topics = {t["topic"]: t for t in await admin.describe_topics()}  # all topics: never auto-creates one
    finally:
        await admin.close()
    if source not in topics:
        raise UnknownTopic(f"{source} does not exist (is the topic name right?)")
    partitions = [
        TopicPartition(source, p["partition"])
        for p in sorted(topics[source]["partitions"], key=lambda p: p["partition"])
    ]
    consumer.assign(partitions)  # no group join: nothing to rebalance, offsets still kept per group
    for tp in partitions:
        committed = await consumer.committed(tp)
        if committed is None:
            await consumer.seek_to_beginning(tp)
        else:
            consumer.seek(tp, committed)
    return await consumer.end_offsets(partitions)


async def _dead_letters(
    consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]
) -> AsyncIterator[list[ConsumerRecord[bytes, bytes]]]:
    """Batches of the records below ``ends``: later arrivals wait for the next run."""
    while True:
        behind = [tp for tp in ends if await consumer.position(tp) < ends[tp]]
        if not behind:
            return
        batch = await consumer.getmany(*behind, timeout_ms=1000)
        records = [r for tp, rs in batch.items() for r in rs if r.offset < ends[tp]]
        if records:
            yield records


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("redrive", help="re-publish the dead letters of <topic>.dlt to <topic>")
    parser.add_argument("topic", help="the original topic, e.g. mile.intake.milan.participants.v1")
    parser.add_argument("--bootstrap", help="Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS)")
    parser.add_argument("--group", default=DEFAULT_GROUP, help="consumer group remembering what was re-driven")
    parser.add_argument("--dry-run", action="store_true", help="list the dead letters and why; change nothing")


def run(args: argparse.Namespace) -> int:
    settings = KafkaSettings()
    if args.bootstrap:
        settings = settings.model_copy(update={"bootstrap_servers": args.bootstrap})
    try:
        result = asyncio.run(redrive(args.topic, settings, group=args.group, dry_run=args.dry_run))
    except (UnknownTopic, ValueError) as exc:
        print(f"mile-dev redrive: {exc}", file=sys.stderr)
        return 2
    verb = "listed" if args.dry_run else f"re-drove {result.redriven} message(s)"
    print(f"mile-dev redrive: {verb} from {result.source} to {result.target}")
    return 0
