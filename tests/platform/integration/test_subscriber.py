"""The subscriber wrapper: nothing lost, nothing applied twice, bad events dead-lettered."""

import asyncio
import gc
import re
import time
import uuid
import weakref
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import TopicPartition
from prometheus_client import REGISTRY

from mile_devstack.topics import create_topics, platform_topics, read_topic
from mile_platform.broker import make_producer
from mile_platform.errors import DomainError
from mile_platform.runtime import Runtime
from mile_platform.settings import KafkaSettings, PlatformSettings, ServiceSettings
from mile_platform.subscriber import BatchHandler, Consumer, Delivery, ReliableSubscriber
from mile_schemas import (
    MatchDecided,
    MatchDecision,
    ParticipantErased,
    dead_letter_topic,
    encode_event,
    participants_topic,
    to_headers,
)

pytestmark = pytest.mark.integration
ERASED = "eu.mile.intake.participant_erased.v1"


def _erased(city: str) -> ParticipantErased:
    return ParticipantErased(participant_id=uuid.uuid4(), city=city, erased_at=datetime.now(UTC))


Headers = list[tuple[str, bytes | None]]


async def _publish(
    bootstrap: str, topic: str, messages: Sequence[tuple[bytes, Headers]], partition: int | None = None
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for value, headers in messages:
            await producer.send_and_wait(topic, value=value, key=b"k", headers=headers, partition=partition)
    finally:
        await producer.stop()


def _good(event: ParticipantErased) -> tuple[bytes, Headers]:
    return encode_event(event), to_headers(event.meta())


def _service(
    url: str,
    bootstrap: str,
    idempotence: bool,
    group: str,
    topic: str,
    handler: Callable[[asyncpg.Connection, Sequence[Delivery]], Awaitable[None]],
    retry_max_backoff_s: float = 30.0,
    concurrent_partitions: bool = False,
    also: Sequence[str] = (),
) -> Runtime:
    """A service of its own consumer group that applies the erasures on ``topic`` (and ``also``) with ``handler``."""
    return Runtime(
        service=group,
        settings=ServiceSettings(
            database_url=url,
            kafka=KafkaSettings(bootstrap_servers=bootstrap),
            platform=PlatformSettings(kafka_idempotence=idempotence, retry_max_backoff_s=retry_max_backoff_s),
        ),
        migration_packages=["mile_platform"],
        consumer=Consumer(
            pattern="|".join(rf"^{re.escape(name)}$" for name in (topic, *also)),
            handler=handler,
            handles=frozenset({ERASED}),
            concurrent_partitions=concurrent_partitions,
        ),
    )


class Applied:
    """A handler that records what it applied, failing on demand."""

    def __init__(self, *, transient_failures: int = 0, poison: frozenset[uuid.UUID] = frozenset()) -> None:
        self.transient_failures = transient_failures
        self.poison = poison
        self.calls = 0

    async def __call__(self, conn: asyncpg.Connection, deliveries: Sequence[Delivery]) -> None:
        self.calls += 1
        if self.transient_failures:
            self.transient_failures -= 1
            raise ConnectionRefusedError("database restarting")
        for delivery in deliveries:
            event = delivery.event
            assert isinstance(event, ParticipantErased)
            if event.participant_id in self.poison:
                raise DomainError("participant cannot be erased twice")
            await conn.execute("INSERT INTO applied (participant_id) VALUES ($1)", event.participant_id)


async def _subscriber(
    pool: asyncpg.Pool,
    bootstrap: str,
    handler: BatchHandler,
    handles: frozenset[str] = frozenset({ERASED}),
    idempotent: frozenset[str] = frozenset(),
) -> tuple[ReliableSubscriber, AIOKafkaProducer]:
    await pool.execute("CREATE TABLE IF NOT EXISTS applied (participant_id uuid PRIMARY KEY)")
    producer = make_producer(KafkaSettings(bootstrap_servers=bootstrap), service="test", idempotence=False)
    await producer.start()
    subscriber = ReliableSubscriber(
        service="test",
        consumer=Consumer(pattern=".*", handler=handler, handles=handles, idempotent=idempotent),
        pool=lambda: pool,
        producer=lambda: producer,
        settings=PlatformSettings(retry_max_backoff_s=0.2),
    )
    return subscriber, producer


async def test_duplicates_apply_once_and_undecodable_records_are_dead_lettered(
    platform_db: tuple[str, asyncpg.Pool], city: str, kafka_bootstrap: str
) -> None:
    _, pool = platform_db
    topic = participants_topic(city)
    events = [_erased(city) for _ in range(5)]
    good = [_good(e) for e in events]
    await _publish(
        kafka_bootstrap,
        topic,
        [
            *good,
            good[0],
            good[0],
            (b"{not json", to_headers(_erased(city).meta())),
            (b"{}", [("ce_type", ERASED.encode())]),
        ],
    )
    records = await read_topic(kafka_bootstrap, topic, expect=9)
    subscriber, producer = await _subscriber(pool, kafka_bootstrap, Applied())
    try:
        await subscriber.process(records)
        await subscriber.process(records)  # a whole redelivery changes nothing
    finally:
        await producer.stop()

    applied = await _applied(pool)
    assert applied == {e.participant_id for e in events}
    dead = await read_topic(kafka_bootstrap, dead_letter_topic(topic), expect=4)
    assert len(dead) == 4  # two bad records, dead-lettered on each of the two deliveries
    reasons = {dict(d.headers)["mile_dlt_error_class"] for d in dead}
    assert reasons == {b"EnvelopeError", b"ValidationError"}
    assert all(dict(d.headers)["mile_dlt_topic"] == topic.encode() for d in dead)


async def test_a_batch_partly_applied_before_applies_only_its_new_events(
    platform_db: tuple[str, asyncpg.Pool], city: str, kafka_bootstrap: str
) -> None:
    """A rewind after a crash redelivers what was applied with what was not: the new events apply,
    each once, and the others are counted as duplicates, not applied again."""
    _, pool = platform_db
    topic = participants_topic(city)
    events = [_erased(city) for _ in range(5)]
    await _publish(kafka_bootstrap, topic, [_good(e) for e in events])
    records = await read_topic(kafka_bootstrap, topic, expect=5)
    seen: list[uuid.UUID] = []
    applied = Applied()

    async def handler(conn: asyncpg.Connection, deliveries: Sequence[Delivery]) -> None:
        seen.extend(d.event.participant_id for d in deliveries if isinstance(d.event, ParticipantErased))
        await applied(conn, deliveries)

    subscriber, producer = await _subscriber(pool, kafka_bootstrap, handler)
    duplicates = REGISTRY.get_sample_value(
        "mile_events_consumed_total", {"service": "test", "topic": topic, "outcome": "duplicate"}
    )
    try:
        await subscriber.process(records[:2])
        await subscriber.process(records)
    finally:
        await producer.stop()

    assert seen == [e.participant_id for e in events]
    assert await _applied(pool) == {e.participant_id for e in events}
    assert (
        REGISTRY.get_sample_value(
            "mile_events_consumed_total", {"service": "test", "topic": topic, "outcome": "duplicate"}
        )
        or 0
    ) - (duplicates or 0) == 2


async def test_events_of_an_idempotent_type_skip_the_inbox_while_others_still_apply_once(
    platform_db: tuple[str, asyncpg.Pool], city: str, kafka_bootstrap: str
) -> None:
    """A consumer whose handler applies some type idempotently by itself is handed every copy of
    those events, in order among the others, and claims only the others in its inbox."""
    _, pool = platform_db
    topic = participants_topic(city)
    erasures = [_erased(city) for _ in range(3)]
    decisions = [
        MatchDecided(
            match_id=uuid.uuid4(),
            vacancy_id=uuid.uuid4(),
            participant_id=uuid.uuid4(),
            city=city,
            decision=MatchDecision.ACCEPTED,
            decided_at=datetime.now(UTC),
        )
        for _ in range(3)
    ]
    metas = [event.meta() for event in [*erasures, *decisions]]
    good = [(encode_event(event), to_headers(meta)) for event, meta in zip([*erasures, *decisions], metas, strict=True)]
    await _publish(kafka_bootstrap, topic, [*good, good[0], good[3]])
    records = await read_topic(kafka_bootstrap, topic, expect=8)
    handed: list[uuid.UUID] = []

    async def handler(conn: asyncpg.Connection, deliveries: Sequence[Delivery]) -> None:
        handed.extend(d.meta.id for d in deliveries)

    decided = frozenset({MatchDecided.event_type})
    subscriber, producer = await _subscriber(
        pool, kafka_bootstrap, handler, handles=decided | {ERASED}, idempotent=decided
    )
    try:
        await subscriber.process(records)
        first = list(handed)
        await subscriber.process(records)  # a whole redelivery
    finally:
        await producer.stop()

    e, d = [meta.id for meta in metas[:3]], [meta.id for meta in metas[3:]]
    assert first == [*e, *d, d[0]]
    assert handed[len(first) :] == [*d, d[0]]
    claimed = await pool.fetch(
        "SELECT event_id FROM mile_inbox WHERE consumer = 'test' AND event_id = ANY($1::uuid[])", [*e, *d]
    )
    assert {row["event_id"] for row in claimed} == set(e)


async def test_transient_failures_are_retried_until_applied(
    platform_db: tuple[str, asyncpg.Pool], city: str, kafka_bootstrap: str
) -> None:
    _, pool = platform_db
    topic = participants_topic(city)
    events = [_erased(city) for _ in range(3)]
    await _publish(kafka_bootstrap, topic, [_good(e) for e in events])
    records = await read_topic(kafka_bootstrap, topic, expect=3)
    handler = Applied(transient_failures=3)
    subscriber, producer = await _subscriber(pool, kafka_bootstrap, handler)
    try:
        await subscriber.process(records)
    finally:
        await producer.stop()
    assert handler.calls == 4
    assert await pool.fetchval("SELECT count(*) FROM applied") == 3
    assert await read_topic(kafka_bootstrap, dead_letter_topic(topic), expect=1, timeout=2) == []


async def test_a_rule_violation_dead_letters_only_its_own_event(
    platform_db: tuple[str, asyncpg.Pool], city: str, kafka_bootstrap: str
) -> None:
    _, pool = platform_db
    topic = participants_topic(city)
    events = [_erased(city) for _ in range(6)]
    await _publish(kafka_bootstrap, topic, [_good(e) for e in events])
    records = await read_topic(kafka_bootstrap, topic, expect=6)
    subscriber, producer = await _subscriber(
        pool, kafka_bootstrap, Applied(poison=frozenset({events[2].participant_id}))
    )
    try:
        await subscriber.process(records)
    finally:
        await producer.stop()
    applied = await _applied(pool)
    assert applied == {e.participant_id for i, e in enumerate(events) if i != 2}
    dead = await read_topic(kafka_bootstrap, dead_letter_topic(topic), expect=1)
    assert [dict(d.headers)["mile_dlt_error_class"] for d in dead] == [b"DomainError"]
    assert dead[0].value == encode_event(events[2])


async def test_a_batch_with_dead_letters_is_freed_once_processed_not_left_to_the_collector(
    platform_db: tuple[str, asyncpg.Pool], city: str, kafka_bootstrap: str
) -> None:
    """The collector runs seldom (``mile_platform.collector``): a cycle through a dead letter's
    traceback would keep its whole batch in memory until it did."""
    _, pool = platform_db
    topic = participants_topic(city)
    events = [_erased(city) for _ in range(3)]
    await _publish(kafka_bootstrap, topic, [*map(_good, events), (b"{not json", to_headers(_erased(city).meta()))])
    records = await read_topic(kafka_bootstrap, topic, expect=4)
    subscriber, producer = await _subscriber(
        pool, kafka_bootstrap, Applied(poison=frozenset({events[1].participant_id}))
    )
    gc.disable()
    try:
        await subscriber.process(records)  # one undecodable, one failing when applied: both dead-lettered
        kept = [weakref.ref(record) for record in records]
        del records
        assert [ref for ref in kept if ref() is not None] == []
    finally:
        gc.enable()
        await producer.stop()
    assert len(await read_topic(kafka_bootstrap, dead_letter_topic(topic), expect=2)) == 2


async def test_offsets_are_committed_only_after_the_database_commit(
    platform_db: tuple[str, asyncpg.Pool], city: str, kafka_bootstrap: str, kafka_idempotence: bool
) -> None:
    url, pool = platform_db
    topic = participants_topic(city)
    events = [_erased(city) for _ in range(4)]
    await _publish(kafka_bootstrap, topic, [_good(e) for e in events])
    await pool.execute("CREATE TABLE applied (participant_id uuid PRIMARY KEY)")
    handler = Applied(transient_failures=10**6)  # the database "stays down" until we say so
    group = f"svc{uuid.uuid4().hex[:8]}"
    runtime = _service(url, kafka_bootstrap, kafka_idempotence, group, topic, handler, retry_max_backoff_s=0.2)
    await runtime.start()
    try:
        async with asyncio.timeout(30):
            while handler.calls < 3:
                await asyncio.sleep(0.1)
        assert await _committed(kafka_bootstrap, group, topic) == 0
        handler.transient_failures = 0
        async with asyncio.timeout(30):
            while await pool.fetchval("SELECT count(*) FROM applied") < 4:
                await asyncio.sleep(0.1)
            while await _committed(kafka_bootstrap, group, topic) < 4:
                await asyncio.sleep(0.2)
    finally:
        await runtime.stop()
    assert await _committed(kafka_bootstrap, group, topic) == 4


async def _applied(pool: asyncpg.Pool) -> set[uuid.UUID]:
    return {r["participant_id"] for r in await pool.fetch("SELECT participant_id FROM applied")}


async def _committed(bootstrap: str, group: str, topic: str) -> int:
    """Sum of the group's committed offsets (the consumer API: tansu's admin call fails)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic) or set()
        total = 0
        for p in partitions:
            total += await consumer.committed(TopicPartition(topic, p)) or 0
        return total
    finally:
        await consumer.stop()


async def test_a_batch_whose_partition_a_rebalance_moved_away_meanwhile_counts_as_applied(
    platform_db: tuple[str, asyncpg.Pool], city: str, kafka_bootstrap: str
) -> None:
    """A replica joining or leaving moves partitions while batches are applied (seen on Apache Kafka):
    the batch is in the database, its offset is the new owner's to commit, and it must not be taken
    for a failed one (logged as an error, waited on and read again). The consumer here holds another
    partition than the batch's, as it does once the rebalance is through."""
    _, pool = platform_db
    topic = participants_topic(city)
    events = [_erased(city) for _ in range(2)]
    await _publish(kafka_bootstrap, topic, [_good(e) for e in events], partition=0)
    records = await read_topic(kafka_bootstrap, topic, expect=2)
    subscriber, producer = await _subscriber(pool, kafka_bootstrap, Applied())
    group = f"svc{uuid.uuid4().hex[:8]}"
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, group_id=group, enable_auto_commit=False)
    consumer.assign([TopicPartition(topic, 1)])
    await consumer.start()
    try:
        deliveries, dead = subscriber._decode(records)
        await subscriber._finish(consumer, records, deliveries, dead, (), time.perf_counter(), time.time_ns())
    finally:
        await consumer.stop()
        await producer.stop()
    assert await _applied(pool) == {e.participant_id for e in events}
    assert await _committed(kafka_bootstrap, group, topic) == 0  # left to the partition's new owner


async def test_an_event_naming_another_city_is_dead_lettered(
    platform_db: tuple[str, asyncpg.Pool], city: str, kafka_bootstrap: str
) -> None:
    """A city's topic is what ACLs confine it to: its events may not speak for another city."""
    _, pool = platform_db
    topic = participants_topic(city)
    impostor = _erased("otherplace")
    await _publish(kafka_bootstrap, topic, [_good(impostor)])
    records = await read_topic(kafka_bootstrap, topic, expect=1)
    subscriber, producer = await _subscriber(pool, kafka_bootstrap, Applied())
    try:
        await subscriber.process(records)
    finally:
        await producer.stop()
    assert await pool.fetchval("SELECT count(*) FROM applied") == 0
    dead = await read_topic(kafka_bootstrap, dead_letter_topic(topic), expect=1)
    assert [dict(d.headers)["mile_dlt_error_class"] for d in dead] == [b"PermanentError"]


class Gated:
    """A handler that holds each event's batch until the test opens that event's gate."""

    def __init__(self) -> None:
        self.gates: dict[uuid.UUID, asyncio.Event] = {}
        self.all_open = False
        self.order: list[uuid.UUID] = []  # as applied

    def gate(self, participant_id: uuid.UUID) -> asyncio.Event:
        gate = self.gates.setdefault(participant_id, asyncio.Event())
        if self.all_open:
            gate.set()
        return gate

    def open_all(self) -> None:
        self.all_open = True
        for gate in self.gates.values():
            gate.set()

    async def __call__(self, conn: asyncpg.Connection, deliveries: Sequence[Delivery]) -> None:
        for delivery in deliveries:
            event = delivery.event
            assert isinstance(event, ParticipantErased)
            await self.gate(event.participant_id).wait()
            await conn.execute("INSERT INTO applied (participant_id) VALUES ($1)", event.participant_id)
            self.order.append(event.participant_id)


async def _holding(
    platform_db: tuple[str, asyncpg.Pool],
    bootstrap: str,
    idempotence: bool,
    topic: str,
    event: ParticipantErased,
    *,
    concurrent_partitions: bool = False,
    also: Sequence[str] = (),
) -> tuple[Runtime, Gated, str]:
    """A started service of a new group, its gated handler and group, holding ``event``'s batch
    (on partition 0) in flight."""
    url, pool = platform_db
    await pool.execute("CREATE TABLE applied (participant_id uuid PRIMARY KEY)")
    handler = Gated()
    group = f"svc{uuid.uuid4().hex[:8]}"
    runtime = _service(
        url, bootstrap, idempotence, group, topic, handler, concurrent_partitions=concurrent_partitions, also=also
    )
    await _publish(bootstrap, topic, [_good(event)], partition=0)
    await runtime.start()
    async with asyncio.timeout(30):
        while event.participant_id not in handler.gates:
            await asyncio.sleep(0.05)
    return runtime, handler, group


async def test_a_batch_fetched_while_another_is_applied_is_committed_only_after_its_own_commit(
    platform_db: tuple[str, asyncpg.Pool], city: str, kafka_bootstrap: str, kafka_idempotence: bool
) -> None:
    """The next batch is decoded while one is in flight; the first's offset commit must not cover it."""
    _, pool = platform_db
    topic = participants_topic(city)
    first, second = _erased(city), _erased(city)
    runtime, handler, group = await _holding(platform_db, kafka_bootstrap, kafka_idempotence, topic, first)
    try:
        async with asyncio.timeout(30):
            await _publish(kafka_bootstrap, topic, [_good(second)])
            await asyncio.sleep(2)  # the consumer fetches the second record while the first batch waits
            handler.gate(first.participant_id).set()
            while second.participant_id not in handler.gates:
                await asyncio.sleep(0.05)
            assert await _committed(kafka_bootstrap, group, topic) == 1  # the first batch's offset only
            handler.gate(second.participant_id).set()
            while await _committed(kafka_bootstrap, group, topic) < 2:
                await asyncio.sleep(0.2)
    finally:
        handler.open_all()
        await runtime.stop()
    assert await pool.fetchval("SELECT count(*) FROM applied") == 2


def _failing_once(monkeypatch: pytest.MonkeyPatch) -> list[Exception]:
    """Make the next batch fail outside the handler's retries (a bug in the wrapper itself); returns
    the fault, removed from the list once raised."""
    settle = ReliableSubscriber._settle
    faults: list[Exception] = [RuntimeError("a bug in the wrapper")]

    async def failing_once(self: ReliableSubscriber, *args: object) -> None:
        if faults:
            raise faults.pop()
        await settle(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(ReliableSubscriber, "_settle", failing_once)
    return faults


@pytest.mark.parametrize("behind", [4, 0], ids=["more-arrive", "nothing-arrives"])
@pytest.mark.parametrize("concurrent_partitions", [False, True])
async def test_a_batch_that_fails_unexpectedly_is_read_again_not_committed_past(
    platform_db: tuple[str, asyncpg.Pool],
    city: str,
    kafka_bootstrap: str,
    kafka_idempotence: bool,
    monkeypatch: pytest.MonkeyPatch,
    concurrent_partitions: bool,
    behind: int,
) -> None:
    """A fault outside the handler's retries leaves no gap behind it, also where partitions apply side
    by side; and the last event before a quiet spell (a city's last registration of the evening) is
    read again without waiting for another to arrive behind it."""
    url, pool = platform_db
    topic = participants_topic(city)
    events = [_erased(city) for _ in range(1 + behind)]
    await pool.execute("CREATE TABLE applied (participant_id uuid PRIMARY KEY)")
    faults = _failing_once(monkeypatch)
    group = f"svc{uuid.uuid4().hex[:8]}"
    runtime = _service(
        url, kafka_bootstrap, kafka_idempotence, group, topic, Applied(), concurrent_partitions=concurrent_partitions
    )
    await _publish(kafka_bootstrap, topic, [_good(events[0])], partition=0)
    await runtime.start()
    try:
        async with asyncio.timeout(30):
            while faults:  # the first batch failed
                await asyncio.sleep(0.05)
            for i, event in enumerate(events[1:]):
                await _publish(kafka_bootstrap, topic, [_good(event)], partition=i % 2)
            while await _committed(kafka_bootstrap, group, topic) < len(events):
                await asyncio.sleep(0.2)
    finally:
        await runtime.stop()
    assert await _applied(pool) == {e.participant_id for e in events}


async def test_a_batch_queued_behind_one_that_fails_is_not_applied_before_it(
    platform_db: tuple[str, asyncpg.Pool],
    city: str,
    kafka_bootstrap: str,
    kafka_idempotence: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where partitions apply side by side, a partition's next batch waits for the one before it; if
    that one fails, the next is read again after it rather than applied (and committed) past it."""
    url, pool = platform_db
    topic = participants_topic(city)
    first, queued, beside = (_erased(city) for _ in range(3))
    settle = ReliableSubscriber._settle
    failing, release = asyncio.Event(), asyncio.Event()

    async def failing_once(self: ReliableSubscriber, *args: object) -> None:
        if not failing.is_set():
            failing.set()
            await release.wait()
            raise RuntimeError("a bug in the wrapper")
        await settle(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(ReliableSubscriber, "_settle", failing_once)
    await pool.execute("CREATE TABLE applied (participant_id uuid PRIMARY KEY)")
    handler = Gated()
    handler.open_all()
    group = f"svc{uuid.uuid4().hex[:8]}"
    runtime = _service(url, kafka_bootstrap, kafka_idempotence, group, topic, handler, concurrent_partitions=True)
    await _publish(kafka_bootstrap, topic, [_good(first)], partition=0)
    await runtime.start()
    try:
        async with asyncio.timeout(30):
            await failing.wait()
            await _publish(kafka_bootstrap, topic, [_good(queued)], partition=0)
            await _publish(kafka_bootstrap, topic, [_good(beside)], partition=1)
            while beside.participant_id not in handler.order:  # so the queued batch is waiting too
                await asyncio.sleep(0.05)
            release.set()
            while await _committed(kafka_bootstrap, group, topic) < 3:  # nothing new arrives to prompt a re-read
                await asyncio.sleep(0.2)
    finally:
        release.set()
        await runtime.stop()
    assert handler.order.index(first.participant_id) < handler.order.index(queued.participant_id)
    assert await _applied(pool) == {e.participant_id for e in (first, queued, beside)}


@pytest.mark.parametrize("concurrent_partitions", [True, False])
async def test_another_partition_of_the_topic_applies_beside_a_held_batch_only_if_the_consumer_allows(
    platform_db: tuple[str, asyncpg.Pool],
    city: str,
    kafka_bootstrap: str,
    kafka_idempotence: bool,
    concurrent_partitions: bool,
) -> None:
    """With ``concurrent_partitions`` a slow partition does not hold up the others: their records are
    applied and committed meanwhile. Without it, everything waits for the batch in flight."""
    _, pool = platform_db
    topic = participants_topic(city)
    held, beside = _erased(city), _erased(city)
    runtime, handler, group = await _holding(
        platform_db, kafka_bootstrap, kafka_idempotence, topic, held, concurrent_partitions=concurrent_partitions
    )
    try:
        handler.gate(beside.participant_id).set()
        await _publish(kafka_bootstrap, topic, [_good(beside)], partition=1)
        if concurrent_partitions:
            async with asyncio.timeout(30):
                while await _committed(kafka_bootstrap, group, topic) < 1:
                    await asyncio.sleep(0.2)
            assert await _applied(pool) == {beside.participant_id}
        else:
            await asyncio.sleep(3)  # time enough to fetch and apply it, were that allowed
            assert await _applied(pool) == set()
            assert await _committed(kafka_bootstrap, group, topic) == 0
        handler.gate(held.participant_id).set()
        async with asyncio.timeout(30):
            while await _committed(kafka_bootstrap, group, topic) < 2:
                await asyncio.sleep(0.2)
    finally:
        handler.open_all()
        await runtime.stop()
    assert await _applied(pool) == {held.participant_id, beside.participant_id}


async def test_beside_a_held_batch_its_own_partition_and_other_topics_wait(
    platform_db: tuple[str, asyncpg.Pool], city: str, kafka_bootstrap: str, kafka_idempotence: bool
) -> None:
    """Partitions apply side by side only within one topic: a partition's later records, and another
    topic's, are applied after the held batch, whose offset is committed first."""
    _, pool = platform_db
    topic, other = participants_topic(city), city + "b"
    await create_topics(kafka_bootstrap, platform_topics([other]))
    held, after, elsewhere = _erased(city), _erased(city), _erased(other)
    runtime, handler, group = await _holding(
        platform_db,
        kafka_bootstrap,
        kafka_idempotence,
        topic,
        held,
        concurrent_partitions=True,
        also=[participants_topic(other)],
    )
    try:
        handler.gate(after.participant_id).set()
        handler.gate(elsewhere.participant_id).set()
        await _publish(kafka_bootstrap, topic, [_good(after)], partition=0)
        await _publish(kafka_bootstrap, participants_topic(other), [_good(elsewhere)], partition=1)
        await asyncio.sleep(3)  # time enough to fetch and apply them, were that allowed
        assert await _applied(pool) == set()
        assert await _committed(kafka_bootstrap, group, topic) == 0
        handler.gate(held.participant_id).set()
        async with asyncio.timeout(30):
            while len(handler.order) < 3:
                await asyncio.sleep(0.05)
            while await _committed(kafka_bootstrap, group, topic) < 2:
                await asyncio.sleep(0.2)
            while await _committed(kafka_bootstrap, group, participants_topic(other)) < 1:
                await asyncio.sleep(0.2)
    finally:
        handler.open_all()
        await runtime.stop()
    assert handler.order[0] == held.participant_id
    assert set(handler.order) == {held.participant_id, after.participant_id, elsewhere.participant_id}


async def test_a_stop_finishes_and_commits_the_batch_in_flight(
    platform_db: tuple[str, asyncpg.Pool], city: str, kafka_bootstrap: str, kafka_idempotence: bool
) -> None:
    """A rolling update stops each service: the batch it is writing must not come back after the restart."""
    _, pool = platform_db
    topic = participants_topic(city)
    event = _erased(city)
    runtime, handler, group = await _holding(platform_db, kafka_bootstrap, kafka_idempotence, topic, event)
    try:
        stopping = asyncio.create_task(runtime.stop())
        await asyncio.sleep(0.5)  # the stop has begun while the batch is still being written
        assert not stopping.done()
        handler.gate(event.participant_id).set()
        await asyncio.wait_for(stopping, 30)
    finally:
        handler.open_all()
    assert await pool.fetchval("SELECT count(*) FROM applied") == 1
    assert await _committed(kafka_bootstrap, group, topic) == 1


async def test_headers_that_are_no_text_cost_at_most_their_own_record(
    platform_db: tuple[str, asyncpg.Pool], city: str, kafka_bootstrap: str, kafka_idempotence: bool
) -> None:
    """Kafka headers are bytes or null, from any producer: an event with a foreign header that is no
    UTF-8 still applies, one whose envelope is no UTF-8 is dead-lettered, and neither holds up its batch."""
    url, pool = platform_db
    topic = participants_topic(city)
    events = [_erased(city) for _ in range(4)]
    bad_value, bad_headers = _good(_erased(city))
    unreadable = [(name, b"\xff\xfe" if name == "ce_source" else value) for name, value in bad_headers]
    with_foreign = [
        (encode_event(events[1]), [*to_headers(events[1].meta()), ("x-note", b"\xff\xfe")]),
        (encode_event(events[2]), [*to_headers(events[2].meta()), ("x-empty", None)]),
    ]
    await pool.execute("CREATE TABLE applied (participant_id uuid PRIMARY KEY)")
    await _publish(kafka_bootstrap, topic, [_good(events[0]), *with_foreign, (bad_value, unreadable), _good(events[3])])
    group = f"svc{uuid.uuid4().hex[:8]}"
    runtime = _service(url, kafka_bootstrap, kafka_idempotence, group, topic, Applied())
    await runtime.start()
    try:
        async with asyncio.timeout(30):
            while await _committed(kafka_bootstrap, group, topic) < 5:
                await asyncio.sleep(0.2)
    finally:
        await runtime.stop()
    assert await _applied(pool) == {e.participant_id for e in events}
    dead = await read_topic(kafka_bootstrap, dead_letter_topic(topic), expect=1)
    assert [(d.value, dict(d.headers)["mile_dlt_error_class"]) for d in dead] == [(bad_value, b"EnvelopeError")]
