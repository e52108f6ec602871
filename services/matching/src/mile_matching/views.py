"""What matching shows liaisons and caseworkers: vacancies, ranked candidates, matches."""

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel

from mile_matching.domain import MatchStatus, assess, rank
from mile_schemas import (
    CandidateProfile,
    ESCOUri,
    ISCO08Code,
    LanguageRequirement,
    LegalStatus,
    VacancyKind,
    VacancyOpened,
)


class VacancyView(BaseModel):
    vacancy_id: uuid.UUID
    employer_id: uuid.UUID
    city: str
    kind: VacancyKind
    title: str
    isco08: ISCO08Code
    esco_uri: ESCOUri | None
    essential_skills: list[str]
    optional_skills: list[str]
    languages: list[LanguageRequirement]
    municipality: str
    latitude: float | None
    longitude: float | None
    positions: int
    filled: int
    hours_per_week: int
    start_date: date
    closing_date: date | None
    accepted_legal_statuses: list[LegalStatus]
    status: Literal["open", "closed"]
    opened_at: datetime
    closed_at: datetime | None
    close_reason: str | None


class RankedCandidate(BaseModel):
    """A candidate as a liaison may see one: pseudonymous id, city, score and why."""

    participant_id: uuid.UUID
    city: str
    score: float
    reasons: list[str]


class MatchView(BaseModel):
    match_id: uuid.UUID
    vacancy_id: uuid.UUID
    participant_id: uuid.UUID
    city: str
    score: float
    reasons: list[str]
    status: MatchStatus
    decision_reason: str | None
    proposed_at: datetime
    decided_at: datetime | None


def vacancy_spec(row: Mapping[str, Any]) -> VacancyOpened:
    """The vacancy's requirements as they were opened."""
    return VacancyOpened.model_validate(json.loads(row["spec"]))


def candidate_profile(row: Mapping[str, Any]) -> CandidateProfile:
    return CandidateProfile.model_validate(json.loads(row["profile"]))


def vacancy_view(row: Mapping[str, Any]) -> VacancyView:
    spec = vacancy_spec(row)
    return VacancyView.model_validate(
        {
            **spec.model_dump(),
            "positions": row["positions"],
            "filled": row["filled"],
            "status": row["status"],
            "closed_at": row["closed_at"],
            "close_reason": row["close_reason"],
        }
    )


def match_view(row: Mapping[str, Any]) -> MatchView:
    return MatchView(
        match_id=row["id"],
        vacancy_id=row["vacancy_id"],
        participant_id=row["participant_id"],
        city=row["city"],
        score=row["score"],
        reasons=list(row["reasons"]),
        status=row["status"],
        decision_reason=row["decision_reason"],
        proposed_at=row["proposed_at"],
        decided_at=row["decided_at"],
    )


def ranked_candidates(
    vacancy: Mapping[str, Any], candidates: Sequence[Mapping[str, Any]], *, limit: int
) -> list[RankedCandidate]:
    """The eligible candidates for the vacancy, best first, each with the reasons for its score."""
    spec = vacancy_spec(vacancy)
    cities = {row["participant_id"]: row["city"] for row in candidates}
    ranked = rank((row["participant_id"], assess(spec, candidate_profile(row))) for row in candidates)
    return [
        RankedCandidate(participant_id=pid, city=cities[pid], score=a.score, reasons=list(a.reasons))
        for pid, a in ranked[:limit]
    ]
