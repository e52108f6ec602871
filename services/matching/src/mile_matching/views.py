"""What matching shows liaisons and caseworkers: vacancies, ranked candidates, matches."""

import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel

from mile_matching.commands import EmployerContact
from mile_matching.domain import Assessment, MatchStatus
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
    updated_at: datetime | None
    closed_at: datetime | None
    close_reason: str | None


class EmployerView(BaseModel):
    """An employer as its city's liaisons see it, contact included."""

    employer_id: uuid.UUID
    city: str
    name: str
    nace: str
    municipality: str
    contact: EmployerContact
    registered_at: datetime


def employer_view(row: Mapping[str, Any]) -> EmployerView:
    return EmployerView(
        employer_id=row["id"],
        city=row["city"],
        name=row["organisation"],
        nace=row["nace"],
        municipality=row["municipality"],
        contact=EmployerContact.model_validate(json.loads(row["contact"])),
        registered_at=row["registered_at"],
    )


class RankedCandidate(BaseModel):
    """A ranked candidate. The caller's own city's participants come with their pseudonymous
    id and the reasons; another city's only with a reference valid for this vacancy, their
    city and score, so no city learns about another's people beyond that they exist."""

    rank: int
    candidate_ref: str
    participant_id: uuid.UUID | None
    city: str
    score: float
    reasons: list[str] | None


class RankedVacancy(BaseModel):
    """An open vacancy a participant is eligible for, with the score and reasons of the fit."""

    rank: int
    vacancy_id: uuid.UUID
    city: str
    title: str
    kind: VacancyKind
    isco08: ISCO08Code
    municipality: str
    start_date: date
    score: float
    reasons: list[str]


def candidate_ref(vacancy_id: uuid.UUID, participant_id: uuid.UUID) -> str:
    """Opaque per vacancy, so references cannot be joined across vacancies to follow a person."""
    return hashlib.sha256(f"{vacancy_id}:{participant_id}".encode()).hexdigest()[:16]


def ranked_candidate(
    rank: int, vacancy_id: uuid.UUID, participant_id: uuid.UUID, city: str, assessment: Assessment, *, site: str
) -> RankedCandidate:
    own = city == site
    return RankedCandidate(
        rank=rank,
        candidate_ref=candidate_ref(vacancy_id, participant_id),
        participant_id=participant_id if own else None,
        city=city,
        score=assessment.score,
        reasons=list(assessment.reasons) if own else None,
    )


def ranked_vacancy(rank: int, row: Mapping[str, Any], assessment: Assessment) -> RankedVacancy:
    spec = vacancy_spec(row)
    return RankedVacancy(
        rank=rank,
        vacancy_id=spec.vacancy_id,
        city=spec.city,
        title=spec.title,
        kind=spec.kind,
        isco08=spec.isco08,
        municipality=spec.municipality,
        start_date=spec.start_date,
        score=assessment.score,
        reasons=list(assessment.reasons),
    )


class MatchView(BaseModel):
    """A proposal. Another city's participant (on one of the caller's vacancies) shows only as a
    reference valid for this vacancy, with their city and score, as in the ranking."""

    match_id: uuid.UUID
    vacancy_id: uuid.UUID
    candidate_ref: str
    participant_id: uuid.UUID | None
    city: str
    score: float
    reasons: list[str] | None
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
            "updated_at": row["updated_at"],
            "closed_at": row["closed_at"],
            "close_reason": row["close_reason"],
        }
    )


def match_view(row: Mapping[str, Any], *, site: str) -> MatchView:
    own = row["city"] == site
    return MatchView(
        match_id=row["id"],
        vacancy_id=row["vacancy_id"],
        candidate_ref=candidate_ref(row["vacancy_id"], row["participant_id"]),
        participant_id=row["participant_id"] if own else None,
        city=row["city"],
        score=row["score"],
        reasons=list(row["reasons"]) if own else None,
        status=row["status"],
        decision_reason=row["decision_reason"],
        proposed_at=row["proposed_at"],
        decided_at=row["decided_at"],
    )
