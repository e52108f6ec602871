"""Placement's HTTP API for partner frontends: thin, no SQL, no rules.

Every request carries a bearer token; a city's token sees and changes only placements
of its own participants (``mile_placement.access``).
"""

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import Annotated, TypeVar

import asyncpg
from fastapi import APIRouter, Body, Query, Request, Response, status
from pydantic import BaseModel

from mile_placement import handlers, views
from mile_placement.access import FeedbackGiver, Reader, Writer, own_city, require_own
from mile_placement.commands import (
    ConfirmPlacement,
    EndPlacement,
    GiveFeedback,
    RecordFollowUp,
    RecordTutoringSession,
    StartPlacement,
)
from mile_placement.settings import PlacementSettings
from mile_placement.views import (
    FeedbackView,
    FollowUpQuery,
    FollowUpView,
    PlacementQuery,
    PlacementView,
    TutoringSessionView,
)
from mile_platform.auth import Principal
from mile_platform.clock import Clock
from mile_platform.errors import NotFound
from mile_platform.web import runtime_of
from mile_platform.writes import IdempotencyKey, write_once

C = TypeVar("C", bound=BaseModel)
V = TypeVar("V", bound=BaseModel)

router = APIRouter(prefix="/placements", tags=["placements"])
follow_ups_router = APIRouter(prefix="/follow-ups", tags=["follow-ups"])


def _clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


async def _own_placement(request: Request, principal: Principal, placement_id: uuid.UUID) -> None:
    async with runtime_of(request).db().acquire() as conn:
        city = await views.city_of_placement(conn, placement_id)
    require_own(principal, city, "placement", placement_id)


async def _own_follow_up(request: Request, principal: Principal, follow_up_id: uuid.UUID) -> None:
    async with runtime_of(request).db().acquire() as conn:
        city = await views.city_of_follow_up(conn, follow_up_id)
    require_own(principal, city, "follow-up", follow_up_id)


def _settings(request: Request) -> PlacementSettings:
    settings = runtime_of(request).settings
    assert isinstance(settings, PlacementSettings)
    return settings


async def _command(
    request: Request,
    response: Response,
    key: str | None,
    subject: uuid.UUID,
    command: C,
    handler: Callable[[asyncpg.Connection, uuid.UUID, C, datetime], Awaitable[BaseModel]],
    view: type[V],
    success: int = status.HTTP_200_OK,
) -> V:
    """Apply ``handler`` to ``subject`` at the service clock's now, once per idempotency key."""
    now = _clock(request)()
    code, body = await write_once(
        request, key=key, command=command, success=success, run=lambda conn: handler(conn, subject, command, now)
    )
    response.status_code = code
    return view.model_validate(body)


@router.get("", response_model=list[PlacementView])
async def search(query: Annotated[PlacementQuery, Query()], request: Request, principal: Reader) -> list[PlacementView]:
    """The caller's city's placements matching every given filter (participant, vacancy, match, state), newest first."""
    query = query.model_copy(update={"city": own_city(principal, query.city)})
    async with runtime_of(request).db().acquire() as conn:
        return await views.search_placements(conn, query)


@router.get("/{placement_id}", response_model=PlacementView)
async def read(placement_id: uuid.UUID, request: Request, principal: Reader) -> PlacementView:
    async with runtime_of(request).db().acquire() as conn:
        view = await views.find_placement(conn, placement_id)
    if view is None or view.city != principal.site:
        raise NotFound(f"placement {placement_id} not found")
    return view


@router.post("/{placement_id}/confirm", response_model=PlacementView)
async def confirm(
    placement_id: uuid.UUID,
    command: ConfirmPlacement,
    request: Request,
    response: Response,
    principal: Writer,
    idempotency_key: IdempotencyKey = None,
) -> PlacementView:
    """Both sides agreed kind, contract, start date, hours and tutor; emits ``PlacementConfirmed``."""
    await _own_placement(request, principal, placement_id)
    return await _command(
        request, response, idempotency_key, placement_id, command, handlers.confirm_placement, PlacementView
    )


@router.post("/{placement_id}/start", response_model=PlacementView)
async def start(
    placement_id: uuid.UUID,
    request: Request,
    response: Response,
    command: Annotated[StartPlacement, Body(default_factory=StartPlacement)],
    principal: Writer,
    idempotency_key: IdempotencyKey = None,
) -> PlacementView:
    """A confirmed placement started at the employer; emits ``PlacementStarted``. The body may be omitted."""
    await _own_placement(request, principal, placement_id)
    return await _command(
        request, response, idempotency_key, placement_id, command, handlers.start_placement, PlacementView
    )


@router.post("/{placement_id}/end", response_model=PlacementView)
async def end(
    placement_id: uuid.UUID,
    command: EndPlacement,
    request: Request,
    response: Response,
    principal: Writer,
    idempotency_key: IdempotencyKey = None,
) -> PlacementView:
    """End a started placement (follow-ups are planned), or cancel one not started; emits ``PlacementEnded``."""
    await _own_placement(request, principal, placement_id)
    return await _command(
        request,
        response,
        idempotency_key,
        placement_id,
        command,
        partial(handlers.end_placement, settings=_settings(request)),
        PlacementView,
    )


@router.post("/{placement_id}/tutoring-sessions", response_model=TutoringSessionView, status_code=201)
async def record_tutoring(
    placement_id: uuid.UUID,
    command: RecordTutoringSession,
    request: Request,
    response: Response,
    principal: Writer,
    idempotency_key: IdempotencyKey = None,
) -> TutoringSessionView:
    """A tutoring session or check-in of a running placement; emits ``TutoringSessionRecorded``."""
    await _own_placement(request, principal, placement_id)
    return await _command(
        request,
        response,
        idempotency_key,
        placement_id,
        command,
        handlers.record_tutoring,
        TutoringSessionView,
        status.HTTP_201_CREATED,
    )


@router.get("/{placement_id}/tutoring-sessions", response_model=list[TutoringSessionView])
async def list_tutoring(placement_id: uuid.UUID, request: Request, principal: Reader) -> list[TutoringSessionView]:
    await _own_placement(request, principal, placement_id)
    async with runtime_of(request).db().acquire() as conn:
        return await views.tutoring_sessions(conn, placement_id)


@router.post("/{placement_id}/feedback", response_model=FeedbackView, status_code=201)
async def give_feedback(
    placement_id: uuid.UUID,
    command: GiveFeedback,
    request: Request,
    response: Response,
    principal: FeedbackGiver,
    idempotency_key: IdempotencyKey = None,
) -> FeedbackView:
    """The employer's ratings and note on a started or ended placement; kept in placement only."""
    await _own_placement(request, principal, placement_id)
    return await _command(
        request,
        response,
        idempotency_key,
        placement_id,
        command,
        handlers.give_feedback,
        FeedbackView,
        status.HTTP_201_CREATED,
    )


@router.get("/{placement_id}/feedback", response_model=list[FeedbackView])
async def list_feedback(placement_id: uuid.UUID, request: Request, principal: Reader) -> list[FeedbackView]:
    await _own_placement(request, principal, placement_id)
    async with runtime_of(request).db().acquire() as conn:
        return await views.feedback_of(conn, placement_id)


@follow_ups_router.get("", response_model=list[FollowUpView])
async def follow_up_list(
    query: Annotated[FollowUpQuery, Query()], request: Request, principal: Reader
) -> list[FollowUpView]:
    """The caller's city's follow-ups in one state, soonest due first (by default: the due list)."""
    query = query.model_copy(update={"city": own_city(principal, query.city)})
    async with runtime_of(request).db().acquire() as conn:
        return await views.search_follow_ups(conn, query)


@follow_ups_router.get("/{follow_up_id}", response_model=FollowUpView)
async def read_follow_up(follow_up_id: uuid.UUID, request: Request, principal: Reader) -> FollowUpView:
    async with runtime_of(request).db().acquire() as conn:
        view = await views.find_follow_up(conn, follow_up_id)
    if view is None or view.city != principal.site:
        raise NotFound(f"follow-up {follow_up_id} not found")
    return view


@follow_ups_router.post("/{follow_up_id}/record", response_model=FollowUpView)
async def record_follow_up(
    follow_up_id: uuid.UUID,
    command: RecordFollowUp,
    request: Request,
    response: Response,
    principal: Writer,
    idempotency_key: IdempotencyKey = None,
) -> FollowUpView:
    """Where the participant stands at a due follow-up; emits ``FollowUpRecorded``."""
    await _own_follow_up(request, principal, follow_up_id)
    return await _command(
        request, response, idempotency_key, follow_up_id, command, handlers.record_follow_up, FollowUpView
    )
