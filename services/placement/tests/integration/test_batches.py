"""One consumer batch mixing decisions, a vacancy and an erasure applies as if one event at a time.

Decisions are applied a run at a time; a run must still see the vacancy and the erasure
that came before it in the batch, and none that come after.
"""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest

from mile_devstack.testing import delivered
from mile_placement import subscribers
from mile_platform.migrations import apply_migrations
from mile_schemas import Event, MatchDecided, MatchDecision, ParticipantErased, VacancyKind, VacancyOpened

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC).replace(microsecond=0)
CITY = "milan"


def _decision(vacancy_id: uuid.UUID, participant_id: uuid.UUID, decision: MatchDecision) -> MatchDecided:
    return MatchDecided(
        match_id=uuid.uuid4(),
        vacancy_id=vacancy_id,
        participant_id=participant_id,
        city=CITY,
        decision=decision,
        decided_at=NOW - timedelta(days=2),
    )


async def test_a_mixed_batch_applies_in_order(fresh_database: Callable[[str], Awaitable[str]]) -> None:
    vacancy = VacancyOpened(
        vacancy_id=uuid.uuid4(),
        city=CITY,
        employer_id=uuid.uuid4(),
        kind=VacancyKind.JOB,
        title="Plumber",
        isco08="7126",
        municipality="Sesto San Giovanni",
        hours_per_week=30,
        start_date=date(2026, 4, 1),
        opened_at=NOW - timedelta(days=10),
    )
    erased, kept = uuid.uuid4(), uuid.uuid4()
    before_vacancy = _decision(vacancy.vacancy_id, kept, MatchDecision.ACCEPTED)
    before_erasure = _decision(vacancy.vacancy_id, erased, MatchDecision.ACCEPTED)
    rejected = _decision(vacancy.vacancy_id, kept, MatchDecision.REJECTED)
    after_erasure = _decision(vacancy.vacancy_id, erased, MatchDecision.ACCEPTED)
    after_all = _decision(vacancy.vacancy_id, kept, MatchDecision.ACCEPTED)
    batch: list[Event] = [
        before_vacancy,
        vacancy,
        before_erasure,
        rejected,
        ParticipantErased(participant_id=erased, city=CITY, erased_at=NOW - timedelta(days=1)),
        after_erasure,
        after_all,
        after_all,  # a second copy in the same run
    ]
    pool = await asyncpg.create_pool(await fresh_database("placement_batches"), min_size=1, max_size=2)
    try:
        await apply_migrations(pool, ["mile_platform", "mile_placement"])
        async with pool.acquire() as conn, conn.transaction():
            await subscribers.apply(conn, [delivered(event, offset) for offset, event in enumerate(batch)])
        rows = await pool.fetch("SELECT match_id, state, kind FROM placements")
    finally:
        await pool.close()

    assert {row["match_id"]: (row["state"], row["kind"]) for row in rows} == {
        before_vacancy.match_id: ("proposed", "job"),  # the kind filled in when the vacancy came
        before_erasure.match_id: ("cancelled", "job"),
        after_all.match_id: ("proposed", "job"),
    }


@pytest.mark.parametrize("first", ["erasure", "decision"])
async def test_an_erasure_and_a_decision_applied_side_by_side_leave_no_placement_proposed(
    fresh_database: Callable[[str], Awaitable[str]], first: str
) -> None:
    """Two replicas apply them at once (they travel on different topics): whichever began first, the
    other waits for its commit, so the erased participant ends with no placement proposed."""
    participant = uuid.uuid4()
    decision = _decision(uuid.uuid4(), participant, MatchDecision.ACCEPTED)
    erasure = ParticipantErased(participant_id=participant, city=CITY, erased_at=NOW - timedelta(days=1))
    earlier, later = (erasure, decision) if first == "erasure" else (decision, erasure)
    pool = await asyncpg.create_pool(await fresh_database("placement_side_by_side"), min_size=2, max_size=2)
    try:
        await apply_migrations(pool, ["mile_platform", "mile_placement"])
        async with pool.acquire() as one, pool.acquire() as other:
            begun = one.transaction()
            await begun.start()
            await subscribers.apply(one, [delivered(earlier, 0)])
            beside = other.transaction()
            await beside.start()
            second = asyncio.create_task(subscribers.apply(other, [delivered(later, 0)]))
            await asyncio.sleep(0.5)
            assert not second.done()  # it waits for the first to commit
            await begun.commit()
            await second
            await beside.commit()
        states = [row["state"] for row in await pool.fetch("SELECT state FROM placements")]
    finally:
        await pool.close()

    assert states == ([] if first == "erasure" else ["cancelled"])
