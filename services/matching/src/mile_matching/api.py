"""Matching's HTTP API for partner frontends: thin, no SQL, no rules.

Every request carries a bearer token; who may do what, and for which city, is in
``mile_matching.access``.
"""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from starlette.exceptions import HTTPException

from mile_matching import batch, domain, handlers, ranking, repository
from mile_matching.access import Decider, Liaison, Planner, Reader, require_own_city
from mile_matching.commands import AssignBatch, CloseVacancy, DecideMatch, OpenVacancy, RegisterEmployer, UpdateVacancy
from mile_matching.settings import MatchingSettings
from mile_matching.views import (
    EmployerView,
    MatchView,
    RankedCandidate,
    RankedVacancy,
    VacancyView,
    candidate_profile,
    employer_view,
    match_view,
    ranked_candidate,
    ranked_vacancy,
    vacancy_view,
)
from mile_platform.auth import Role
from mile_platform.errors import NotFound
from mile_platform.web import runtime_of
from mile_platform.writes import IdempotencyKey, write_once
from mile_schemas import CitySlug, VacancyKind

vacancies = APIRouter(prefix="/vacancies", tags=["vacancies"])
matches = APIRouter(prefix="/matches", tags=["matches"])
employers = APIRouter(prefix="/employers", tags=["employers"])
candidates = APIRouter(prefix="/candidates", tags=["candidates"])
assignments = APIRouter(prefix="/assignments", tags=["assignments"])


def _settings(request: Request) -> MatchingSettings:
    return request.app.state.settings


@vacancies.post("", status_code=status.HTTP_201_CREATED, response_model=VacancyView)
async def open_vacancy(
    command: OpenVacancy, request: Request, response: Response, caller: Liaison, idempotency_key: IdempotencyKey = None
) -> VacancyView:
    """Open a vacancy of the caller's city for one of its registered employers; emits ``VacancyOpened``
    and proposes its best candidates (``MatchProposed``). 422 naming ``employer_id`` for an unknown one."""
    require_own_city(caller, command.city)
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
async def read_vacancy(vacancy_id: uuid.UUID, request: Request, caller: Reader) -> VacancyView:
    """Any city's vacancy: vacancies are offered to participants of every city."""
    async with runtime_of(request).db().acquire() as conn:
        row = await repository.get_vacancy(conn, vacancy_id)
    if row is None:
        raise NotFound(f"vacancy {vacancy_id} not found")
    return vacancy_view(row)


@vacancies.patch("/{vacancy_id}", response_model=VacancyView)
async def update_vacancy(
    vacancy_id: uuid.UUID,
    command: UpdateVacancy,
    request: Request,
    response: Response,
    caller: Liaison,
    idempotency_key: IdempotencyKey = None,
) -> VacancyView:
    """Change an open vacancy of the caller's city (only the fields given); emits ``VacancyUpdated``.

    404 for another city's vacancy, 409 when closed or when positions would drop below those filled.
    """
    settings = _settings(request)
    code, body = await write_once(
        request,
        key=idempotency_key,
        command=command,
        success=status.HTTP_200_OK,
        run=lambda conn: handlers.update_vacancy(conn, vacancy_id, command, settings, city=caller.site),
    )
    response.status_code = code
    return VacancyView.model_validate(body)


@vacancies.post("/{vacancy_id}/close", response_model=VacancyView)
async def close_vacancy(
    vacancy_id: uuid.UUID,
    command: CloseVacancy,
    request: Request,
    response: Response,
    caller: Liaison,
    idempotency_key: IdempotencyKey = None,
) -> VacancyView:
    """Stop taking candidates; emits ``VacancyClosed``. 404 for another city's vacancy, 409 when already closed."""
    code, body = await write_once(
        request,
        key=idempotency_key,
        command=command,
        success=status.HTTP_200_OK,
        run=lambda conn: handlers.close_vacancy(conn, vacancy_id, command, city=caller.site),
    )
    response.status_code = code
    return VacancyView.model_validate(body)


@vacancies.get("/{vacancy_id}/candidates", response_model=list[RankedCandidate])
async def rank_candidates(
    vacancy_id: uuid.UUID,
    request: Request,
    caller: Reader,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
    city: Annotated[CitySlug | None, Query(description="only participants of this city")] = None,
    min_score: Annotated[float, Query(ge=0, le=1)] = 0.0,
) -> list[RankedCandidate]:
    """The eligible candidates of every city, best first; page with limit and offset.

    Details (pseudonymous id, reasons) only for the caller's own city's participants.
    """
    async with runtime_of(request).db().acquire() as conn:
        vacancy = await repository.get_vacancy(conn, vacancy_id)
        if vacancy is None:
            raise NotFound(f"vacancy {vacancy_id} not found")
        page = await ranking.rank_for_vacancy(
            conn,
            request.app.state.index,
            vacancy,
            settings=_settings(request),
            limit=limit,
            offset=offset,
            city=city,
            min_score=min_score,
        )
    return [
        ranked_candidate(offset + i + 1, vacancy_id, pid, pcity, assessment, site=caller.site)
        for i, (pid, pcity, assessment) in enumerate(page)
    ]


@candidates.get("/{participant_id}/vacancies", response_model=list[RankedVacancy])
async def rank_vacancies(
    participant_id: uuid.UUID,
    request: Request,
    caller: Reader,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
    city: Annotated[CitySlug | None, Query(description="only vacancies of this city")] = None,
    kind: VacancyKind | None = None,
    min_score: Annotated[float, Query(ge=0, le=1)] = 0.0,
) -> list[RankedVacancy]:
    """Open vacancies with room that one of the caller's city's participants may take, best fit first."""
    async with runtime_of(request).db().acquire() as conn:
        candidate = await repository.get_candidate(conn, participant_id)
        if candidate is None or candidate["city"] != caller.site:
            raise NotFound(f"candidate {participant_id} not found")
        rows = await repository.open_vacancies_with_room(conn, city=city, kind=kind.value if kind else None)
    page = ranking.rank_vacancies(
        candidate_profile(candidate),
        rows,
        placed=candidate["placed"],
        settings=_settings(request),
        limit=limit,
        offset=offset,
        min_score=min_score,
    )
    return [ranked_vacancy(offset + i + 1, row, assessment) for i, (row, assessment) in enumerate(page)]


@matches.get("", response_model=list[MatchView])
async def list_matches(
    request: Request,
    caller: Reader,
    vacancy_id: uuid.UUID | None = None,
    participant_id: uuid.UUID | None = None,
    status_: Annotated[domain.MatchStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[MatchView]:
    """Matches of the caller's city's participants or vacancies, newest first, filtered by vacancy,
    participant and status; page with limit and offset. Another city's participant on one of the
    caller's vacancies shows only as a reference, its city and score."""
    async with runtime_of(request).db().acquire() as conn:
        rows = await repository.list_matches(
            conn,
            site=caller.site,
            vacancy_id=vacancy_id,
            participant_id=participant_id,
            status=status_,
            limit=limit,
            offset=offset,
        )
    return [match_view(row, site=caller.site) for row in rows]


@matches.get("/{match_id}", response_model=MatchView)
async def read_match(match_id: uuid.UUID, request: Request, caller: Reader) -> MatchView:
    """One match of the caller's city's participant or vacancy; any other is not found."""
    async with runtime_of(request).db().acquire() as conn:
        row = await repository.get_match(conn, match_id)
    if row is None or caller.site not in (row["city"], row["vacancy_city"]):
        raise NotFound(f"match {match_id} not found")
    return match_view(row, site=caller.site)


@matches.post("/{match_id}/decision", response_model=MatchView)
async def decide_match(
    match_id: uuid.UUID,
    command: DecideMatch,
    request: Request,
    response: Response,
    caller: Decider,
    idempotency_key: IdempotencyKey = None,
) -> MatchView:
    """Accept or reject a proposal for one of the caller's city's participants; emits ``MatchDecided``.
    404 for another city's participant, 409 when already decided or withdrawn."""
    settings = _settings(request)
    code, body = await write_once(
        request,
        key=idempotency_key,
        command=command,
        success=status.HTTP_200_OK,
        run=lambda conn: handlers.decide_match(conn, match_id, command, settings, city=caller.site),
    )
    response.status_code = code
    return MatchView.model_validate(body)


@employers.post("", status_code=status.HTTP_201_CREATED, response_model=EmployerView)
async def register_employer(
    command: RegisterEmployer,
    request: Request,
    response: Response,
    caller: Liaison,
    idempotency_key: IdempotencyKey = None,
) -> EmployerView:
    """Register an employer of the caller's city; emits ``EmployerRegistered`` (without its contact)."""
    code, body = await write_once(
        request,
        key=idempotency_key,
        command=command,
        success=status.HTTP_201_CREATED,
        run=lambda conn: handlers.register_employer(conn, command, city=caller.site),
    )
    response.status_code = code
    return EmployerView.model_validate(body)


@employers.get("", response_model=list[EmployerView])
async def list_employers(
    request: Request,
    caller: Liaison,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[EmployerView]:
    """The caller's city's employers by name; page with limit and offset."""
    async with runtime_of(request).db().acquire() as conn:
        rows = await repository.list_employers(conn, city=caller.site, limit=limit, offset=offset)
    return [employer_view(row) for row in rows]


@employers.get("/{employer_id}", response_model=EmployerView)
async def read_employer(employer_id: uuid.UUID, request: Request, caller: Liaison) -> EmployerView:
    """One employer of the caller's city; another city's employer is not found."""
    async with runtime_of(request).db().acquire() as conn:
        row = await repository.get_employer(conn, employer_id)
    if row is None or row["city"] != caller.site:
        raise NotFound(f"employer {employer_id} not found")
    return employer_view(row)


@assignments.post("", response_model=batch.AssignmentView)
async def assign_batch(
    command: AssignBatch,
    request: Request,
    response: Response,
    caller: Planner,
    idempotency_key: IdempotencyKey = None,
) -> batch.AssignmentView:
    """Propose, for the given cities at once, the assignment with the best total score: one
    proposal per participant, no vacancy past its free positions, optional balance constraints.
    Emits ``MatchProposed`` for each. A programme manager assigns for their own city only."""
    if Role.ADMIN not in caller.roles and set(command.cities) != {caller.site}:
        raise HTTPException(
            403, "Forbidden: a programme manager assigns for their own city only; a region needs an admin"
        )
    settings = _settings(request)
    code, body = await write_once(
        request,
        key=idempotency_key,
        command=command,
        success=status.HTTP_200_OK,
        run=lambda conn: batch.assign_batch(conn, command, settings),
    )
    response.status_code = code
    return batch.AssignmentView.model_validate(body)
