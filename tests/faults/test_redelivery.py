"""Every consumer group rewound to the beginning, and each event delivered one to three times.

After a single delivery of registrations, profile updates, erasures, a vacancy, its proposals
and accepted decisions (so placement opens placements), the databases of matching, placement and
reporting are dumped row for row. Then the groups are rewound to offset 0, up to two more
copies of each event (same id, key and headers) are appended to its topic, and the services
replay everything: every table of every shared service equals the single-delivery baseline.
"""

import asyncio
import json
import random
import re
from collections import Counter
from datetime import UTC, datetime

import pytest
from aiokafka.structs import ConsumerRecord, TopicPartition

from mile_devstack.offsets import rewind_group
from mile_schemas import MATCHES, PLACEMENTS, VACANCIES, ParticipantProfileUpdated, participants_topic

from .conftest import MakePlatform
from .kit import (
    SUBSCRIPTIONS,
    Platform,
    accept,
    as_record,
    committed_offsets,
    dump_tables,
    erasure,
    open_vacancy,
    publish,
    query,
    read_all,
    registration,
    scalar,
    until,
)

pytestmark = pytest.mark.faults
SHARED = SUBSCRIPTIONS
PEOPLE, UPDATED, ERASED, ACCEPTED = 400, 60, 30, 10


def ours(record: ConsumerRecord[bytes, bytes], city: str, vacancy_id: str) -> bool:
    """Whether a record on a shared topic is about this test's city or vacancy."""
    data = json.loads(record.value or b"{}")
    return data.get("city") == city or data.get("vacancy_id") == vacancy_id


async def settle(platform: Platform, topics: str, records: list[ConsumerRecord[bytes, bytes]]) -> None:
    """Wait until every group has committed past every record of ``topics`` it consumes."""
    ends: dict[TopicPartition, int] = {}
    for record in records:
        tp = TopicPartition(record.topic, record.partition)
        ends[tp] = max(ends.get(tp, 0), record.offset + 1)
    for service, pattern in SHARED.items():
        consumed = {tp: end for tp, end in ends.items() if re.search(pattern, tp.topic)}

        async def behind(group: str = platform.group(service), consumed: dict = consumed) -> int:
            committed = await committed_offsets(platform.bootstrap, group, topics)
            return sum(max(0, end - committed.get(tp, 0)) for tp, end in consumed.items())

        await until(behind, lambda n: n == 0, timeout=300)


async def snapshot(platform: Platform) -> dict[str, dict[str, list[str]]]:
    """Every shared service's tables, once two dumps a few seconds apart agree."""
    previous: dict[str, dict[str, list[str]]] = {}
    while True:
        current = {service: await dump_tables(platform.database(service)) for service in SHARED}
        if current == previous:
            return current
        previous = current
        await asyncio.sleep(3)


async def test_rewound_groups_and_duplicated_events_change_no_row(make_platform: MakePlatform) -> None:
    platform = await make_platform()
    (city,) = platform.cities
    topics = (
        rf"^{re.escape(participants_topic(city))}$|^({'|'.join(map(re.escape, (VACANCIES, MATCHES, PLACEMENTS)))})$"
    )
    await platform.start(*SHARED)
    vacancy_id = await open_vacancy(platform, city, positions=ACCEPTED)
    people = [registration(city) for _ in range(PEOPLE)]
    await publish(platform.bootstrap, [as_record(event) for event in people])
    updates = [
        ParticipantProfileUpdated(
            participant_id=p.participant_id,
            city=city,
            updated_at=datetime.now(UTC),
            statistics=p.statistics,
            profile=p.profile.model_copy(update={"hours_per_week": 20}) if p.profile else None,
        )
        for p in people[:UPDATED]
    ]
    erased = [erasure(city, p.participant_id) for p in people[-ERASED:]]
    await publish(platform.bootstrap, [as_record(event) for event in (*updates, *erased)])
    await until(
        lambda: scalar(platform.database("matching"), "SELECT count(*) FROM candidates WHERE city = $1", city),
        lambda n: n == PEOPLE - ERASED,
        timeout=300,
    )
    # The vacancy is offered to every city's participants, so on a broker holding other tests'
    # registrations some proposals are for another city's participants; matching is city-sealed
    # (another city's proposal answers 404), so each is decided by a caseworker of its own city.
    proposals = await query(
        platform.database("matching"),
        "SELECT id, city FROM matches WHERE vacancy_id = $1::uuid AND status = 'proposed'"
        " ORDER BY city <> $2, id LIMIT $3",
        vacancy_id,
        city,
        ACCEPTED,
    )
    assert len(proposals) == ACCEPTED, proposals
    for site in {r["city"] for r in proposals}:
        await accept(platform, site, [r["id"] for r in proposals if r["city"] == site])
    await until(
        lambda: scalar(
            platform.database("placement"), "SELECT count(*) FROM placements WHERE vacancy_id = $1::uuid", vacancy_id
        ),
        lambda n: n == ACCEPTED,
        timeout=300,
    )
    records = [r for r in await read_all(platform.bootstrap, topics) if ours(r, city, vacancy_id)]
    await settle(platform, topics, await read_all(platform.bootstrap, topics))
    baseline = await snapshot(platform)

    platform.stop(*SHARED)
    for service, pattern in SHARED.items():
        await rewind_group(platform.bootstrap, platform.group(service), pattern)
    rng = random.Random(8)
    extra = {id(r): rng.randint(0, 2) for r in records}
    copies = [(r.topic, r.key, r.value, list(r.headers or ())) for r in records for _ in range(extra[id(r)])]
    rng.shuffle(copies)
    await publish(platform.bootstrap, copies)
    await platform.start(*SHARED)
    await settle(platform, topics, await read_all(platform.bootstrap, topics))
    replayed = await snapshot(platform)

    deliveries = Counter(1 + n for n in extra.values())
    rows = sum(len(table) for service in baseline.values() for table in service.values())
    differing = [
        f"{service}.{table}"
        for service in SHARED
        for table in baseline[service].keys() | replayed[service].keys()
        if baseline[service].get(table) != replayed[service].get(table)
    ]
    figures = (
        f"events={len(records)} deliveries={dict(sorted(deliveries.items()))} tables="
        f"{sum(map(len, baseline.values()))} rows={rows} differing_tables={differing or 0}"
    )
    print(figures)
    assert set(deliveries) == {1, 2, 3}, figures
    assert not differing, figures
