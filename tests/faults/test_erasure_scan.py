"""Erasure of 100 participants, then a scan of every topic, dead-letter topic, database and log.

Each person registered over HTTP carries unique markers in their name and e-mail. A vacancy is
open, so matching proposes each of them and publishes events naming their pseudonymous id. After
they are erased, no record on any topic of the broker, no row of any service's database and no log
line holds any of their markers, and no shared service still holds their pseudonymous id (beyond
erasure tombstones, whose count is printed), not even in a payload it published; ten
people who were not erased are still readable with their markers (so the markers were real).
"""

import asyncio
import re
import uuid

import httpx
import pytest
from aiokafka.structs import TopicPartition

from mile_schemas import participants_topic

from .conftest import MakePlatform
from .kit import SUBSCRIPTIONS, committed_offsets, dump_tables, open_vacancy, person_request, read_all, scalar, until

pytestmark = pytest.mark.faults
ERASED, KEPT = 100, 10
SHARED = SUBSCRIPTIONS


async def test_erased_people_leave_no_trace_in_topics_databases_or_logs(make_platform: MakePlatform) -> None:
    platform = await make_platform()
    (city,) = platform.cities
    intake = f"intake-{city}"
    topic = participants_topic(city)
    await platform.start(intake, *SHARED)
    # Matching reads every city's topic: people of earlier tests on this broker may take room too.
    await open_vacancy(platform, city, positions=1000)
    people: dict[uuid.UUID, list[str]] = {}
    async with httpx.AsyncClient(timeout=30.0) as client:
        base = f"{platform.url(intake)}/participants"
        for _ in range(ERASED + KEPT):
            marker = uuid.uuid4().hex[:16]
            response = await client.post(base, json=person_request(marker), headers=platform.auth(city))
            assert response.status_code == 201, response.text
            people[uuid.UUID(response.json()["participant_id"])] = [f"Given{marker}", f"Family{marker}", marker]
        await until(
            lambda: scalar(platform.database("matching"), "SELECT count(*) FROM candidates WHERE city = $1", city),
            lambda n: n == ERASED + KEPT,
        )
        proposed = await scalar(
            platform.database("matching"), "SELECT count(DISTINCT participant_id) FROM matches WHERE city = $1", city
        )
        erased = list(people)[:ERASED]
        for participant_id in erased:
            response = await client.delete(f"{base}/{participant_id}", headers=platform.auth(city))
            assert response.status_code == 204, response.text
        kept_readable = 0
        for participant_id in list(people)[ERASED:]:
            response = await client.get(f"{base}/{participant_id}", headers=platform.auth(city))
            kept_readable += response.status_code == 200 and people[participant_id][0] in response.text
        gone = sum([(await client.get(f"{base}/{p}", headers=platform.auth(city))).status_code == 404 for p in erased])

    # every shared service has applied everything on the city's topic, erasures included
    await until(lambda: scalar(platform.database(intake), "SELECT count(*) FROM mile_outbox"), lambda n: n == 0)
    city_records = await read_all(platform.bootstrap, f"^{re.escape(topic)}$", expect=ERASED + KEPT + ERASED)
    ends: dict[TopicPartition, int] = {}
    for record in city_records:
        tp = TopicPartition(record.topic, record.partition)
        ends[tp] = max(ends.get(tp, 0), record.offset + 1)
    for service in SHARED:

        async def behind(group: str = platform.group(service)) -> int:
            committed = await committed_offsets(platform.bootstrap, group, f"^{re.escape(topic)}$")
            return sum(max(0, end - committed.get(tp, 0)) for tp, end in ends.items())

        await until(behind, lambda n: n == 0)
    await asyncio.sleep(2)  # let log lines of the last batches reach the files

    markers = [m.encode() for p in erased for m in people[p]]
    ids = [str(p) for p in erased]
    records = await read_all(platform.bootstrap, r"mile\..+")  # every topic, dead letters included
    topic_hits = sum(
        any(m in blob for m in markers)
        for r in records
        for blob in (r.value or b"", *(v or b"" for _, v in r.headers or ()))
    )
    db_hits, id_hits, tombstones, rows = 0, 0, 0, 0
    for service in (intake, *SHARED):
        for table, table_rows in (await dump_tables(platform.database(service))).items():
            rows += len(table_rows)
            db_hits += sum(any(m.decode() in row for m in markers) for row in table_rows)
            if service == intake:
                continue
            found = sum(any(i in row for i in ids) for row in table_rows)
            if table == "erased_participants":  # a tombstone, so late events about them are ignored
                tombstones += found
            else:
                id_hits += found
    logs = platform.logs()
    log_hits = sum(m.decode() in logs for m in markers)
    figures = (
        f"erased={ERASED} proposed={proposed} gone_404={gone} kept_readable={kept_readable}/{KEPT} "
        f"records_scanned={len(records)} "
        f"rows_scanned={rows} log_lines={logs.count(chr(10))} marker_hits(topics,dbs,logs)=({topic_hits},{db_hits},"
        f"{log_hits}) erased_ids_in_shared_dbs={id_hits} raw_id_tombstones={tombstones}"
    )
    print(figures)
    assert proposed == ERASED + KEPT, figures  # matching published an event naming each of them
    assert gone == ERASED and kept_readable == KEPT, figures
    assert (topic_hits, db_hits, log_hits) == (0, 0, 0), figures
    assert id_hits == 0, figures
