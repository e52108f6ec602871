"""Ranking for the HTTP API: an in-memory candidate index, rebuilt when candidates change.

The index may be a few seconds old (at most ``index_max_age_s``); what it returns is checked
against the database before anyone sees it, so an erased or withdrawn participant never
appears and every score and reason comes from the current profile.
"""

import asyncio
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg

from mile_matching import domain, repository
from mile_matching.index import Candidate, CandidateIndex, top_candidates
from mile_matching.settings import MatchingSettings
from mile_matching.views import candidate_profile, vacancy_spec
from mile_schemas import CandidateProfile, VacancyOpened


def build_index(rows: Sequence[Mapping[str, Any]]) -> CandidateIndex:
    return CandidateIndex(
        [
            Candidate(
                participant_id=row["participant_id"],
                city=row["city"],
                profile=CandidateProfile.model_validate_json(row["profile"]),
                placed=row["placed"],
            )
            for row in rows
        ]
    )


class IndexHolder:
    """One index per process; rebuilt off the event loop when the candidates' fingerprint moved."""

    def __init__(self, max_age_s: float) -> None:
        self._max_age_s = max_age_s
        self._index = CandidateIndex([])
        self._fingerprint: tuple[Any, ...] | None = None
        self._checked = float("-inf")
        self._lock = asyncio.Lock()

    async def current(self, conn: asyncpg.Connection) -> CandidateIndex:
        async with self._lock:
            if time.monotonic() - self._checked >= self._max_age_s:
                fingerprint = await repository.candidates_fingerprint(conn)
                if fingerprint != self._fingerprint:
                    rows = await repository.all_candidates(conn)
                    self._index = await asyncio.to_thread(build_index, rows)
                    self._fingerprint = fingerprint
                self._checked = time.monotonic()
            return self._index


async def rank_for_vacancy(
    conn: asyncpg.Connection,
    holder: IndexHolder,
    vacancy: Mapping[str, Any],
    *,
    settings: MatchingSettings,
    limit: int,
    offset: int,
    city: str | None,
    min_score: float,
) -> list[tuple[uuid.UUID, str, domain.Assessment]]:
    """One page of the vacancy's eligible candidates, best first, each re-assessed on today's profile."""
    index = await holder.current(conn)
    spec = vacancy_spec(vacancy)
    mask = None if city is None else index.city == city
    # Ask for a few more than the page: some may have left or changed since the index was built.
    wanted = offset + limit
    found = top_candidates(
        index, spec, k=wanted + max(10, wanted // 10), weights=settings.weights, rules=settings.rules, mask=mask
    )
    ids = [r.candidate.participant_id for r in found]
    fresh = {row["participant_id"]: row for row in await repository.candidates_by_id(conn, ids)}
    ranked = domain.rank((pid, _reassess(spec, fresh[pid], settings)) for pid in ids if pid in fresh)
    cities = {pid: row["city"] for pid, row in fresh.items()}
    return [(pid, cities[pid], a) for pid, a in ranked if a.score >= min_score][offset:wanted]


def _reassess(spec: VacancyOpened, row: Mapping[str, Any], settings: MatchingSettings) -> domain.Assessment:
    return domain.assess(
        spec, candidate_profile(row), weights=settings.weights, rules=settings.rules, placed=row["placed"]
    )


def rank_vacancies(
    profile: CandidateProfile,
    vacancies: Sequence[Mapping[str, Any]],
    *,
    placed: bool,
    settings: MatchingSettings,
    limit: int,
    offset: int,
    min_score: float,
) -> list[tuple[Mapping[str, Any], domain.Assessment]]:
    """One page of the open vacancies the participant is eligible for, best fit first."""
    assessed = [
        (row, domain.assess(vacancy_spec(row), profile, weights=settings.weights, rules=settings.rules, placed=placed))
        for row in vacancies
    ]
    eligible = [(row, a) for row, a in assessed if a.eligible and a.score >= min_score]
    eligible.sort(key=lambda item: (-item[1].score, str(item[0]["id"])))
    return eligible[offset : offset + limit]
