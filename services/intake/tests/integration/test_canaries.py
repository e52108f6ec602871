"""Canary scan: names and e-mails that are unique markers never leave intake in readable form.

Participants are registered (needs, appraisal and guidance notes included), read, exported
and one is erased; then every topic on the broker (dead-letter topics included) is read from
the beginning, the service's log records are searched, and the intake database is dumped:
none may contain a marker.
"""

import asyncio
import logging
import subprocess
import uuid

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from mile_devstack.demo import PLUMBER, Person, participant_request
from mile_devstack.postgres import postgres_bin_dir
from mile_platform.broker import topic_partitions

from .conftest import Intake

pytestmark = pytest.mark.integration


async def _every_record(bootstrap: str) -> list[bytes]:
    """Keys, values and headers of every record of every topic, from the beginning."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        partitions = await topic_partitions({"bootstrap_servers": bootstrap}, r"(?!__).*")
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        seen: list[bytes] = []
        async with asyncio.timeout(60):
            while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for record in records:
                        seen += [record.key or b"", record.value or b"", *(v or b"" for _, v in record.headers)]
        assert any(b"participant_registered" in part for part in seen)  # the scan did read our events
        return seen
    finally:
        await consumer.stop()


def _dump(database_url: str) -> bytes:
    return subprocess.run(
        [str(postgres_bin_dir() / "pg_dump"), "--no-owner", f"--dbname={database_url}"],
        check=True,
        capture_output=True,
        timeout=60,
    ).stdout


async def test_markers_are_nowhere_outside_intake_in_plaintext(
    intake: Intake, kafka_bootstrap: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    markers = [uuid.uuid4().hex[:16] for _ in range(3)]
    async with httpx.AsyncClient(base_url=intake.url) as client:
        ids = []
        for marker in markers:
            person = Person(f"Canary{marker}", f"Marker{marker}", "1990-05-05", "female", "SY", "refugee", PLUMBER, 2)
            body = participant_request(person)
            body["personal"]["email"] = f"canary.{marker}@example.org"
            body["personal"]["phone"] = "+39 02 1234 5678"
            body["needs"] = {"codes": ["housing"], "note": f"Note{marker}"}
            body["appraisal"] = {"summary": f"Appraisal{marker}", "next_steps": f"Steps{marker}"}
            response = await client.post("/participants", json=body, headers=intake.auth())
            assert response.status_code == 201, response.text
            ids.append(response.json()["participant_id"])
            again = await client.post("/participants", json=body, headers=intake.auth())
            assert again.status_code == 409  # the duplicate check, too, works without the plaintext
            session = {"kind": "tutoring", "held_on": "2026-01-15", "minutes": 60, "notes": f"Session{marker}"}
            recorded = await client.post(
                f"/participants/{ids[-1]}/guidance-sessions",
                json=session,
                headers={**intake.auth(), "Idempotency-Key": str(uuid.uuid4())},
            )
            assert recorded.status_code == 201, recorded.text
        read = await client.get(f"/participants/{ids[0]}", headers=intake.auth())
        assert markers[0] in read.text  # the city's own caseworker does see the person
        assert (await client.get(f"/participants/{ids[1]}/export", headers=intake.auth())).status_code == 200
        assert (await client.delete(f"/participants/{ids[2]}", headers=intake.auth())).status_code == 204

    records = await _every_record(kafka_bootstrap)
    dump = await asyncio.to_thread(_dump, intake.database_url)
    logs = "\n".join(record.getMessage() for record in caplog.records)
    assert b"participant_keys" in dump  # the dump holds the tables
    for marker in markers:
        needle = marker.encode()
        assert not [part for part in records if needle in part.lower()], f"marker {marker} on a topic"
        assert needle not in dump.lower(), f"marker {marker} in the database dump"
        assert marker not in logs.lower(), f"marker {marker} in the service log"
