"""Placement's HTTP API for partner frontends: thin, no SQL, no rules."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response, status

from mile_placement import handlers, views
from mile_placement.commands import EndPlacement, StartPlacement
from mile_placement.views import PlacementQuery, PlacementView
from mile_platform.errors import NotFound
from mile_platform.web import runtime_of
from mile_platform.writes import IdempotencyKey, write_once

router = APIRouter(prefix="/placements", tags=["placements"])


@router.get("", response_model=list[PlacementView])
async def search(query: Annotated[PlacementQuery, Query()], request: Request) -> list[PlacementView]:
    """Placements matching every given filter, newest accepted match first."""
    async with runtime_of(request).db().acquire() as conn:
        return await views.search_placements(conn, query)


@router.get("/{placement_id}", response_model=PlacementView)
async def read(placement_id: uuid.UUID, request: Request) -> PlacementView:
    async with runtime_of(request).db().acquire() as conn:
        view = await views.find_placement(conn, placement_id)
    if view is None:
        raise NotFound(f"placement {placement_id} not found")
    return view


@router.post("/{placement_id}/start", response_model=PlacementView)
async def start(
    placement_id: uuid.UUID,
    request: Request,
    response: Response,
    command: Annotated[StartPlacement, Body(default_factory=StartPlacement)],
    idempotency_key: IdempotencyKey = None,
) -> PlacementView:
    """The participant started at the employer; emits ``PlacementStarted``. The body may be omitted."""
    code, body = await write_once(
        request,
        key=idempotency_key,
        command=command,
        success=status.HTTP_200_OK,
        run=lambda conn: handlers.start_placement(conn, placement_id, command),
    )
    response.status_code = code
    return PlacementView.model_validate(body)


@router.post("/{placement_id}/end", response_model=PlacementView)
async def end(
    placement_id: uuid.UUID,
    command: EndPlacement,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> PlacementView:
    """End a started placement, or cancel a proposed one (outcome ``cancelled``); emits ``PlacementEnded``."""
    code, body = await write_once(
        request,
        key=idempotency_key,
        command=command,
        success=status.HTTP_200_OK,
        run=lambda conn: handlers.end_placement(conn, placement_id, command),
    )
    response.status_code = code
    return PlacementView.model_validate(body)
