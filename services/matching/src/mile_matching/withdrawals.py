"""Withdrawing waiting proposals that a change made ineligible.

A proposal waits for a caseworker's decision; when the vacancy's requirements change, the
participant's profile changes, or the participant is placed elsewhere, it may no longer meet
a hard constraint. Matching then decides it itself: ``MatchDecided`` with decision
``rejected`` and reason ``no_longer_eligible``, so placement, intake and reporting learn of it
through the contract they already read, and the vacancy's room is freed for the next candidate.
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import asyncpg

from mile_matching import domain, repository
from mile_matching.settings import MatchingSettings
from mile_matching.views import candidate_profile, vacancy_spec
from mile_platform.outbox import add_events
from mile_schemas import MatchDecided, MatchDecision

NO_LONGER_ELIGIBLE = "no_longer_eligible"


async def of_vacancy(conn: asyncpg.Connection, vacancy_id: uuid.UUID, settings: MatchingSettings) -> int:
    """Withdraw the vacancy's waiting proposals its (changed) requirements now exclude; returns how many."""
    withdrawn = await _withdraw(conn, await repository.lock_waiting_matches_of_vacancy(conn, vacancy_id), settings)
    return len(withdrawn)


async def of_participant(
    conn: asyncpg.Connection, participant_id: uuid.UUID, settings: MatchingSettings
) -> list[uuid.UUID]:
    """Withdraw the participant's waiting proposals they no longer qualify for; returns those vacancies."""
    rows = await repository.lock_waiting_matches_of_participant(conn, participant_id)
    return await _withdraw(conn, rows, settings)


async def _withdraw(
    conn: asyncpg.Connection, rows: Sequence[asyncpg.Record], settings: MatchingSettings
) -> list[uuid.UUID]:
    now = datetime.now(UTC)
    events: list[MatchDecided] = []
    for row in rows:
        verdict = domain.assess(
            vacancy_spec(row),
            candidate_profile(row),
            weights=settings.weights,
            rules=settings.rules,
            placed=row["placed"],
        )
        if verdict.eligible:
            continue
        await repository.decide_match(
            conn, row["id"], status=MatchDecision.REJECTED.value, reason=NO_LONGER_ELIGIBLE, decided_at=now
        )
        events.append(
            MatchDecided(
                match_id=row["id"],
                vacancy_id=row["vacancy_id"],
                participant_id=row["participant_id"],
                city=row["city"],
                decision=MatchDecision.REJECTED,
                reason=NO_LONGER_ELIGIBLE,
                decided_at=now,
            )
        )
    await add_events(conn, events)
    return sorted({event.vacancy_id for event in events})
