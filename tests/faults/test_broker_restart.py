"""The Kafka broker crashes (SIGKILL) and comes back while registrations keep arriving over HTTP.

Runs on an Apache Kafka of its own (the session's broker cannot be restarted from here, and
tansu keeps nothing across a restart). Intake keeps committing while the broker is away, its
relay publishes once it is back, and matching and reporting resume: every registration answered
with 201 reaches both (lost = 0); the recovery time is printed.
"""

import asyncio
import contextlib
import uuid
from pathlib import Path

import httpx
import pytest

from mile_devstack.kafka import LocalKafka

from .conftest import MakePlatform
from .kit import person_request, scalar, until

pytestmark = pytest.mark.faults
DOWN_S = 15.0


async def test_broker_crash_under_load_loses_nothing_and_everyone_recovers(
    make_platform: MakePlatform, kafka_libs: Path, tmp_path: Path
) -> None:
    kafka = LocalKafka(kafka_libs, tmp_path / "kafka")
    await kafka.start()
    try:
        platform = await make_platform(bootstrap=kafka.bootstrap, idempotence=True)
        (city,) = platform.cities
        intake = f"intake-{city}"
        await platform.start(intake, "matching", "reporting")
        loop = asyncio.get_running_loop()
        answered: list[uuid.UUID] = []
        during: list[uuid.UUID] = []
        broker_down = asyncio.Event()
        stop = asyncio.Event()

        async def load(client: httpx.AsyncClient) -> None:
            while not stop.is_set():
                with contextlib.suppress(httpx.TransportError):
                    response = await client.post(
                        f"{platform.url(intake)}/participants",
                        json=person_request(uuid.uuid4().hex[:12]),
                        headers=platform.auth(city),
                    )
                    assert response.status_code == 201, response.text
                    participant = uuid.UUID(response.json()["participant_id"])
                    answered.append(participant)
                    if broker_down.is_set():
                        during.append(participant)
                await asyncio.sleep(0.02)

        async with httpx.AsyncClient(timeout=30.0) as client:
            loaders = [asyncio.create_task(load(client)) for _ in range(4)]
            try:
                await asyncio.sleep(8)
                before = len(answered)
                kafka.kill()
                broker_down.set()
                await asyncio.sleep(DOWN_S)
                await kafka.start()
                broker_down.clear()
                back_at = loop.time()
                await asyncio.sleep(8)
            finally:
                stop.set()
                await asyncio.gather(*loaders)

        total = len(answered)

        async def applied() -> tuple[int, int]:
            return (
                await scalar(platform.database("matching"), "SELECT count(*) FROM candidates WHERE city = $1", city),
                await scalar(
                    platform.database("reporting"),
                    "SELECT count(*) FROM funnel_stages WHERE city = $1 AND stage = 'registered'",
                    city,
                ),
            )

        counts = await until(applied, lambda c: min(c) >= total, timeout=300)
        recovered_s = loop.time() - back_at
        lost = total - min(counts)
        figures = (
            f"registered={total} before_crash={before} while_down={len(during)} down_s={DOWN_S:.0f} "
            f"applied(matching,reporting)={counts} lost={lost} caught_up_s_after_restart={recovered_s:.1f}"
        )
        print(figures)
        assert during, f"no registration was committed while the broker was down: {figures}"
        assert lost == 0 and counts == (total, total), figures
    finally:
        kafka.kill()
