"""One malformed event in every 1,000, and a batch whose database connection dies under it.

Matching and reporting apply every good registration; exactly the malformed ones reach
``<topic>.dlt`` (once per consumer that reads the broken part: matching never reads statistics, so it
applies the registration whose statistics alone are broken) with headers naming where they came from
and why; the transient failure is retried, not dead-lettered; no partition stays blocked; and
the personal-looking values inside the malformed events appear in no header and no log line.
"""

import json
import re
import uuid

import asyncpg
import pytest

from mile_schemas import dead_letter_topic, participants_topic

from .conftest import MakePlatform
from .kit import as_record, header, publish, query, read_all, registration, scalar, until

pytestmark = pytest.mark.faults
GOOD_PER_BAD = 999
BAD = 4
CONSUMERS = ("matching", "reporting")  # placement skips registrations unread
DLT_HEADERS = {"topic", "partition", "offset", "consumer", "error_class", "error_message", "time"}


def malformed(city: str, n: int, marker: str) -> tuple[str, bytes, bytes, list[tuple[str, bytes]]]:
    """A registration made unreadable in one of four ways, each carrying personal-looking ``marker``
    (the last in its body: its envelope is what cannot be read)."""
    topic, key, value, headers = as_record(registration(city))
    data = json.loads(value)
    if n == 0:
        data["registered_at"] = f"Maria {marker} Rossi"  # a name where a time belongs
    elif n == 1:
        data["statistics"]["sex"] = f"+39 333 {marker}"  # a phone number where a code belongs
    elif n == 2:
        return topic, key, f"not json: {marker}@example.org".encode(), headers
    else:  # a header that is no UTF-8: faststream's own parser failed the whole batch on one
        data["profile"]["municipality"] = marker
        headers = [(name, b"\xff\xfe" if name == "ce_source" else value) for name, value in headers]
    return topic, key, json.dumps(data).encode(), headers


async def test_bad_events_go_to_the_dead_letter_topic_and_a_transient_failure_is_retried(
    make_platform: MakePlatform,
) -> None:
    platform = await make_platform()
    (city,) = platform.cities
    topic = participants_topic(city)
    marker = f"Zq{uuid.uuid4().hex[:10]}"
    records, bad_ids = [], []
    for n in range(BAD):
        records.extend(as_record(registration(city)) for _ in range(GOOD_PER_BAD))
        bad = malformed(city, n, marker)
        bad_ids.append(header_value(bad[3], "ce_id"))
        records.append(bad)
    good = len(records) - BAD
    unread = {"matching": {bad_ids[1]}, "reporting": set()}  # bad in a part the consumer never reads

    # the transient failure: reporting's first batch waits on our lock, then loses its connection
    reporting_db = platform.database("reporting")
    await platform.start(*CONSUMERS)
    locker = await asyncpg.connect(reporting_db)
    transaction = locker.transaction()
    await transaction.start()
    await locker.execute("LOCK TABLE funnel_stages IN ACCESS EXCLUSIVE MODE")
    await publish(platform.bootstrap, records)
    waiting = """SELECT pid FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"""
    # asked on fresh connections: inside the locker's transaction pg_stat_activity is read once and cached
    blocked = await until(lambda: query(reporting_db, waiting), lambda rows: len(rows) > 0, timeout=120)
    for row in blocked:
        await locker.execute("SELECT pg_terminate_backend($1)", row["pid"])
    await transaction.rollback()
    await locker.close()

    async def applied() -> tuple[int, int]:
        return (
            await scalar(platform.database("matching"), "SELECT count(*) FROM candidates WHERE city = $1", city),
            await scalar(
                reporting_db, "SELECT count(*) FROM funnel_stages WHERE city = $1 AND stage = 'registered'", city
            ),
        )

    counts = await until(applied, lambda c: c == (good + 1, good), timeout=300)
    expected = sorted((c, event_id) for c in CONSUMERS for event_id in bad_ids if event_id not in unread[c])
    letters = await read_all(platform.bootstrap, f"^{re.escape(dead_letter_topic(topic))}$", expect=len(expected))
    parked = sorted((header(r, "mile_dlt_consumer"), header(r, "ce_id")) for r in letters)
    leaks_in_headers = sum(marker.encode() in value for r in letters for _, value in (r.headers or ()))
    logs = platform.logs()
    retries = logs.count("transient failure")
    figures = (
        f"events={len(records)} bad={BAD} applied(matching,reporting)={counts} dead_letters={len(letters)} "
        f"transient_retries={retries} personal_data_in_headers={leaks_in_headers} "
        f"personal_data_in_logs={logs.count(marker)}"
    )
    print(figures)
    assert parked == expected, f"{figures}; parked={parked}"
    for letter in letters:
        names = {name.removeprefix("mile_dlt_") for name, _ in letter.headers or () if name.startswith("mile_dlt_")}
        assert names == DLT_HEADERS, f"{figures}; headers={names}"
        assert header(letter, "mile_dlt_topic") == topic
        assert header(letter, "mile_dlt_offset").isdigit() and header(letter, "mile_dlt_partition").isdigit()
    assert retries >= 1, f"the transient failure was never retried: {figures}"
    assert leaks_in_headers == 0 and marker not in logs, figures
    # nothing stays blocked: an event published after the bad ones is still applied by both
    await publish(platform.bootstrap, [as_record(registration(city))])
    await until(applied, lambda c: c == (good + 2, good + 1), timeout=120)


def header_value(headers: list[tuple[str, bytes]], name: str) -> str:
    return dict(headers)[name].decode()
