"""Two scheduler replicas, one database, a year of time: every follow-up falls due exactly once.

Each replica has its own connection pool (as two placement processes would); the clock
moves a day at a time and both replicas tick together, so they compete for the same rows.
Halfway through one replica is replaced by a fresh one, as after a restart.
"""

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest
from prometheus_client import REGISTRY

from mile_placement import domain, handlers, repository
from mile_placement.commands import EndPlacement
from mile_placement.scheduler import OVERDUE_AFTER, FollowUpScheduler
from mile_placement.settings import PlacementSettings
from mile_platform.migrations import apply_migrations
from mile_platform.outbox import add_events
from mile_schemas import ContractType, FollowUpDue, FollowUpMissed, MatchDecided, MatchDecision, VacancyKind

from .running import MovableClock

pytestmark = pytest.mark.integration
START = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
PLACEMENTS = 40


async def _ended_placements(pool: asyncpg.Pool, settings: PlacementSettings, count: int) -> None:
    """Placements that ended over the first weeks, through the same handlers the API uses."""
    async with pool.acquire() as conn, conn.transaction():
        for index in range(count):
            decision = MatchDecided(
                match_id=uuid.uuid4(),
                vacancy_id=uuid.uuid4(),
                participant_id=uuid.uuid4(),
                city="milan",
                decision=MatchDecision.ACCEPTED,
                decided_at=START - timedelta(days=200),
            )
            proposed = domain.propose(decision, VacancyKind.WORK_EXPERIENCE, participant_erased=False)
            assert proposed is not None
            await repository.insert_placements(conn, [(proposed, decision.decided_at)])
            confirmed, confirmation = domain.confirm(
                proposed,
                kind=None,
                contract_type=ContractType.TRAINEESHIP,
                start_date=date(2025, 7, 1),
                weekly_hours=30,
                tutor_ref=None,
                confirmed_at=START - timedelta(days=190),
            )
            started, start = domain.start(confirmed, START - timedelta(days=180))
            await repository.save_placement(conn, started)
            await add_events(conn, [confirmation, start])
            ended_at = START + timedelta(days=index % 28, hours=index % 7)
            await handlers.end_placement(
                conn, proposed.placement_id, EndPlacement(outcome="completed"), ended_at, settings
            )


async def test_two_replicas_across_a_year_make_each_follow_up_due_exactly_once(
    fresh_database: Callable[[str], Awaitable[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = await fresh_database("placement_scheduler")
    monkeypatch.setenv("PLACEMENT_DATABASE_URL", url)
    settings = PlacementSettings()  # type: ignore[call-arg]
    clock = MovableClock(START)
    pools = [await asyncpg.create_pool(url, min_size=1, max_size=3) for _ in range(3)]
    try:
        await apply_migrations(pools[0], ["mile_platform", "mile_placement"])
        await _ended_placements(pools[0], settings, PLACEMENTS)
        replicas = [FollowUpScheduler(pool=pool, clock=clock, batch_size=7) for pool in pools[:2]]
        moved = 0
        for day in range(430):  # the last 12-month window closes about 422 days in
            if day == 200:  # a restart: a new process with a new pool takes over the first one's share
                await pools[0].close()
                replicas[0] = FollowUpScheduler(pool=pools[2], clock=clock, batch_size=7)
            clock.advance(timedelta(days=1))
            moved += sum(await asyncio.gather(*(replica.tick() for replica in replicas)))

        rows = await pools[1].fetch("SELECT headers, payload FROM mile_outbox")
        by_type: dict[str, Counter[str]] = {FollowUpDue.event_type: Counter(), FollowUpMissed.event_type: Counter()}
        for row in rows:
            event_type = dict(json.loads(row["headers"]))["ce_type"]
            if event_type in by_type:
                by_type[event_type][json.loads(row["payload"])["follow_up_id"]] += 1
        planned = {
            str(r["follow_up_id"]): r["state"]
            for r in await pools[1].fetch("SELECT follow_up_id, state FROM follow_ups")
        }
        assert len(planned) == PLACEMENTS * len(settings.follow_up_offsets_months)
        # Every follow-up fell due exactly once and, with nobody recording, was missed exactly once.
        assert by_type[FollowUpDue.event_type] == Counter(dict.fromkeys(planned, 1))
        assert by_type[FollowUpMissed.event_type] == Counter(dict.fromkeys(planned, 1))
        assert set(planned.values()) == {"missed"}
        assert moved == 2 * len(planned)
    finally:
        for pool in pools[1:]:
            await pool.close()


async def test_follow_ups_unrecorded_a_week_after_falling_due_are_counted_overdue(
    fresh_database: Callable[[str], Awaitable[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gauge behind the "follow-ups overdue" alert rises a week after due and falls when missed."""
    url = await fresh_database("placement_overdue")
    monkeypatch.setenv("PLACEMENT_DATABASE_URL", url)
    settings = PlacementSettings()  # type: ignore[call-arg]
    clock = MovableClock(START)
    pool = await asyncpg.create_pool(url, min_size=1, max_size=3)
    try:
        await apply_migrations(pool, ["mile_platform", "mile_placement"])
        await _ended_placements(pool, settings, 3)
        scheduler = FollowUpScheduler(pool=pool, clock=clock, batch_size=7)

        def overdue() -> float:
            labels = {"service": "placement", "city": "milan"}
            return REGISTRY.get_sample_value("mile_followups_overdue", labels) or 0

        first_due = await pool.fetchval("SELECT max(due_at) FROM follow_ups WHERE offset_months = 1")
        clock.advance(first_due - START + timedelta(days=1))
        await scheduler.tick()
        assert overdue() == 0  # due, but only for a day
        clock.advance(OVERDUE_AFTER)
        await scheduler.tick()
        assert overdue() == 3
        clock.advance(timedelta(days=settings.follow_up_window_days))
        await scheduler.tick()
        assert overdue() == 0  # the window closed: they are missed now, no longer overdue
    finally:
        await pool.close()
