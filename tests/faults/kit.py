"""What the fault tests share: services as real processes one can kill, events, topics and tables.

Each test gets cities of its own and consumer groups of its own, so other tests' events on a
shared broker never count in its figures.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import os
import random
import string
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import ConsumerRecord, TopicPartition

from mile_devstack import testing
from mile_devstack.databases import PostgresServer
from mile_devstack.demo import PLUMBER, employer_request, vacancy_request
from mile_devstack.processes import free_port
from mile_devstack.services import ServiceProcess, ServiceSpec, platform_databases, platform_specs
from mile_devstack.tokens import DevIssuer
from mile_devstack.topics import create_topics, platform_topics
from mile_intake.commands import RegisterParticipant
from mile_matching.subscribers import PATTERN as MATCHING_PATTERN
from mile_placement.subscribers import PATTERN as PLACEMENT_PATTERN
from mile_platform.broker import topic_partitions
from mile_reporting.subscribers import TOPICS_PATTERN as REPORTING_PATTERN
from mile_schemas import (
    Event,
    ParticipantErased,
    ParticipantRegistered,
    dead_letter_topic,
    encode_event,
    participants_topic,
    to_headers,
)
from mile_schemas.examples import load_examples

T = TypeVar("T")
REGISTERED_TYPE = ParticipantRegistered.event_type
SUBSCRIPTIONS = {"matching": MATCHING_PATTERN, "placement": PLACEMENT_PATTERN, "reporting": REPORTING_PATTERN}
"""Each shared service's subscription, as the service declares it."""


def city_name() -> str:
    return "".join(random.choices(string.ascii_lowercase, k=10))


class Platform:
    """Some MILE services as separate processes on free ports; each can be killed with SIGKILL."""

    def __init__(
        self,
        root: Path,
        bootstrap: str,
        idempotence: bool,
        server: PostgresServer,
        cities: Sequence[str],
    ) -> None:
        self.root = root
        self.bootstrap = bootstrap
        self.idempotence = idempotence
        self.server = server
        self.cities = list(cities)
        self.issuer = DevIssuer(root / "auth")
        self.group_prefix = f"faults-{city_name()}-"
        self.databases: dict[str, str] = {}  # service database name -> its URL
        self.specs: dict[str, ServiceSpec] = {}
        self.processes: dict[str, ServiceProcess] = {}

    async def prepare(self) -> None:
        """Topics and databases for the cities; nothing runs yet."""
        await create_topics(self.bootstrap, platform_topics(self.cities))
        for name in platform_databases(self.cities):
            self.databases[name] = await testing.fresh_database(self.server, name[:30])
        key = base64.urlsafe_b64encode(os.urandom(32)).decode()
        specs = platform_specs(
            self.cities,
            self.bootstrap,
            self.databases.__getitem__,
            key,
            self.idempotence,
            auth_env=self.issuer.auth_env(),
        )
        for spec in specs:
            env = {**spec.env, "MILE_CONSUMER_GROUP_PREFIX": self.group_prefix}
            self.specs[spec.name] = replace(spec, port=free_port(), env=env)

    def configure(self, name: str, **env: str) -> None:
        """Extra environment for a service, from its next start on."""
        spec = self.specs[name]
        self.specs[name] = replace(spec, env={**spec.env, **env})

    async def start(self, *names: str) -> None:
        for name in names:
            self.processes[name] = ServiceProcess(self.specs[name], self.root)
        await asyncio.gather(*(self.processes[name].wait_ready(180) for name in names))

    def kill(self, name: str) -> None:
        """SIGKILL, as a crash or the OOM killer would: no shutdown code runs."""
        self.processes.pop(name).kill()

    def stop(self, *names: str) -> None:
        for name in names or tuple(self.processes):
            self.processes.pop(name).stop()

    async def forget(self) -> None:
        """Delete this platform's city topics, so later tests' consumers need not read them."""
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            own = [participants_topic(city) for city in self.cities]
            await admin.delete_topics([*own, *map(dead_letter_topic, own)])
        finally:
            await admin.close()

    def url(self, name: str) -> str:
        return self.specs[name].url

    def database(self, service: str) -> str:
        """The URL of a service's database (``intake-<city>`` or a shared service)."""
        name = f"mile_intake_{service.removeprefix('intake-')}" if service.startswith("intake-") else f"mile_{service}"
        return self.databases[name]

    def group(self, service: str) -> str:
        return f"{self.group_prefix}{service}"

    def auth(self, city: str, *roles: str) -> dict[str, str]:
        """Bearer token of a caller at ``city`` (a caseworker unless ``roles`` say otherwise)."""
        return {"Authorization": f"Bearer {self.issuer.token(site=city, roles=roles or ('caseworker',))}"}

    def logs(self) -> str:
        return "\n".join(path.read_text(errors="replace") for path in sorted(self.root.glob("*.log")))


async def until(
    read: Callable[[], Awaitable[T]], ok: Callable[[T], bool], timeout: float = 120.0, every: float = 0.5
) -> T:
    """Poll ``read`` every ``every`` seconds until ``ok`` holds; fail with the last value seen."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await read()
        if ok(value):
            return value
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s; last value: {value!r}")
        await asyncio.sleep(every)


# ---- events a city's intake would publish -------------------------------------------------

_REGISTERED_EXAMPLE = next(e for e in load_examples(REGISTERED_TYPE) if e.get("profile") and e.get("statistics"))


def registration(city: str, participant_id: uuid.UUID | None = None) -> ParticipantRegistered:
    """A registration with matching and statistics consent, shaped like the canonical example."""
    data = {
        **_REGISTERED_EXAMPLE,
        "participant_id": str(participant_id or uuid.uuid4()),
        "city": city,
        "registered_at": datetime.now(UTC).isoformat(),
    }
    return ParticipantRegistered.model_validate(data)


def erasure(city: str, participant_id: uuid.UUID) -> ParticipantErased:
    return ParticipantErased(participant_id=participant_id, city=city, erased_at=datetime.now(UTC))


def person_request(marker: str) -> dict[str, Any]:
    """Intake's documented registration example, its personal data carrying ``marker`` (unique per person)."""
    body = copy.deepcopy(RegisterParticipant.model_json_schema()["examples"][0])
    body["personal"] = {
        "given_name": f"Given{marker}",
        "family_name": f"Family{marker}",
        "birth_date": "1990-05-17",
        "email": f"mail{marker}@example.org",
    }
    return body


async def publish(
    bootstrap: str,
    records: Iterable[tuple[str, bytes, bytes, list[tuple[str, bytes]]]],
) -> int:
    """Send (topic, key, value, headers) records together and await every acknowledgement."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        pending = [
            await producer.send(topic, value=value, key=key, headers=headers) for topic, key, value, headers in records
        ]
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return len(pending)


def as_record(event: Event, event_id: uuid.UUID | None = None) -> tuple[str, bytes, bytes, list[tuple[str, bytes]]]:
    """An event as its producer's outbox relay would send it."""
    return event.topic(), event.key().encode(), encode_event(event), to_headers(event.meta(event_id))


# ---- topics and consumer groups -------------------------------------------------------------


async def read_all(
    bootstrap: str, pattern: str, *, expect: int = 0, timeout: float = 60.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record of the topics matching ``pattern``, read without a group until ``expect`` (and at
    least the end offsets) arrived and then three polls in a row bring nothing.

    End offsets are only a lower bound: tansu 0.6 answers ListOffsets(latest) with one past the
    first record of the last batch, not of its last record.
    """
    partitions = await topic_partitions({"bootstrap_servers": bootstrap}, pattern)
    if not partitions:
        return []
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        starts = await consumer.beginning_offsets(partitions)
        ends = await consumer.end_offsets(partitions)
        expect = max(expect, sum(ends[tp] - starts[tp] for tp in partitions))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        quiet = 0
        while loop.time() < deadline and (len(records) < expect or quiet < 3):
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            got = [record for part in batch.values() for record in part]
            records.extend(got)
            quiet = 0 if got else quiet + 1
    finally:
        await consumer.stop()
    return records


def header(record: ConsumerRecord[bytes, bytes], name: str) -> str | None:
    value = dict(record.headers or ()).get(name)
    return value.decode() if value is not None else None


def participant_of(record: ConsumerRecord[bytes, bytes]) -> uuid.UUID:
    return uuid.UUID(json.loads(record.value or b"{}")["participant_id"])


async def committed_offsets(bootstrap: str, group: str, pattern: str) -> dict[TopicPartition, int]:
    """What ``group`` has committed on the topics matching ``pattern`` (read as a non-member)."""
    partitions = await topic_partitions({"bootstrap_servers": bootstrap}, pattern)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        return {tp: (await consumer.committed(tp)) or 0 for tp in partitions}
    finally:
        await consumer.stop()


# ---- databases -------------------------------------------------------------------------------


async def query(url: str, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


async def scalar(url: str, sql: str, *args: object) -> Any:
    return (await query(url, sql, *args))[0][0]


async def dump_tables(url: str, skip: Iterable[str] = ()) -> dict[str, list[str]]:
    """Every row of every table in the public schema, as sorted text: a database compared row for row,
    or scanned for what it holds. Binary columns (an outbox row's payload) follow their row as text
    too (bytes beyond ASCII escaped), as the row's own text shows them in hex, where no scan finds a value."""
    conn = await asyncpg.connect(url)
    try:
        columns = await conn.fetch(
            """SELECT c.relname AS table, array_agg(a.attname ORDER BY a.attnum)
                      FILTER (WHERE a.atttypid = 'bytea'::regtype) AS binary
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
               WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
               GROUP BY c.relname ORDER BY c.relname"""
        )
        dumps = {}
        for row in columns:
            if row["table"] in set(skip):
                continue
            binary = [f"""coalesce(encode(t."{column}", 'escape'), '')""" for column in row["binary"] or ()]
            texts = ["t::text", *binary]
            query = f"""SELECT concat_ws(' ', {", ".join(texts)}) FROM "{row["table"]}" AS t"""
            dumps[row["table"]] = sorted(r[0] for r in await conn.fetch(query))
        return dumps
    finally:
        await conn.close()


async def open_vacancy(platform: Platform, city: str, positions: int) -> str:
    """A plumbing place in ``city``, opened by its employer liaison before candidates arrive,
    so each registration that fits is proposed as it is applied."""
    liaison = platform.auth(city, "employer_liaison")
    async with httpx.AsyncClient(timeout=30.0, base_url=platform.url("matching")) as client:
        employer = await client.post(
            "/employers",
            json=employer_request("Idraulica Guasti"),
            headers={"Idempotency-Key": str(uuid.uuid4()), **liaison},
        )
        assert employer.status_code == 201, employer.text
        body = vacancy_request(
            city,
            employer_id=employer.json()["employer_id"],
            title="Plumbing apprentice",
            isco08=PLUMBER,
            positions=positions,
        )
        response = await client.post("/vacancies", json=body, headers={"Idempotency-Key": str(uuid.uuid4()), **liaison})
    assert response.status_code == 201, response.text
    return response.json()["vacancy_id"]


async def accept(platform: Platform, city: str, match_ids: Iterable[uuid.UUID], concurrency: int = 8) -> None:
    """A caseworker of ``city`` accepts each proposal, ``concurrency`` at a time."""
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=30.0) as client:

        async def one(match_id: uuid.UUID) -> None:
            async with gate:
                decided = await client.post(
                    f"{platform.url('matching')}/matches/{match_id}/decision",
                    json={"decision": "accepted"},
                    headers={"Idempotency-Key": str(uuid.uuid4()), **platform.auth(city)},
                )
            assert decided.status_code == 200, decided.text

        await asyncio.gather(*map(one, match_ids))
