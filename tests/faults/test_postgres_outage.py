"""PostgreSQL stopped for 30 s while registrations keep arriving.

The platform runs on a PostgreSQL of this test's own (the session's server is shared). While it
is down every service's /readyz answers 503; no consumer commits an offset past an event whose
database transaction had not committed before the outage; afterwards the backlog drains and
every event is applied once (lost = 0), and the drain time is printed.
"""

import asyncio
import contextlib
import re
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from mile_devstack.postgres import LocalPostgres
from mile_devstack.processes import free_port
from mile_schemas import participants_topic

from .conftest import MakePlatform
from .kit import Platform, as_record, committed_offsets, header, publish, query, read_all, registration, scalar, until

pytestmark = pytest.mark.faults
OUTAGE_S = 30.0
RATE_PER_S = 100
SERVICES = ("matching", "reporting")


async def test_postgres_outage_fails_readiness_commits_no_offset_early_and_drains_after(
    make_platform: MakePlatform, tmp_path: Path
) -> None:
    server = LocalPostgres(tmp_path / "pgdata", free_port(), fsync=False)
    await server.start()
    try:
        await run_outage(await make_platform(server=server), server)
    finally:
        server.stop()


async def run_outage(platform: Platform, server: LocalPostgres) -> None:
    (city,) = platform.cities
    topic = participants_topic(city)
    only_topic = f"^{re.escape(topic)}$"
    await platform.start(*SERVICES)
    loop = asyncio.get_running_loop()
    sent: list[uuid.UUID] = []
    stop_load = asyncio.Event()

    async def load() -> None:
        while not stop_load.is_set():
            batch = [registration(city) for _ in range(RATE_PER_S // 5)]
            await publish(platform.bootstrap, [as_record(event) for event in batch])
            sent.extend(event.participant_id for event in batch)
            await asyncio.sleep(0.2)

    loader = asyncio.create_task(load())
    probes: dict[str, list[int]] = defaultdict(list)
    samples: list[dict[str, dict]] = []
    try:
        await asyncio.sleep(5)
        down_at = datetime.now(UTC)
        await asyncio.to_thread(server.stop)
        down_since = loop.time()
        async with httpx.AsyncClient(timeout=5.0) as client:
            while loop.time() - down_since < OUTAGE_S:
                for service in SERVICES:
                    with contextlib.suppress(httpx.TransportError):
                        probes[service].append((await client.get(f"{platform.url(service)}/readyz")).status_code)
                if loop.time() - down_since > 5:  # let commits already on their way settle
                    group = platform.group
                    samples.append(
                        {s: await committed_offsets(platform.bootstrap, group(s), only_topic) for s in SERVICES}
                    )
                await asyncio.sleep(2)
        await server.start()
        up_at = loop.time()
        await asyncio.sleep(5)
    finally:
        stop_load.set()
        await loader
    total = len(sent)

    async def applied() -> int:
        return await scalar(
            platform.database("reporting"),
            "SELECT count(*) FROM funnel_stages WHERE city = $1 AND stage = 'registered'",
            city,
        )

    await until(applied, lambda n: n >= total, timeout=300)
    await until(
        lambda: scalar(platform.database("matching"), "SELECT count(*) FROM candidates WHERE city = $1", city),
        lambda n: n >= total,
        timeout=300,
    )
    drain_s = loop.time() - up_at
    ready_after = {}
    async with httpx.AsyncClient(timeout=5.0) as client:
        for service in SERVICES:
            ready_after[service] = (await client.get(f"{platform.url(service)}/readyz")).status_code

    # every offset committed during the outage covers only events whose transaction committed before it
    records = await read_all(platform.bootstrap, only_topic, expect=total)
    early = 0
    for service in SERVICES:
        inbox = {
            r["event_id"]: r["received_at"]
            for r in await query(
                platform.database(service), "SELECT event_id, received_at FROM mile_inbox WHERE consumer = $1", service
            )
        }
        for sample in samples:
            for record in records:
                tp = next(tp for tp in sample[service] if tp.partition == record.partition)
                if record.offset < sample[service][tp]:
                    claimed = inbox.get(uuid.UUID(header(record, "ce_id")))
                    early += claimed is None or claimed >= down_at
    lost = total - await applied()
    figures = (
        f"events={total} outage_s={OUTAGE_S:.0f} readyz_while_down={dict(probes)} offset_samples={len(samples)} "
        f"offsets_committed_before_db_commit={early} lost={lost} drain_s={drain_s:.1f} readyz_after={ready_after}"
    )
    print(figures)
    for statuses in probes.values():
        assert statuses and all(status == 503 for status in statuses), figures
    assert samples and early == 0, figures
    assert lost == 0, figures
    assert all(status == 200 for status in ready_after.values()), figures
