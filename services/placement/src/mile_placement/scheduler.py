"""The follow-up scheduler: moves due follow-ups on and announces them, durably and once.

Each tick runs in one transaction per batch: it claims rows whose time has come with
``FOR UPDATE SKIP LOCKED``, changes their state and writes their events to the outbox
before committing. Another replica skips the rows this one holds, and once committed a
row no longer matches, so a follow-up falls due (and is missed) exactly once however many
replicas run. Nothing lives in memory: a restart resumes from the table.
"""

from datetime import datetime, timedelta

import asyncpg
from prometheus_client import Gauge

from mile_placement import followups, repository
from mile_platform.clock import Clock
from mile_platform.outbox import add_events

OVERDUE_AFTER = timedelta(days=7)
"""A follow-up still unrecorded a week after falling due is overdue: its window is closing."""

FOLLOW_UPS_OVERDUE = Gauge(
    "mile_followups_overdue", "Follow-ups due for over a week and not yet recorded", ["service", "city"]
)


class FollowUpScheduler:
    def __init__(self, *, pool: asyncpg.Pool, clock: Clock, batch_size: int) -> None:
        self._pool = pool
        self._clock = clock
        self._batch_size = batch_size

    async def tick(self) -> int:
        """Handle everything due at the clock's current time; returns how many follow-ups moved on."""
        now = self._clock()
        moved = 0
        while (batch := await self._fall_due(now)) == self._batch_size:
            moved += batch
        moved += batch
        while (batch := await self._miss(now)) == self._batch_size:
            moved += batch
        await self._count_overdue(now)
        return moved + batch

    async def _count_overdue(self, now: datetime) -> None:
        rows = await self._pool.fetch(
            """SELECT p.city, count(*) AS n FROM follow_ups f JOIN placements p USING (placement_id)
               WHERE f.state = 'due' AND f.due_at < $1 GROUP BY p.city""",
            now - OVERDUE_AFTER,
        )
        FOLLOW_UPS_OVERDUE.clear()
        for row in rows:
            FOLLOW_UPS_OVERDUE.labels("placement", row["city"]).set(row["n"])

    async def _fall_due(self, now: datetime) -> int:
        async with self._pool.acquire() as conn, conn.transaction():
            claimed = await repository.claim_falling_due(conn, now, self._batch_size)
            events = [followups.fall_due(follow_up, now)[1] for follow_up in claimed]
            await repository.mark_due(conn, [f.follow_up_id for f in claimed], now)
            await add_events(conn, events)
        return len(claimed)

    async def _miss(self, now: datetime) -> int:
        async with self._pool.acquire() as conn, conn.transaction():
            claimed = await repository.claim_missed(conn, now, self._batch_size)
            events = [followups.miss(follow_up, now)[1] for follow_up in claimed]
            await repository.mark_missed(conn, [f.follow_up_id for f in claimed], now)
            await add_events(conn, events)
        return len(claimed)
