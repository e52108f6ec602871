"""Matching's HTTP API for partner frontends: thin, no SQL, no rules."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from mile_matching import domain, handlers, repository
from mile_matching.commands import CloseVacancy, DecideMatch, OpenVacancy
from mile_matching.settings import MatchingSettings
from mile_matching.views import (
    MatchView,
    RankedCandidate,
    VacancyView,
    match_view,
    ranked_candidates,
    vacancy_view,
)
from mile_platform.errors import NotFound
from mile_platform.web import runtime_of
from mile_platform.writes import IdempotencyKey, write_once

vacancies = APIRouter(prefix="/vacancies", tags=["vacancies"])
matches = APIRouter(prefix="/matches", tags=["matches"])


def _settings(request: Request) -> MatchingSettings:
    return request.app.state.settings


@vacancies.post("", status_code=status.HTTP_201_CREATED, response_model=VacancyView)
async def open_vacancy(
    command: OpenVacancy, request: Request, response: Response, idempotency_key: IdempotencyKey = None
) -> VacancyView:
    """Open a vacancy; emits ``VacancyOpened`` and proposes its best candidates (``MatchProposed``)."""
    settings = _settings(request)
    code, body = await write_once(
        request,
        key=idempotency_key,
        command=command,
        success=status.HTTP_201_CREATED,
        run=lambda conn: handlers.open_vacancy(conn, command, settings),
    )
    response.status_code = code
    return VacancyView.model_validate(body)


@vacancies.get("/{vacancy_id}", response_model=VacancyView)
async def read_vacancy(vacancy_id: uuid.UUID, request: Request) -> VacancyView:
    async with runtime_of(request).db().acquire() as conn:
        row = await repository.get_vacancy(conn, vacancy_id)
    if row is None:
        raise NotFound(f"vacancy {vacancy_id} not found")
    return vacancy_view(row)


@vacancies.post("/{vacancy_id}/close", response_model=VacancyView)
async def close_vacancy(
    vacancy_id: uuid.UUID,
    command: CloseVacancy,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> VacancyView:
    """Stop taking candidates; emits ``VacancyClosed``. 409 when already closed."""
    code, body = await write_once(
        request,
        key=idempotency_key,
        command=command,
        success=status.HTTP_200_OK,
        run=lambda conn: handlers.close_vacancy(conn, vacancy_id, command),
    )
    response.status_code = code
    return VacancyView.model_validate(body)


@vacancies.get("/{vacancy_id}/candidates", response_model=list[RankedCandidate])
async def rank_candidates(
    vacancy_id: uuid.UUID, request: Request, limit: Annotated[int, Query(ge=1, le=200)] = 20
) -> list[RankedCandidate]:
    """The eligible candidates of every city, best first, each with its reasons."""
    async with runtime_of(request).db().acquire() as conn:
        vacancy = await repository.get_vacancy(conn, vacancy_id)
        if vacancy is None:
            raise NotFound(f"vacancy {vacancy_id} not found")
        candidates = await repository.all_candidates(conn)
    return ranked_candidates(vacancy, candidates, limit=limit)


@matches.get("", response_model=list[MatchView])
async def list_matches(
    request: Request,
    vacancy_id: uuid.UUID | None = None,
    participant_id: uuid.UUID | None = None,
    status_: Annotated[domain.MatchStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[MatchView]:
    """Matches newest first, filtered by vacancy, participant and status; page with limit and offset."""
    async with runtime_of(request).db().acquire() as conn:
        rows = await repository.list_matches(
            conn,
            vacancy_id=vacancy_id,
            participant_id=participant_id,
            status=status_,
            limit=limit,
            offset=offset,
        )
    return [match_view(row) for row in rows]


@matches.get("/{match_id}", response_model=MatchView)
async def read_match(match_id: uuid.UUID, request: Request) -> MatchView:
    async with runtime_of(request).db().acquire() as conn:
        row = await repository.get_match(conn, match_id)
    if row is None:
        raise NotFound(f"match {match_id} not found")
    return match_view(row)


@matches.post("/{match_id}/decision", response_model=MatchView)
async def decide_match(
    match_id: uuid.UUID,
    command: DecideMatch,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> MatchView:
    """Accept or reject a proposal; emits ``MatchDecided``. 409 when already decided."""
    settings = _settings(request)
    code, body = await write_once(
        request,
        key=idempotency_key,
        command=command,
        success=status.HTTP_200_OK,
        run=lambda conn: handlers.decide_match(conn, match_id, command, settings),
    )
    response.status_code = code
    return MatchView.model_validate(body)
