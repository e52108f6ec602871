"""The subscriber wrapper: at-least-once consumption that neither loses nor spins.

faststream's ack policies alone lose failed messages (offsets are cumulative) or
re-read a poison message in a tight loop (DESIGN §9). Here each batch of records
is processed in partition order in one database transaction with an inbox claim;
transient errors (database or broker down) are retried with capped exponential
backoff while the partition waits; a batch that fails permanently is replayed
one event at a time so only the culprits go to ``<topic>.dlt``; the offset is
committed only after the database commit and the dead letters' acknowledgement, and a
batch that fails outright (a fault in this wrapper) is read again, never committed past.
A consumer may let the partitions of one topic be applied side by side (each
partition's records still in order, in their own transaction).
"""

import asyncio
import logging
import random
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import groupby
from operator import attrgetter
from typing import TypeVar

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import ConsumerRecord, TopicPartition
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.message import FAKE_CONSUMER, KafkaAckableMessage
from faststream.kafka.subscriber.usecase import BatchSubscriber
from opentelemetry import trace

from mile_platform import inbox, metrics
from mile_platform.deadletter import dead_letter_headers, dead_letter_target, describe
from mile_platform.errors import PermanentError, is_permanent, is_transient
from mile_platform.settings import PlatformSettings
from mile_platform.telemetry import context_from, recording, span_context_from, tracer
from mile_schemas import (
    Event,
    EventMeta,
    Readers,
    UnknownEventType,
    city_of_participants_topic,
    from_headers,
    parse_event,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
DECODE_SLICE = 200  # records decoded between chances for the batch in flight to go on
MAX_IN_FLIGHT = 4  # partitions' transactions open side by side, for a consumer that allows it
REREAD_AFTER_S = 1.0  # before records of a batch that failed are read again: a repeating fault must not spin


@dataclass
class Delivery:
    """One decoded event with where it came from and the trace context its producer sent."""

    meta: EventMeta
    event: Event
    record: ConsumerRecord
    traceparent: str | None = field(default=None, repr=False)
    _span: trace.Span | None = field(default=None, init=False, repr=False)

    @contextmanager
    def traced(self) -> Iterator[None]:
        """Make this event's consumer span current, so events it causes continue its producer's trace.

        The span is made on first use: one per event costs about as much as decoding the event, so
        handlers that cause nothing leave it out and the batch's span links the event instead.
        """
        if self._span is None:
            self._span = tracer().start_span(
                f"consume {self.meta.type}",
                context=context_from(self.traceparent),
                kind=trace.SpanKind.CONSUMER,
                attributes={
                    "messaging.system": "kafka",
                    "messaging.destination.name": self.record.topic,
                    "messaging.kafka.offset": self.record.offset,
                    "cloudevents.event_id": str(self.meta.id),
                },
            )
        with trace.use_span(self._span, end_on_exit=False):
            yield

    def end(self) -> None:
        if self._span is not None:
            self._span.end()


Partitions = frozenset[TopicPartition]
BatchHandler = Callable[[asyncpg.Connection, Sequence[Delivery]], Awaitable[None]]


@dataclass(frozen=True)
class Consumer:
    """What a service consumes: topics matching ``pattern``, applied by ``handler``."""

    pattern: str
    handler: BatchHandler
    handles: frozenset[str]  # CloudEvents types the handler applies; others are skipped
    concurrent_partitions: bool = False
    """Apply different partitions of one topic in transactions side by side. Sound only when events
    with different keys never touch the same rows, so no order between them matters; a partition's
    records, and different topics, are still applied one after another."""
    readers: Readers = field(default_factory=dict)
    """Event type -> a ``mile_schemas.reader`` of its model, for events read without parts the handler never uses."""
    idempotent: frozenset[str] = frozenset()
    """Event types the handler applies idempotently by itself (applying one again changes nothing, as a
    placement keyed by its match is only inserted when absent): they skip the inbox, whose row and index
    entry per event would cost as much as applying them. Their repeats are counted as processed."""


@dataclass
class _DeadLetter:
    record: ConsumerRecord
    error: BaseException

    def __post_init__(self) -> None:
        """Keep the error for its class and reason, not its tracebacks: they hold the frames that
        caught it, whose locals hold this letter and its batch, a cycle that only a collection of
        the garbage collector frees, and that runs seldom (``mile_platform.collector``)."""
        errors, seen = [self.error], set()
        while errors:
            error = errors.pop()
            if id(error) not in seen:
                seen.add(id(error))
                error.__traceback__ = None
                errors += [linked for linked in (error.__cause__, error.__context__) if linked is not None]


@dataclass(frozen=True, eq=False)
class _Flight:
    """Records being applied in one transaction, by ``task``, which commits their offsets after it."""

    partitions: Partitions
    records: Sequence[ConsumerRecord]
    task: asyncio.Task[None]


class _BusyClock:
    """Wall time with at least one batch in hand, counted once however many flights overlap: the
    consumer's utilisation (near 1 with lag growing: it needs more replicas), and on a backlog the
    time it took to drain, which a sum of overlapping batch durations would overstate."""

    def __init__(self, service: str) -> None:
        self._holders = 0
        self._since = 0.0
        self._total = 0.0
        metrics.CONSUMER_BUSY_SECONDS.track(service, self.seconds)

    def seconds(self) -> float:
        return self._total + (time.perf_counter() - self._since if self._holders else 0.0)

    def enter(self) -> None:
        if not self._holders:
            self._since = time.perf_counter()
        self._holders += 1

    def leave(self) -> None:
        self._holders -= 1
        if not self._holders:
            self._total += time.perf_counter() - self._since

    @contextmanager
    def holding(self) -> Iterator[None]:
        self.enter()
        try:
            yield
        finally:
            self.leave()


class _Abandoned(Exception):
    """An earlier flight this one had to follow failed: applying this one would commit past it."""


class ReliableSubscriber:
    def __init__(
        self,
        *,
        service: str,
        consumer: Consumer,
        pool: Callable[[], asyncpg.Pool],
        producer: Callable[[], AIOKafkaProducer],
        settings: PlatformSettings,
    ) -> None:
        self.service = service
        self.consumer = consumer
        self._pool = pool
        self._producer = producer
        self._settings = settings
        self._in_flight: list[_Flight] = []
        self._closing = False
        self._reread: asyncio.Task[None] | None = None
        self._source: BatchSubscriber | None = None
        self._busy = _BusyClock(service)

    def register(self, broker: KafkaBroker) -> None:
        subscriber = broker.subscriber(
            pattern=self.consumer.pattern,
            batch=True,
            group_id=f"{self._settings.consumer_group_prefix}{self.service}",
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.MANUAL,
            max_records=self._settings.consumer_max_records,
            fetch_max_wait_ms=self._settings.consumer_fetch_max_wait_ms,
            session_timeout_ms=self._settings.consumer_session_timeout_ms,
            heartbeat_interval_ms=self._settings.consumer_heartbeat_interval_ms,
            parser=self._parse,
            decoder=_raw_bodies,
            title=f"{self.service}:events",
            description=f"Events applied by {self.service} (batches, applied once each)",
        )
        subscriber(self.on_batch)
        self._source = subscriber  # type: ignore[assignment]

    async def _parse(self, records: tuple[ConsumerRecord, ...]) -> KafkaMessage:
        """The batch as faststream's message, its headers left as they came.

        faststream's own parser decodes every header of every record as UTF-8, so one record
        with a header that is not (or is null) failed the whole batch before ``on_batch`` saw it,
        and the next batch's commit went past it. Headers are the envelope's to read, record by record.
        """
        first, last = records[0], records[-1]
        consumer = (self._source.consumer if self._source is not None else None) or FAKE_CONSUMER  # as faststream's
        return KafkaAckableMessage(
            raw_message=records,
            body=[record.value for record in records],
            message_id=f"{first.offset}-{last.offset}-{first.timestamp}",
            consumer=consumer,
        )

    async def on_batch(self, message: KafkaMessage) -> None:
        """Decode this batch while earlier ones are being written, then apply it behind those it must follow.

        Each flight commits its own offsets after its own database commit, and a partition's flights
        apply one after another. Decoding overlaps the statements of the flights in PostgreSQL, and,
        for a consumer with ``concurrent_partitions``, so do other partitions' flights: on a backlog
        each side would otherwise be idle in turn.
        """
        records: tuple[ConsumerRecord, ...] = message.raw_message  # type: ignore[assignment]
        consumer: AIOKafkaConsumer = message.consumer  # type: ignore[assignment]
        if self._closing:
            return  # not committed: read again after the restart
        with self._busy.holding():
            started = time.perf_counter()
            started_ns = time.time_ns()
            deliveries, dead = await self._decode_yielding(records)
            failed = await self._make_room()
            if self._closing:
                return
            if failed:  # read those and this batch again rather than commit past them
                await asyncio.sleep(REREAD_AFTER_S)
                _rewind(consumer, [*failed, *records])
                return
            for partitions, part, part_deliveries, part_dead in self._flights_of(records, deliveries, dead):
                ahead = [flight.task for flight in self._in_flight if self._follows(partitions, flight.partitions)]
                task = asyncio.create_task(
                    self._finish(consumer, part, part_deliveries, part_dead, ahead, started, started_ns)
                )
                self._busy.enter()
                task.add_done_callback(lambda done: self._after_flight(consumer, done))
                self._in_flight.append(_Flight(partitions, part, task))
        await asyncio.sleep(0)  # let it send its first statement before the next batch is fetched

    def _flights_of(
        self, records: Sequence[ConsumerRecord], deliveries: list[Delivery], dead: list[_DeadLetter]
    ) -> list[tuple[Partitions, list[ConsumerRecord], list[Delivery], list[_DeadLetter]]]:
        """The batch as one flight, or one per partition for a consumer with ``concurrent_partitions``."""
        if not self.consumer.concurrent_partitions:
            partitions = frozenset(TopicPartition(*where) for where in set(map(_where, records)))
            return [(partitions, list(records), deliveries, dead)]
        parts: dict[tuple[str, int], tuple[list[ConsumerRecord], list[Delivery], list[_DeadLetter]]] = {}
        for where, run in groupby(records, key=_where):  # a fetch brings each partition's records together
            parts.setdefault(where, ([], [], []))[0].extend(run)
        for delivery in deliveries:
            parts[_where(delivery.record)][1].append(delivery)
        for letter in dead:
            parts[_where(letter.record)][2].append(letter)
        return [(frozenset((TopicPartition(*where),)), *part) for where, part in parts.items()]

    def _follows(self, partitions: Partitions, earlier: Partitions) -> bool:
        """Whether a flight must wait for an earlier one: always, unless both hold other partitions of one topic."""
        if not self.consumer.concurrent_partitions or partitions & earlier:
            return True
        return len({tp.topic for tp in partitions | earlier}) > 1

    async def _make_room(self) -> list[ConsumerRecord]:
        """Wait until another flight may start. If one has failed, wait for all of them (so none is
        still applying) and return the records of those that failed, to be read again."""
        limit = MAX_IN_FLIGHT if self.consumer.concurrent_partitions else 1
        while running := [flight.task for flight in self._in_flight if not flight.task.done()]:
            if len(running) < limit:
                break
            await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
        if any(_failed(flight.task) for flight in self._in_flight if flight.task.done()):
            return await self.settled()
        self._in_flight = [flight for flight in self._in_flight if not flight.task.done()]
        return []

    def _after_flight(self, consumer: AIOKafkaConsumer, task: asyncio.Task[None]) -> None:
        """Once a flight has failed, have its records fetched again soon, even if nothing new arrives."""
        self._busy.leave()
        if _failed(task) and not self._closing and (self._reread is None or self._reread.done()):
            self._reread = asyncio.create_task(self._fetch_failed_again(consumer))

    async def _fetch_failed_again(self, consumer: AIOKafkaConsumer) -> None:
        """Seek back to the failed flights' records, so a partition that has gone quiet is read again.

        The flights stay in ``_in_flight``: the next batch to arrive, whether these records or one
        fetched before the seek, finds them failed in ``_make_room`` and is read again after them.
        """
        await asyncio.sleep(REREAD_AFTER_S)
        failed = [
            record
            for flight in self._in_flight
            if flight.task.done() and _failed(flight.task)
            for record in flight.records
        ]
        if failed:  # a stop cancels this task while it sleeps, so it never seeks once closing
            _rewind(consumer, failed)

    async def drain(self) -> None:
        """Start no new batch and finish the flights while their consumer can still commit the offsets,
        so a stop (a rolling update) leaves nothing to read twice; call before the broker stops."""
        self._closing = True
        if self._reread is not None:
            self._reread.cancel()
        await self.settled()

    async def settled(self) -> list[ConsumerRecord]:
        """Wait until every flight is applied and its offsets committed; returns the records of those
        that failed (logged, offsets left uncommitted)."""
        flights = self._in_flight
        if flights:
            # Not ``await``: cancelling a batch being received when the broker stops must not cancel these.
            await asyncio.wait([flight.task for flight in flights])
        mine = [flight for flight in flights if flight in self._in_flight]  # the other caller may have taken them
        self._in_flight = [flight for flight in self._in_flight if flight not in mine]
        failed: list[ConsumerRecord] = []
        for flight in mine:
            if not _failed(flight.task):
                continue
            error = None if flight.task.cancelled() else flight.task.exception()
            if isinstance(error, _Abandoned):
                log.warning("a batch waited for one that failed; it will be read again")
            else:
                log.error("a batch failed unexpectedly; it will be read again", exc_info=error)
            failed += flight.records
        return failed

    async def _finish(
        self,
        consumer: AIOKafkaConsumer,
        records: Sequence[ConsumerRecord],
        deliveries: list[Delivery],
        dead: list[_DeadLetter],
        ahead: Sequence[asyncio.Task[None]],
        started: float,
        started_ns: int,
    ) -> None:
        if ahead:
            await asyncio.wait(ahead)
            if any(map(_failed, ahead)):
                raise _Abandoned
        await self._settle(deliveries, dead, len(records), started_ns)
        # This flight's own offsets: the consumer's position may already be past the next batch,
        # fetched while this one was applied, and that one is not yet in the database.
        offsets = _next_offsets(records)
        try:
            await consumer.commit(offsets)
        except Exception as exc:
            log.warning("offset commit failed (%r); the batch will be redelivered and deduplicated", exc)
        metrics.CONSUMER_BATCH_SECONDS.labels(self.service).observe(time.perf_counter() - started)
        metrics.CONSUMER_LAST_BATCH.labels(self.service).set_to_current_time()
        self._record_lag(consumer, offsets)

    async def process(self, records: Sequence[ConsumerRecord]) -> None:
        """Apply one batch (no offsets committed): dead-letter what cannot be decoded or applied."""
        started_ns = time.time_ns()
        deliveries, dead = self._decode(records)
        await self._settle(deliveries, dead, len(records), started_ns)

    async def _settle(self, deliveries: list[Delivery], dead: list[_DeadLetter], records: int, started: int) -> None:
        with trace.use_span(self._batch_span(deliveries, records, started), end_on_exit=True):
            try:
                if deliveries:
                    await self._retrying(lambda: self._apply(deliveries))
            except Exception:
                for delivery in deliveries:
                    try:
                        await self._retrying(lambda d=delivery: self._apply([d]))
                    except Exception as exc:
                        dead.append(_DeadLetter(delivery.record, exc))
            if dead:
                await self._retrying(lambda: self._send_dead(dead), forever=True)
            for delivery in deliveries:
                delivery.end()

    def _batch_span(self, deliveries: Sequence[Delivery], records: int, started: int) -> trace.Span:
        """One span per batch, linked to each event's producer span (``setup_telemetry`` lifts the
        SDK's limit of 128 links per span unless ``OTEL_SPAN_LINK_COUNT_LIMIT`` sets one); no links
        are read when no span is recorded."""
        links = []
        for delivery in deliveries if recording() else ():
            if (producer := span_context_from(delivery.traceparent)) is not None:
                links.append(trace.Link(producer))
        return tracer().start_span(
            f"process {self.service} batch",
            kind=trace.SpanKind.CONSUMER,
            links=links,
            start_time=started,
            attributes={"messaging.system": "kafka", "messaging.batch.message_count": records},
        )

    async def _decode_yielding(self, records: Sequence[ConsumerRecord]) -> tuple[list[Delivery], list[_DeadLetter]]:
        """Decode in slices, yielding between them so the batch in flight can send its next statement."""
        deliveries: list[Delivery] = []
        dead: list[_DeadLetter] = []
        for start in range(0, len(records), DECODE_SLICE):
            if start:
                await asyncio.sleep(0)
            decoded, undecodable = self._decode(records[start : start + DECODE_SLICE])
            deliveries += decoded
            dead += undecodable
        return deliveries, dead

    def _decode(self, records: Sequence[ConsumerRecord]) -> tuple[list[Delivery], list[_DeadLetter]]:
        deliveries: list[Delivery] = []
        dead: list[_DeadLetter] = []
        skipped: Counter[str] = Counter()
        for record in records:
            try:
                meta, traceparent = from_headers(record.headers or ())
                if meta.type not in self.consumer.handles:
                    skipped[record.topic] += 1
                    continue
                event = parse_event(meta.type, record.value or b"", self.consumer.readers)
                _require_own_city(record.topic, event)
            except UnknownEventType:
                skipped[record.topic] += 1
                continue
            except Exception as exc:
                dead.append(_DeadLetter(record, exc))
                continue
            deliveries.append(Delivery(meta=meta, event=event, record=record, traceparent=traceparent))
        self._count(skipped, "skipped")
        return deliveries, dead

    async def _apply(self, deliveries: Sequence[Delivery]) -> None:
        """Apply the batch in one transaction; one that was claimed before (a redelivery), in another,
        claiming each event on its own so that only those never applied are."""
        try:
            todo = await self._apply_claimed(deliveries, each=False)
        except inbox.ClaimedBefore:
            todo = await self._apply_claimed(deliveries, each=True)
        self._count(Counter(d.record.topic for d in todo), "processed")
        if len(todo) < len(deliveries):
            applied = {id(d) for d in todo}
            self._count(Counter(d.record.topic for d in deliveries if id(d) not in applied), "duplicate")

    async def _apply_claimed(self, deliveries: Sequence[Delivery], *, each: bool) -> Sequence[Delivery]:
        async with self._pool().acquire() as conn, conn.transaction():
            todo = await self._claim(conn, deliveries, each=each)
            if todo:
                await self.consumer.handler(conn, todo)
        return todo

    async def _claim(
        self, conn: asyncpg.Connection, deliveries: Sequence[Delivery], *, each: bool
    ) -> Sequence[Delivery]:
        """What to apply: the first copy of each event the inbox had not seen, and every event of an
        idempotent type. Unless ``each``, all are claimed as new, and ``inbox.ClaimedBefore`` says otherwise."""
        exempt = self.consumer.idempotent
        claimed = [d for d in deliveries if d.meta.type not in exempt] if exempt else deliveries
        if not claimed:
            return deliveries
        ids = [d.meta.id for d in claimed]
        if not each:
            await inbox.claim_new(conn, self.service, ids)
            return deliveries
        fresh = await inbox.claim(conn, self.service, ids)
        return deliveries if fresh is None else _first_copies(deliveries, fresh, exempt)

    def _count(self, per_topic: Counter[str], outcome: str) -> None:
        """Count a batch's events per topic at once: a labelled child per event costs more than its event."""
        for topic, n in per_topic.items():
            metrics.EVENTS_CONSUMED.labels(self.service, topic, outcome).inc(n)

    async def _send_dead(self, dead: Sequence[_DeadLetter]) -> None:
        sends = []
        for letter in dead:
            reason = describe(letter.error)
            log.error(
                "dead-lettering %s[%d]@%d: %s: %s",
                letter.record.topic,
                letter.record.partition,
                letter.record.offset,
                type(letter.error).__name__,
                reason,
            )
            metrics.DEAD_LETTERS.labels(self.service, letter.record.topic, type(letter.error).__name__).inc()
            sends.append(
                await self._producer().send(
                    dead_letter_target(letter.record),
                    value=letter.record.value,
                    key=letter.record.key,
                    headers=dead_letter_headers(letter.record, letter.error, self.service),
                )
            )
        await asyncio.gather(*sends)

    async def _retrying(self, operation: Callable[[], Awaitable[T]], *, forever: bool = False) -> T:
        """Run ``operation``; retry transient failures with capped, jittered backoff.

        Permanent errors are raised at once; errors of unknown kind get a few
        attempts and are then raised as permanent (unless ``forever``).
        """
        attempt = 0
        while True:
            try:
                return await operation()
            except Exception as exc:
                if is_permanent(exc) and not forever:
                    raise
                attempt += 1
                if not forever and not is_transient(exc) and attempt >= self._settings.unknown_error_attempts:
                    raise
                delay = min(self._settings.retry_max_backoff_s, 0.2 * 2 ** min(attempt, 10))
                delay *= random.uniform(0.5, 1.0)
                log.warning("transient failure (%s), attempt %d; retrying in %.2fs", describe(exc), attempt, delay)
                metrics.CONSUMER_RETRIES.labels(self.service, type(exc).__name__).inc()
                await asyncio.sleep(delay)

    def _record_lag(self, consumer: AIOKafkaConsumer, offsets: dict[TopicPartition, int]) -> None:
        """Of the partitions still assigned: one a rebalance has moved meanwhile is its new owner's to report."""
        assigned = consumer.assignment()
        for tp, next_offset in offsets.items():
            if tp in assigned and (highwater := consumer.highwater(tp)) is not None:
                metrics.CONSUMER_LAG.labels(self.service, tp.topic, str(tp.partition)).set(highwater - next_offset)


def _rewind(consumer: AIOKafkaConsumer, records: Sequence[ConsumerRecord]) -> None:
    """Move each partition back to the first of these records, so they are fetched again. A partition
    not assigned now (revoked, or all of them while a rebalance runs) is read from the committed
    offset by whoever it is assigned to next."""
    first: dict[tuple[str, int], int] = {}
    for record in records:
        where = _where(record)
        first[where] = min(first.get(where, record.offset), record.offset)
    assigned = consumer.assignment()
    for where, offset in first.items():
        if (tp := TopicPartition(*where)) in assigned:
            consumer.seek(tp, offset)


def _first_copies(deliveries: Sequence[Delivery], fresh: set[uuid.UUID], exempt: frozenset[str]) -> list[Delivery]:
    """The deliveries of the ids claimed just now, each id's first copy only (a second copy inside
    the batch is a duplicate too), and those of the ``exempt`` types, never claimed. Empties ``fresh``."""
    todo: list[Delivery] = []
    for delivery in deliveries:
        if delivery.meta.type in exempt:
            todo.append(delivery)
        elif delivery.meta.id in fresh:
            fresh.discard(delivery.meta.id)
            todo.append(delivery)
    return todo


_where: Callable[[ConsumerRecord], tuple[str, int]] = attrgetter("topic", "partition")
"""A record's (topic, partition): a plain tuple, made in C, where a ``TopicPartition`` per record would cost more."""


def _failed(task: asyncio.Task[None]) -> bool:
    return task.cancelled() or task.exception() is not None


def _next_offsets(records: Sequence[ConsumerRecord]) -> dict[TopicPartition, int]:
    """Per partition, the offset after the batch's last record: what to commit once it is applied."""
    last = {(record.topic, record.partition): record.offset for record in records}
    return {TopicPartition(topic, partition): offset + 1 for (topic, partition), offset in last.items()}


def _require_own_city(topic: str, event: Event) -> None:
    """A city's event must arrive on that city's topic: trust the topic, which ACLs confine, not the payload."""
    topic_city = city_of_participants_topic(topic)
    if topic_city is not None and getattr(event, "city", None) != topic_city:
        raise PermanentError(f"event of another city arrived on {topic}")


async def _raw_bodies(message: KafkaMessage) -> object:
    """Leave decoding to the wrapper: a malformed body must reach it, not fail before it."""
    return message.body
