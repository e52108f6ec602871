"""Choosing and recording proposals, from either side: a vacancy or a candidate.

Runs in the caller's transaction and locks each vacancy it proposes for, so the HTTP API and
the consumer can never together exceed a vacancy's room for open proposals.
"""

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg

from mile_matching import domain, repository
from mile_matching.settings import MatchingSettings
from mile_matching.views import candidate_profile, vacancy_spec
from mile_platform.outbox import add_events
from mile_schemas import CandidateProfile, MatchProposed


async def propose_for_vacancy(conn: asyncpg.Connection, vacancy_id: uuid.UUID, settings: MatchingSettings) -> None:
    """Fill the vacancy's room with the best candidates not yet proposed for it."""
    vacancy = await repository.lock_vacancy(conn, vacancy_id)
    if vacancy is None or vacancy["status"] != "open":
        return
    room = _room(vacancy, settings)
    if room == 0:
        return
    spec = vacancy_spec(vacancy)
    rows = await repository.candidates_without_match(conn, vacancy_id)
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


async def propose_candidate(
    conn: asyncpg.Connection,
    *,
    participant_id: uuid.UUID,
    city: str,
    profile: CandidateProfile,
    placed: bool,
    settings: MatchingSettings,
) -> None:
    """Propose the candidate (``placed`` if a placement of theirs is under way) for every open
    vacancy, in any city, that has room and fits."""
    for vacancy in await repository.lock_open_vacancies(conn, participant_id):
        assessment = domain.assess(
            vacancy_spec(vacancy), profile, weights=settings.weights, rules=settings.rules, placed=placed
        )
        chosen = domain.choose_proposals(
            [(participant_id, assessment)], min_score=settings.min_score, room=_room(vacancy, settings)
        )
        await record(conn, vacancy["id"], [(pid, city, a) for pid, a in chosen])


def _room(vacancy: Mapping[str, Any], settings: MatchingSettings) -> int:
    return domain.proposal_room(
        positions=vacancy["positions"],
        filled=vacancy["filled"],
        open_proposals=vacancy["open_proposals"],
        per_position=settings.proposals_per_position,
    )


async def record(
    conn: asyncpg.Connection,
    vacancy_id: uuid.UUID,
    chosen: Sequence[tuple[uuid.UUID, str, domain.Assessment]],
) -> list[MatchProposed]:
    """Store each proposal not made before and write its ``MatchProposed``; returns those events."""
    now = datetime.now(UTC)
    events: list[MatchProposed] = []
    for participant_id, city, assessment in chosen:
        match_id = uuid.uuid4()
        stored = await repository.insert_match(
            conn,
            match_id=match_id,
            vacancy_id=vacancy_id,
            participant_id=participant_id,
            city=city,
            score=assessment.score,
            reasons=list(assessment.reasons),
            proposed_at=now,
        )
        if stored:
            events.append(
                MatchProposed(
                    match_id=match_id,
                    vacancy_id=vacancy_id,
                    participant_id=participant_id,
                    city=city,
                    score=assessment.score,
                    reasons=assessment.reasons,
                    proposed_at=now,
                )
            )
    await add_events(conn, events)
    return events
