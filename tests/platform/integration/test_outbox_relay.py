"""The relay publishes exactly the committed outbox rows, in order per key, then deletes them."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from mile_devstack.topics import read_topic
from mile_platform.broker import make_producer
from mile_platform.outbox import add_events
from mile_platform.relay import OutboxRelay
from mile_platform.settings import KafkaSettings
from mile_platform.telemetry import recording
from mile_schemas import ParticipantErased, from_headers, parse_event, participants_topic

pytestmark = pytest.mark.integration


def _event(participant: uuid.UUID, city: str, n: int) -> ParticipantErased:
    base = datetime(2026, 1, 1, tzinfo=UTC)
    return ParticipantErased(participant_id=participant, city=city, erased_at=base + timedelta(seconds=n))


async def _relay(url: str, bootstrap: str, idempotence: bool, batch: int = 7) -> tuple[OutboxRelay, object]:
    producer = make_producer(KafkaSettings(bootstrap_servers=bootstrap), service="test", idempotence=idempotence)
    await producer.start()
    relay = OutboxRelay(service="test", database_url=url, producer=producer, batch_size=batch, poll_interval_s=0.2)
    await relay.start()
    return relay, producer


async def test_committed_rows_reach_kafka_in_order_and_rolled_back_ones_never(
    platform_db: tuple[str, asyncpg.Pool], city: str, kafka_bootstrap: str, kafka_idempotence: bool
) -> None:
    url, pool = platform_db
    people = [uuid.uuid4() for _ in range(5)]
    committed: set[uuid.UUID] = set()
    for n in range(10):
        async with pool.acquire() as conn, conn.transaction():
            committed.update(await add_events(conn, [_event(p, city, n) for p in people]))
    ghost = uuid.uuid4()
    with pytest.raises(RuntimeError):
        async with pool.acquire() as conn, conn.transaction():
            await add_events(conn, [_event(ghost, city, 0)])
            raise RuntimeError("rolled back after writing the outbox row")

    relay, producer = await _relay(url, kafka_bootstrap, kafka_idempotence)
    try:
        records = await read_topic(kafka_bootstrap, participants_topic(city), expect=50)
        async with asyncio.timeout(10):
            while await pool.fetchval("SELECT count(*) FROM mile_outbox"):  # each row deleted once published
                await asyncio.sleep(0.1)
    finally:
        await relay.stop()
        await producer.stop()  # type: ignore[attr-defined]

    assert len(records) == 50
    events = [parse_event(from_headers(r.headers)[0].type, r.value) for r in records]
    assert ghost not in {e.participant_id for e in events}
    for person in people:
        times = [e.erased_at for e in events if e.participant_id == person]
        assert times == sorted(times) and len(times) == 10
    ids = {from_headers(r.headers)[0].id for r in records}
    assert ids == committed  # no orphans, no phantoms


async def test_rows_an_earlier_release_marked_published_are_deleted_not_sent_again(
    platform_db: tuple[str, asyncpg.Pool], city: str, kafka_bootstrap: str, kafka_idempotence: bool
) -> None:
    """Relays before this one kept published rows and set ``published_at``: the next relay to lead
    deletes them (a rolling update may leave some behind), and publishes only those still pending."""
    url, pool = platform_db
    async with pool.acquire() as conn, conn.transaction():
        marked = await add_events(conn, [_event(uuid.uuid4(), city, n) for n in range(3)])
        pending = await add_events(conn, [_event(uuid.uuid4(), city, 0)])
        await conn.execute("UPDATE mile_outbox SET published_at = now() WHERE event_id = ANY($1::uuid[])", marked)

    relay, producer = await _relay(url, kafka_bootstrap, kafka_idempotence)
    try:
        records = await read_topic(kafka_bootstrap, participants_topic(city), expect=1)
        async with asyncio.timeout(10):
            while await pool.fetchval("SELECT count(*) FROM mile_outbox"):
                await asyncio.sleep(0.1)
    finally:
        await relay.stop()
        await producer.stop()  # type: ignore[attr-defined]

    assert [from_headers(r.headers)[0].id for r in records] == pending


async def test_with_no_spans_recorded_an_event_carries_its_causes_trace_context_as_stored(
    platform_db: tuple[str, asyncpg.Pool], city: str, kafka_bootstrap: str, kafka_idempotence: bool
) -> None:
    """No exporter is configured here, so no tracer provider is installed: the relay makes no span
    per event, and each goes on in the trace of the request or event that caused it."""
    assert not recording()
    url, pool = platform_db
    cause = f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01"
    async with pool.acquire() as conn, conn.transaction():
        await add_events(
            conn, [_event(uuid.uuid4(), city, 0), _event(uuid.uuid4(), city, 1)], traceparents=[cause, None]
        )
    relay, producer = await _relay(url, kafka_bootstrap, kafka_idempotence)
    try:
        records = await read_topic(kafka_bootstrap, participants_topic(city), expect=2)
    finally:
        await relay.stop()
        await producer.stop()  # type: ignore[attr-defined]

    assert sorted((from_headers(r.headers)[1] or "") for r in records) == sorted([cause, ""])


async def test_many_batches_of_one_key_arrive_in_order_where_a_plain_send_puts_that_key(
    platform_db: tuple[str, asyncpg.Pool], city: str, kafka_bootstrap: str, kafka_idempotence: bool
) -> None:
    """The relay fills a Kafka record batch per partition itself: a person's 200 events span many of
    them and two relay batches, and still arrive in order, on the partition ``send`` chooses for the key."""
    url, pool = platform_db
    people = [uuid.uuid4() for _ in range(3)]
    for n in range(200):
        async with pool.acquire() as conn, conn.transaction():
            await add_events(conn, [_event(p, city, n) for p in people])

    relay, producer = await _relay(url, kafka_bootstrap, kafka_idempotence, batch=500)
    try:
        records = await read_topic(kafka_bootstrap, participants_topic(city), expect=600)
        probes = {
            person: await producer.send_and_wait(participants_topic(city), b"probe", key=str(person).encode())  # type: ignore[attr-defined]
            for person in people
        }
    finally:
        await relay.stop()
        await producer.stop()  # type: ignore[attr-defined]

    assert len(records) == 600
    sizes = [len(r.key or b"") + len(r.value or b"") + sum(len(k) + len(v) for k, v in r.headers) for r in records]
    assert sum(sizes) > 10 * 16384  # aiokafka's default batch size: the events took many record batches
    for person in people:
        mine = [r for r in records if r.key == str(person).encode()]
        events = [parse_event(from_headers(r.headers)[0].type, r.value) for r in mine]
        assert [e.erased_at for e in events] == sorted(e.erased_at for e in events) and len(events) == 200
        assert {r.partition for r in mine} == {probes[person].partition}


async def test_only_one_relay_leads(
    platform_db: tuple[str, asyncpg.Pool], kafka_bootstrap: str, kafka_idempotence: bool
) -> None:
    url, _ = platform_db
    first, p1 = await _relay(url, kafka_bootstrap, kafka_idempotence)
    second, p2 = await _relay(url, kafka_bootstrap, kafka_idempotence)
    try:
        async with asyncio.timeout(10):
            while not (first.is_leader or second.is_leader):
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        assert [first.is_leader, second.is_leader].count(True) == 1
    finally:
        for relay, producer in ((first, p1), (second, p2)):
            await relay.stop()
            await producer.stop()  # type: ignore[attr-defined]
