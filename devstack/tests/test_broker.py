"""LocalBroker (tansu) start, topic creation and a produce/consume round trip."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from mile_devstack.broker import LocalBroker
from mile_devstack.processes import free_port
from mile_devstack.topics import PARTITIONS, create_topics

pytestmark = pytest.mark.integration


async def test_topics_and_round_trip(tmp_path: Path) -> None:
    broker = LocalBroker(free_port(), log_path=tmp_path / "broker.log")
    await broker.start()
    try:
        await broker.create_topics(["mile.test.things.v1", "mile.test.things.v1.dlt"])
        await broker.create_topics(["mile.test.things.v1"])  # idempotent
        admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap)
        await admin.start()
        try:
            assert {"mile.test.things.v1", "mile.test.things.v1.dlt"} <= set(await admin.list_topics())
            described = await admin.describe_topics(["mile.test.things.v1"])
            assert len(described[0]["partitions"]) == PARTITIONS
        finally:
            await admin.close()

        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, enable_idempotence=False)
        await producer.start()
        try:
            await producer.send_and_wait("mile.test.things.v1", b"hello", key=b"k1")
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(
            "mile.test.things.v1",
            bootstrap_servers=broker.bootstrap,
            group_id="devstack-test",
            auto_offset_reset="earliest",
            session_timeout_ms=6000,
            heartbeat_interval_ms=500,
        )
        await consumer.start()
        try:
            message = await consumer.getone()
        finally:
            await consumer.stop()
        assert (message.key, message.value) == (b"k1", b"hello")
    finally:
        broker.stop()
    assert not broker.running
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", broker.port)) != 0


async def test_session_broker_fixture(kafka_bootstrap: str, kafka_idempotence: bool) -> None:
    await create_topics(kafka_bootstrap, ["mile.test.fixture.v1"], partitions=1)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=kafka_idempotence)
    await producer.start()
    try:
        metadata = await producer.send_and_wait("mile.test.fixture.v1", b"x")
    finally:
        await producer.stop()
    assert metadata.offset >= 0
