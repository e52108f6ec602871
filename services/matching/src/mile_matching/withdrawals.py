"""Withdrawing waiting proposals that a change made ineligible.

A proposal waits for a caseworker's decision; when the vacancy's requirements change, the
participant's profile changes, or the participant is placed elsewhere, it may no longer meet
a hard constraint. Matching then decides it itself: ``MatchDecided`` with decision
``rejected`` and reason ``no_longer_eligible``, so placement, intake and reporting learn of it
through the contract they already read, and the vacancy's room is freed for the next candidate.
"""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from mile_matching import domain, repository
from mile_matching.settings import MatchingSettings
from mile_matching.views import candidate_profile, vacancy_spec
from mile_platform.outbox import add_events
from mile_schemas import CandidateProfile, MatchDecided, MatchDecision, VacancyOpened

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


@dataclass(frozen=True)
class Waiting:
    """A proposal awaiting a decision, with the requirements of its vacancy."""

    match_id: uuid.UUID
    vacancy_id: uuid.UUID
    participant_id: uuid.UUID
    city: str  # the participant's
    vacancy: VacancyOpened

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> "Waiting":
        """From a match row joined with its vacancy's ``spec``."""
        return cls(row["id"], row["vacancy_id"], row["participant_id"], row["city"], vacancy_spec(row))


def withdrawal(
    waiting: Waiting, profile: CandidateProfile, *, placed: bool, settings: MatchingSettings, at: datetime
) -> MatchDecided | None:
    """The withdrawal of a waiting proposal its candidate no longer qualifies for; None while they still do."""
    if not domain.ineligibility(waiting.vacancy, profile, rules=settings.rules, placed=placed):
        return None
    return MatchDecided(
        match_id=waiting.match_id,
        vacancy_id=waiting.vacancy_id,
        participant_id=waiting.participant_id,
        city=waiting.city,
        decision=MatchDecision.REJECTED,
        reason=NO_LONGER_ELIGIBLE,
        decided_at=at,
    )


async def store(conn: asyncpg.Connection, withdrawn: Sequence[MatchDecided]) -> None:
    """Decide the withdrawn proposals in one statement; their events are the caller's to write."""
    if withdrawn:
        await repository.reject_matches(
            conn,
            [w.match_id for w in withdrawn],
            reason=NO_LONGER_ELIGIBLE,
            decided_at=[w.decided_at for w in withdrawn],
        )


async def _withdraw(
    conn: asyncpg.Connection, rows: Sequence[asyncpg.Record], settings: MatchingSettings
) -> list[uuid.UUID]:
    now = datetime.now(UTC)
    withdrawn = [
        event
        for row in rows
        if (
            event := withdrawal(
                Waiting.of(row), candidate_profile(row), placed=row["placed"], settings=settings, at=now
            )
        )
        is not None
    ]
    await store(conn, withdrawn)
    await add_events(conn, withdrawn)
    return sorted({event.vacancy_id for event in withdrawn})
