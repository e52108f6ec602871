"""The subscriber wrapper: at-least-once consumption that neither loses nor spins.

faststream's ack policies alone lose failed messages (offsets are cumulative) or
re-read a poison message in a tight loop (DESIGN §9). Here each batch of records
is processed in partition order in one database transaction with an inbox claim;
transient errors (database or broker down) are retried with capped exponential
backoff while the partition waits; a batch that fails permanently is replayed
one event at a time so only the culprits go to ``<topic>.dlt``; the offset is
committed only after the database commit and the dead letters' acknowledgement.
"""

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.structs import ConsumerRecord, TopicPartition
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from opentelemetry import trace

from mile_platform import inbox, metrics
from mile_platform.deadletter import dead_letter_headers, dead_letter_target, describe
from mile_platform.errors import PermanentError, is_permanent, is_transient
from mile_platform.settings import PlatformSettings
from mile_platform.telemetry import context_from, tracer
from mile_schemas import Event, EventMeta, UnknownEventType, city_of_participants_topic, from_headers, parse_event

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class Delivery:
    """One decoded event with where it came from and its consumer span."""

    meta: EventMeta
    event: Event
    record: ConsumerRecord
    span: trace.Span = field(repr=False)

    @contextmanager
    def traced(self) -> Iterator[None]:
        """Make this event's span current, so events it causes continue its trace."""
        with trace.use_span(self.span, end_on_exit=False):
            yield


BatchHandler = Callable[[asyncpg.Connection, Sequence[Delivery]], Awaitable[None]]


@dataclass(frozen=True)
class Consumer:
    """What a service consumes: topics matching ``pattern``, applied by ``handler``."""

    pattern: str
    handler: BatchHandler
    handles: frozenset[str]  # CloudEvents types the handler applies; others are skipped


@dataclass
class _DeadLetter:
    record: ConsumerRecord
    error: BaseException


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

    def register(self, broker: KafkaBroker) -> None:
        subscriber = broker.subscriber(
            pattern=self.consumer.pattern,
            batch=True,
            group_id=f"{self._settings.consumer_group_prefix}{self.service}",
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.MANUAL,
            max_records=self._settings.consumer_max_records,
            session_timeout_ms=self._settings.consumer_session_timeout_ms,
            heartbeat_interval_ms=self._settings.consumer_heartbeat_interval_ms,
            decoder=_raw_bodies,
            title=f"{self.service}:events",
            description=f"Events applied by {self.service} (batches, inbox-deduplicated)",
        )
        subscriber(self.on_batch)

    async def on_batch(self, message: KafkaMessage) -> None:
        records: tuple[ConsumerRecord, ...] = message.raw_message  # type: ignore[assignment]
        with metrics.CONSUMER_BATCH_SECONDS.labels(self.service).time():
            await self.process(records)
            try:
                await message.ack()
            except Exception as exc:
                log.warning("offset commit failed (%r); the batch will be redelivered and deduplicated", exc)
        self._record_lag(message, records)

    async def process(self, records: Sequence[ConsumerRecord]) -> None:
        deliveries, dead = self._decode(records)
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
            delivery.span.end()

    def _decode(self, records: Sequence[ConsumerRecord]) -> tuple[list[Delivery], list[_DeadLetter]]:
        deliveries: list[Delivery] = []
        dead: list[_DeadLetter] = []
        for record in records:
            try:
                meta, traceparent = from_headers(record.headers or ())
                if meta.type not in self.consumer.handles:
                    metrics.EVENTS_CONSUMED.labels(self.service, record.topic, "skipped").inc()
                    continue
                event = parse_event(meta.type, record.value or b"")
                _require_own_city(record.topic, event)
            except UnknownEventType:
                metrics.EVENTS_CONSUMED.labels(self.service, record.topic, "skipped").inc()
                continue
            except Exception as exc:
                dead.append(_DeadLetter(record, exc))
                continue
            span = tracer().start_span(
                f"consume {meta.type}",
                context=context_from(traceparent),
                kind=trace.SpanKind.CONSUMER,
                attributes={
                    "messaging.system": "kafka",
                    "messaging.destination.name": record.topic,
                    "messaging.kafka.offset": record.offset,
                    "cloudevents.event_id": str(meta.id),
                },
            )
            deliveries.append(Delivery(meta=meta, event=event, record=record, span=span))
        return deliveries, dead

    async def _apply(self, deliveries: Sequence[Delivery]) -> None:
        async with self._pool().acquire() as conn, conn.transaction():
            fresh = await inbox.claim(conn, self.service, [d.meta.id for d in deliveries])
            todo: list[Delivery] = []
            for delivery in deliveries:
                if delivery.meta.id in fresh:
                    fresh.discard(delivery.meta.id)  # a second copy inside the batch is a duplicate too
                    todo.append(delivery)
            if todo:
                await self.consumer.handler(conn, todo)
        applied = {id(d) for d in todo}
        for delivery in deliveries:
            outcome = "processed" if id(delivery) in applied else "duplicate"
            metrics.EVENTS_CONSUMED.labels(self.service, delivery.record.topic, outcome).inc()

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

    def _record_lag(self, message: KafkaMessage, records: Sequence[ConsumerRecord]) -> None:
        last: dict[TopicPartition, int] = {}
        for record in records:
            last[TopicPartition(record.topic, record.partition)] = record.offset
        for tp, offset in last.items():
            highwater = message.consumer.highwater(tp)  # type: ignore[attr-defined]
            if highwater is not None:
                metrics.CONSUMER_LAG.labels(self.service, tp.topic, str(tp.partition)).set(highwater - offset - 1)


def _require_own_city(topic: str, event: Event) -> None:
    """A city's event must arrive on that city's topic: trust the topic, which ACLs confine, not the payload."""
    topic_city = city_of_participants_topic(topic)
    if topic_city is not None and getattr(event, "city", None) != topic_city:
        raise PermanentError(f"event of another city arrived on {topic}")


async def _raw_bodies(message: KafkaMessage) -> object:
    """Leave decoding to the wrapper: a malformed body must reach it, not fail before it."""
    return message.body
