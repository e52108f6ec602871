"""`mile-dev redrive` against a real broker: dead letters go back to their topic with their
original headers (the ``mile_dlt_*`` ones removed), once, and a dry run changes nothing."""

from __future__ import annotations

import asyncio
import random
import string
import uuid

import pytest
from aiokafka import AIOKafkaProducer

from mile_devstack import cli
from mile_devstack.redrive import redrive
from mile_devstack.topics import create_topics, platform_topics, read_topic
from mile_platform.deadletter import dead_letter_headers
from mile_platform.settings import KafkaSettings
from mile_schemas.topics import dead_letter_topic, participants_topic

pytestmark = pytest.mark.integration


def headers_of(record) -> list[tuple[str, bytes | None]]:
    return list(record.headers or ())


async def test_redrive_republishes_dead_letters_with_their_original_headers(kafka_bootstrap: str) -> None:
    city = "redrive" + "".join(random.choices(string.ascii_lowercase, k=10))
    topic = participants_topic(city)
    await create_topics(kafka_bootstrap, platform_topics([city]))
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        originals = []
        for n in range(3):
            event_id = str(uuid.uuid4())
            headers = [("ce_id", event_id.encode()), ("ce_type", b"eu.mile.intake.participant_registered.v1"),
                       ("traceparent", f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01".encode())]  # fmt: skip
            if n == 0:  # headers of any producer: null, or no text
                headers += [("x-empty", None), ("x-note", b"\xff\xfe")]
            await producer.send_and_wait(topic, value=f'{{"n": {n}}}'.encode(), key=event_id.encode(), headers=headers)
        originals = await read_topic(kafka_bootstrap, topic, expect=3)
        for record in originals:  # parked the way the platform's subscriber parks them
            await producer.send_and_wait(
                dead_letter_topic(topic),
                value=record.value,
                key=record.key,
                headers=dead_letter_headers(record, ValueError("vacancy unknown"), "matching"),
            )
    finally:
        await producer.stop()
    settings = KafkaSettings(bootstrap_servers=kafka_bootstrap)
    group = f"mile-redrive-{city}"

    listed: list[str] = []
    dry = await redrive(topic, settings, group=group, dry_run=True, report=listed.append)
    assert dry.redriven == 0 and len(listed) == 3
    assert all("consumer=matching error=ValueError: vacancy unknown" in line for line in listed)
    await asyncio.sleep(1)
    assert len(await read_topic(kafka_bootstrap, topic, expect=4, timeout=3)) == 3, "a dry run publishes nothing"

    done = await redrive(topic, settings, group=group, report=lambda _: None)
    assert (done.source, done.target, done.redriven) == (dead_letter_topic(topic), topic, 3)
    everything = await read_topic(kafka_bootstrap, topic, expect=6)
    copies = [r for r in everything if (r.partition, r.offset) not in {(o.partition, o.offset) for o in originals}]
    by_key = {r.key: r for r in originals}
    assert sorted(r.key for r in copies) == sorted(by_key)
    for copy in copies:
        assert copy.value == by_key[copy.key].value
        assert headers_of(copy) == headers_of(by_key[copy.key])
        assert not any(key.startswith("mile_dlt_") for key, _ in headers_of(copy))

    again = await redrive(topic, settings, group=group, report=lambda _: None)
    assert again.redriven == 0, "what was re-driven once is not re-driven again"


def test_cli_names_a_missing_dead_letter_topic(kafka_bootstrap: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["redrive", "mile.nowhere.things.v1", "--bootstrap", kafka_bootstrap]) == 2
    assert "mile.nowhere.things.v1.dlt does not exist" in capsys.readouterr().err
