"""The offered load: registrations at a fixed rate across the cities, and the caseworkers behind them.

Registrations are sent open-loop (each at its scheduled time, whether earlier ones have answered
or not), so a slow system shows as latency rather than as a lower offered rate. Beside them the
bench acts as caseworkers: it accepts the first proposal of a share of the participants (read from
the matches topic, as a frontend's notifications would be), then confirms and starts every
placement it finds proposed. A watcher polls reporting's database for when each participant became visible
there as registered and as placed.
"""

from __future__ import annotations

import asyncio
import math
import re
import resource
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import asyncpg
from aiokafka import AIOKafkaConsumer

from mile_devstack.demo import PLUMBER, Person, employer_request, participant_request, vacancy_request
from mile_platform.broker import topic_partitions
from mile_schemas import MATCHES, MatchProposed, from_headers, parse_event

from .infra import Platform

# One language per city, so each participant fits exactly their own city's vacancies.
LANGUAGES = ("it", "es", "de", "el", "pt", "fr", "nl", "pl", "ro", "sv")
POSITIONS = 1000  # the most one vacancy may have
WATCH_INTERVAL_S = 0.05
# Requests in flight per service; more wait in the bench (and count in their latency), outside
# the client, so its timeout covers the request alone.
IN_FLIGHT = 32
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=60.0)
PLACER_INTERVAL_S = 0.3
# A request whose connection broke or timed out is sent again under its Idempotency-Key, as a frontend would:
# the service answers it once, whether or not the first try reached it.
ATTEMPTS = 3


@dataclass
class Journey:
    """One participant's way through the platform, in ``time.monotonic()`` seconds."""

    city: str
    sent: float
    chosen: bool  # one whose first proposal the bench accepts, to go on to a placement
    committed: float | None = None
    registered_seen: float | None = None
    accepted: bool = False
    placement_started: bool = False
    placed_seen: float | None = None


@dataclass
class LoadResult:
    offered: int
    rate: float
    accept_share: float
    journeys: dict[str, Journey]
    http_ms: list[float]
    errors: dict[str, int]
    retries: int
    send_window_s: float
    bench_cpu_s: float
    wall_s: float
    vacancies: dict[str, list[uuid.UUID]]


@dataclass
class _Run:
    platform: Platform
    # aiohttp, not httpx: on the same 2 CPUs as the platform, httpx's client took a sixth of
    # them at 200 requests/s, and its event loop lagged the commit and visibility it timed.
    clients: dict[str, aiohttp.ClientSession]  # one per service, behind its gate of IN_FLIGHT
    languages: dict[str, str]
    accept_share: float
    journeys: dict[str, Journey] = field(default_factory=dict)
    http_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    gates: dict[str, asyncio.Semaphore] = field(default_factory=dict)
    samples: dict[str, str] = field(default_factory=dict)  # the first answer of each kind of failure
    answered: int = 0  # registrations answered, with success or not
    retries: int = 0  # requests sent again after a broken connection or a timeout
    unseen: set[str] = field(default_factory=set)  # committed or started, not yet seen in reporting
    _tokens: dict[str, dict[str, str]] = field(default_factory=dict)

    def headers(self, city: str) -> dict[str, str]:
        """A caseworker of ``city`` (one token per city and run)."""
        if city not in self._tokens:
            self._tokens[city] = self.platform.auth(city)
        return self._tokens[city]

    def spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def post(
        self, what: str, service: str, path: str, body: dict[str, Any], headers: dict[str, str]
    ) -> dict[str, Any] | None:
        headers = {"Idempotency-Key": str(uuid.uuid4()), **headers}
        for attempt in range(1, ATTEMPTS + 1):
            try:
                async with (
                    self.gates[service],
                    self.clients[service].post(path, json=body, headers=headers) as response,
                ):
                    if response.status >= 300:
                        self.error(f"{what}: HTTP {response.status}", await response.text())
                        return None
                    answer: dict[str, Any] = await response.json()
                    return answer
            except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, TimeoutError) as exc:  # no answer
                if attempt == ATTEMPTS:
                    self.error(f"{what}: {type(exc).__name__}")
                    return None
                self.retries += 1
            except (aiohttp.ClientError, ValueError) as exc:  # ValueError: a body that is no JSON
                self.error(f"{what}: {type(exc).__name__}")
                return None
        return None

    def error(self, what: str, detail: str = "") -> None:
        self.errors[what] = self.errors.get(what, 0) + 1
        self.samples.setdefault(what, detail[:300])


async def run_load(
    platform: Platform, *, rate: float, seconds: float, settle_s: float, accept_share: float
) -> LoadResult:
    """Offer ``rate`` registrations/s for ``seconds``; wait up to ``settle_s`` for the rest to flow.

    Caseworkers accept the first proposal of ``accept_share`` of the participants (chosen by
    participant id); the others are registered and proposed, and stay there.

    Then the bench stops acting and waits up to ``settle_s`` more for every registration it saw
    committed (and every placement it started) to show in reporting: only what is still missing
    after that counts as lost.
    """
    total = max(len(platform.cities), round(rate * seconds))
    languages = dict(zip(platform.cities, LANGUAGES, strict=False))
    async with AsyncExitStack() as clients:
        run = _Run(platform, {}, languages, accept_share)
        for name in platform.specs:
            run.clients[name] = await clients.enter_async_context(
                aiohttp.ClientSession(base_url=platform.url(name), timeout=REQUEST_TIMEOUT)
            )
            run.gates[name] = asyncio.Semaphore(IN_FLIGHT)
        vacancies = await _open_vacancies(run, math.ceil(total / len(platform.cities) / POSITIONS))
        decider = await _decider(run)
        watcher = asyncio.create_task(_watch(run, platform.database_urls["mile_reporting"]))
        actors = [asyncio.create_task(decider()), asyncio.create_task(_place(run))]
        cpu_before, wall_before = own_cpu_s(), time.monotonic()
        try:
            send_window = await _register(run, total, rate)
            deadline = time.monotonic() + settle_s  # the run is bounded: what has not flowed by then is counted
            while time.monotonic() < deadline and not (run.answered == total and _all_flowed(run)):
                await asyncio.sleep(0.2)
            run.done.set()  # no more requests: what was committed or started may still reach reporting
            for task in [*actors, *run.tasks]:
                task.cancel()
            await asyncio.gather(*actors, *run.tasks, return_exceptions=True)
            deadline = time.monotonic() + settle_s
            while time.monotonic() < deadline and run.unseen:
                await asyncio.sleep(0.2)
        finally:
            run.done.set()
            for task in [watcher, *actors, *run.tasks]:
                task.cancel()
            await asyncio.gather(watcher, *actors, *run.tasks, return_exceptions=True)
        return LoadResult(
            offered=total,
            rate=rate,
            accept_share=accept_share,
            journeys=run.journeys,
            http_ms=run.http_ms,
            errors=run.errors,
            retries=run.retries,
            send_window_s=send_window,
            bench_cpu_s=own_cpu_s() - cpu_before,
            wall_s=time.monotonic() - wall_before,
            vacancies=vacancies,
        )


async def _open_vacancies(run: _Run, per_city: int) -> dict[str, list[uuid.UUID]]:
    """Enough room in every city for all its participants, before the first registration."""
    platform = run.platform
    opened: dict[str, list[uuid.UUID]] = {}
    for city in platform.cities:
        liaison = platform.auth(city, "employer_liaison")
        employer = await run.post(
            "register employer",
            "matching",
            "/employers",
            employer_request(f"Plumbers of {city.title()}"),
            liaison,
        )
        if employer is None:
            raise RuntimeError(f"could not register an employer: {run.samples}")
        for n in range(per_city):
            body = vacancy_request(
                city,
                employer_id=employer["employer_id"],
                title=f"Plumbing place {n}",
                isco08=PLUMBER,
                positions=POSITIONS,
                language=run.languages[city],
            )
            view = await run.post("open vacancy", "matching", "/vacancies", body, liaison)
            if view is None:
                raise RuntimeError(f"could not open a vacancy: {run.samples}")
            opened.setdefault(city, []).append(uuid.UUID(view["vacancy_id"]))
    return opened


async def _register(run: _Run, total: int, rate: float) -> float:
    """Send each registration at its time, round-robin over the cities; returns the send window.

    Returns once the last is sent, not answered: a slow system must not stretch the offered rate.
    """
    platform, loop = run.platform, asyncio.get_running_loop()
    surname = f"Bench{platform.run_id}"
    started = loop.time()

    async def register(i: int) -> None:
        city = platform.cities[i % len(platform.cities)]
        person = Person(f"Amina{i}", surname, "1994-03-02", "female", "NG", "refugee", PLUMBER, 3)
        sent = time.monotonic()
        body = await run.post(
            "register",
            f"intake-{city}",
            "/participants",
            participant_request(person, host_language=run.languages[city]),
            run.headers(city),
        )
        run.answered += 1
        if body is not None:
            now = time.monotonic()
            run.http_ms.append((now - sent) * 1000)
            pid = body["participant_id"]
            run.journeys[pid] = Journey(city=city, sent=sent, chosen=_chosen(pid, run.accept_share), committed=now)
            run.unseen.add(body["participant_id"])

    for i in range(total):
        delay = started + i / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        run.spawn(register(i))
    return loop.time() - started


async def _decider(run: _Run) -> Callable[[], Awaitable[None]]:
    """A reader of the matches topic from its current end; accepts each chosen participant's first proposal."""
    platform = run.platform
    # The admin API, not the consumer's metadata: on Apache Kafka partitions_for_topic is None
    # for a topic the consumer does not track yet, even after topics().
    partitions = await topic_partitions({"bootstrap_servers": platform.infra.bootstrap}, re.escape(MATCHES))
    if not partitions:
        raise RuntimeError(f"topic {MATCHES} has no partitions")
    reader = AIOKafkaConsumer(bootstrap_servers=platform.infra.bootstrap, enable_auto_commit=False, group_id=None)
    await reader.start()
    reader.assign(partitions)
    await reader.seek_to_end(*partitions)
    for tp in partitions:
        await reader.position(tp)  # fixes "the end" now, before anything is registered

    async def accept(match_id: uuid.UUID, city: str) -> None:
        await run.post(
            "accept", "matching", f"/matches/{match_id}/decision", {"decision": "accepted"}, run.headers(city)
        )

    async def decide() -> None:
        try:
            while not run.done.is_set():
                for records in (await reader.getmany(timeout_ms=200, max_records=1000)).values():
                    for record in records:
                        meta, _ = from_headers(record.headers or ())
                        if meta.type != MatchProposed.event_type:
                            continue
                        event = parse_event(meta.type, record.value or b"")
                        assert isinstance(event, MatchProposed)
                        journey = run.journeys.get(str(event.participant_id))
                        if journey is not None and journey.chosen and not journey.accepted:
                            journey.accepted = True
                            run.spawn(accept(event.match_id, event.city))
        finally:
            await reader.stop()

    return decide


async def _place(run: _Run) -> None:
    """Confirm and start every proposed placement (once placement knows the vacancy's kind)."""
    platform = run.platform
    terms = {"contract_type": "traineeship", "start_date": "2027-01-11", "weekly_hours": 30}
    handled: set[str] = set()

    async def confirm_and_start(placement: dict[str, Any], headers: dict[str, str]) -> None:
        path = f"/placements/{placement['placement_id']}"
        if await run.post("confirm", "placement", f"{path}/confirm", terms, headers) is None:
            return
        if await run.post("start", "placement", f"{path}/start", {}, headers) is not None:
            journey = run.journeys.get(placement["participant_id"])
            if journey is not None:
                journey.placement_started = True
                run.unseen.add(placement["participant_id"])

    while not run.done.is_set():
        for city in platform.cities:
            headers = run.headers(city)
            try:
                async with (
                    run.gates["placement"],
                    run.clients["placement"].get(
                        "/placements", params={"state": "proposed", "limit": 500}, headers=headers
                    ) as response,
                ):
                    proposed = await response.json() if response.status == 200 else []
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                run.error(f"list placements: {type(exc).__name__}")
                continue
            for placement in proposed:
                if placement["kind"] is not None and placement["placement_id"] not in handled:
                    handled.add(placement["placement_id"])
                    run.spawn(confirm_and_start(placement, headers))
        await asyncio.sleep(PLACER_INTERVAL_S)


async def _watch(run: _Run, reporting_url: str) -> None:
    """Note when each participant first shows in reporting's funnel as registered, then as placed."""
    conn = await asyncpg.connect(reporting_url)
    try:
        while True:  # until cancelled, after the last request had its chance to flow
            waiting = [uuid.UUID(pid) for pid in run.unseen]
            if waiting:
                rows = await conn.fetch(
                    """SELECT participant_id, stage FROM funnel_stages
                       WHERE participant_id = ANY($1::uuid[]) AND stage IN ('registered', 'placed')""",
                    waiting,
                )
                now = time.monotonic()
                for row in rows:
                    journey = run.journeys[str(row["participant_id"])]
                    if row["stage"] == "registered" and journey.registered_seen is None:
                        journey.registered_seen = now
                    elif row["stage"] == "placed" and journey.placed_seen is None:
                        journey.placed_seen = now
                for pid in map(str, waiting):
                    journey = run.journeys[pid]
                    if journey.registered_seen is not None and (
                        journey.placed_seen is not None or not journey.placement_started
                    ):
                        run.unseen.discard(pid)
            await asyncio.sleep(WATCH_INTERVAL_S)
    finally:
        await conn.close()


def _all_flowed(run: _Run) -> bool:
    return all(
        j.registered_seen is not None and (j.placed_seen is not None or not j.chosen) for j in run.journeys.values()
    )


def _chosen(participant_id: str, share: float) -> bool:
    """Whether caseworkers take this participant on to a placement: ``share`` of random (v4) ids."""
    return uuid.UUID(participant_id).int % 1000 < round(share * 1000)


def own_cpu_s() -> float:
    """CPU time of this process (the load generator, or the raw reader) so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
