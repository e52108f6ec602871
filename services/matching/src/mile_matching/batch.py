"""The batch-assignment command: read the region's vacancies and candidates, solve, propose.

Runs in one transaction with the region's open vacancies locked, so proposals made at the
same time by the consumer or the HTTP API can never push a vacancy past its room.
"""

import asyncio
import uuid
from collections import defaultdict

import asyncpg
import numpy as np
from pydantic import BaseModel

from mile_matching import assignment, domain, proposals, repository
from mile_matching.commands import AssignBatch
from mile_matching.ranking import build_index
from mile_matching.settings import MatchingSettings
from mile_matching.views import vacancy_spec


class ProposedPair(BaseModel):
    match_id: uuid.UUID
    vacancy_id: uuid.UUID
    participant_id: uuid.UUID
    city: str
    score: float


class AssignmentView(BaseModel):
    """What the batch proposed: how many, their total score, and each proposal."""

    cities: list[str]
    vacancies: int
    candidates: int
    proposed: int
    total_score: float
    proposals: list[ProposedPair]


async def assign_batch(conn: asyncpg.Connection, command: AssignBatch, settings: MatchingSettings) -> AssignmentView:
    cities = list(command.cities)
    await repository.lock_proposing(conn)
    vacancy_rows = await repository.lock_vacancies_of(conn, cities)
    rows = await repository.candidates_without_open_proposal(conn, cities)
    specs = [vacancy_spec(row) for row in vacancy_rows]
    # Free positions not already promised to a proposal awaiting its decision.
    capacity = [max(0, row["positions"] - row["filled"] - row["open_proposals"]) for row in vacancy_rows]
    index = await asyncio.to_thread(build_index, rows)
    edges = await asyncio.to_thread(
        assignment.candidate_edges,
        index,
        specs,
        capacity,
        weights=settings.weights,
        rules=settings.rules,
        min_score=settings.min_score if command.min_score is None else command.min_score,
        per_position=settings.assignment_candidates_per_position,
    )
    edges = _without_earlier_pairs(
        edges, index.ids, specs, await repository.matched_pairs(conn, [s.vacancy_id for s in specs])
    )
    balance = assignment.Balance(min_refugee_share=command.min_refugee_share, city_balance=command.city_balance)
    chosen = await asyncio.to_thread(
        assignment.solve, edges, capacity, refugee=assignment.refugees(index), city=index.city, balance=balance
    )
    by_vacancy: dict[int, list[tuple[uuid.UUID, str, domain.Assessment]]] = defaultdict(list)
    for e in chosen.tolist():
        spec, candidate = specs[int(edges.vacancy[e])], index.candidates[int(edges.candidate[e])]
        verdict = domain.assess(
            spec, candidate.profile, weights=settings.weights, rules=settings.rules, placed=candidate.placed
        )
        by_vacancy[int(edges.vacancy[e])].append((candidate.participant_id, candidate.city, verdict))
    made: list[ProposedPair] = []
    for v, chosen_pairs in sorted(by_vacancy.items()):
        for event in await proposals.record(conn, specs[v].vacancy_id, chosen_pairs):
            made.append(
                ProposedPair(
                    match_id=event.match_id,
                    vacancy_id=event.vacancy_id,
                    participant_id=event.participant_id,
                    city=event.city,
                    score=event.score,
                )
            )
    return AssignmentView(
        cities=cities,
        vacancies=len(specs),
        candidates=len(index),
        proposed=len(made),
        total_score=round(sum(p.score for p in made), 3),
        proposals=made,
    )


def _without_earlier_pairs(
    edges: assignment.Edges, ids: list[uuid.UUID], specs: list, earlier: set[tuple[uuid.UUID, uuid.UUID]]
) -> assignment.Edges:
    """A pair proposed before (whatever became of it) is never proposed again."""
    if not earlier:
        return edges
    keep = np.array(
        [
            (specs[v].vacancy_id, ids[c]) not in earlier
            for c, v in zip(edges.candidate.tolist(), edges.vacancy.tolist(), strict=True)
        ],
        dtype=bool,
    )
    return assignment.Edges(edges.candidate[keep], edges.vacancy[keep], edges.score[keep])
