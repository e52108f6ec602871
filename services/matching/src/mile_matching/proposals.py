"""Choosing and recording proposals, from either side: a vacancy (here) or a run of candidates
(``mile_matching.profiles``), by the same rules.

Runs in the caller's transaction and locks each vacancy it proposes for, so the HTTP API and
the consumer can never together exceed a vacancy's room for open proposals.
"""

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg
from pydantic_core import to_json

from mile_matching import domain, repository
from mile_matching.settings import MatchingSettings
from mile_matching.views import candidate_profile, vacancy_spec
from mile_platform.outbox import add_events
from mile_schemas import MatchProposed


async def propose_for_vacancy(conn: asyncpg.Connection, vacancy_id: uuid.UUID, settings: MatchingSettings) -> None:
    """Fill the vacancy's room with the best candidates not yet proposed for it."""
    vacancy = await repository.lock_vacancy(conn, vacancy_id)
    if vacancy is None or vacancy["status"] != "open":
        return
    room = _room(vacancy, settings)
    if room == 0:
        return
    spec = vacancy_spec(vacancy)
    rows = await repository.candidates_without_match(
        conn, vacancy_id, [requirement.language for requirement in spec.languages]
    )
    cities = {row["participant_id"]: row["city"] for row in rows}
    assessed = [
        (
            row["participant_id"],
            domain.assess(
                spec, candidate_profile(row), weights=settings.weights, rules=settings.rules, placed=row["placed"]
            ),
        )
        for row in rows
    ]
    chosen = domain.choose_proposals(assessed, min_score=settings.min_score, room=room)
    await record(conn, vacancy_id, [(pid, cities[pid], assessment) for pid, assessment in chosen])


def _room(vacancy: Mapping[str, Any], settings: MatchingSettings) -> int:
    """How many more proposals the vacancy (a row with its ``open_proposals``) may take."""
    return domain.proposal_room(
        positions=vacancy["positions"],
        filled=vacancy["filled"],
        open_proposals=vacancy["open_proposals"],
        per_position=settings.proposals_per_position,
    )


def proposal(
    vacancy_id: uuid.UUID, participant_id: uuid.UUID, city: str, assessment: domain.Assessment, at: datetime
) -> MatchProposed:
    """A new proposal, as the event that announces it (and the row that stores it)."""
    return MatchProposed(
        match_id=uuid.uuid4(),
        vacancy_id=vacancy_id,
        participant_id=participant_id,
        city=city,
        score=assessment.score,
        reasons=assessment.reasons,
        proposed_at=at,
    )


async def record(
    conn: asyncpg.Connection,
    vacancy_id: uuid.UUID,
    chosen: Sequence[tuple[uuid.UUID, str, domain.Assessment]],
) -> list[MatchProposed]:
    """Store each proposal not made before and write its ``MatchProposed``; returns those events."""
    now = datetime.now(UTC)
    events = await store(conn, [proposal(vacancy_id, pid, city, assessment, now) for pid, city, assessment in chosen])
    await add_events(conn, events)
    return events


async def store(conn: asyncpg.Connection, proposed: Sequence[MatchProposed]) -> list[MatchProposed]:
    """Store the proposals in one statement; returns those stored, in order (a pair proposed
    before is never stored twice). Their events are the caller's to write."""
    if not proposed:
        return []
    stored = await repository.insert_matches(
        conn,
        match_ids=[p.match_id for p in proposed],
        vacancy_ids=[p.vacancy_id for p in proposed],
        participant_ids=[p.participant_id for p in proposed],
        cities=[p.city for p in proposed],
        scores=[p.score for p in proposed],
        reasons=[to_json(p.reasons).decode() for p in proposed],
        proposed_at=[p.proposed_at for p in proposed],
    )
    return [p for p in proposed if p.match_id in stored]
