"""Intake's HTTP API for the city's own frontend: thin, no SQL, no rules."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response, status
from mile_platform.errors import NotFound
from mile_platform.idempotency import run_once
from mile_platform.web import runtime_of

from mile_intake import handlers, repository
from mile_intake.commands import RegisterParticipant
from mile_intake.crypto import Keyring
from mile_intake.settings import IntakeSettings
from mile_intake.views import ParticipantView, participant_view

router = APIRouter(prefix="/participants", tags=["participants"])

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


def _context(request: Request) -> tuple[IntakeSettings, Keyring]:
    return request.app.state.settings, request.app.state.keyring


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ParticipantView)
async def register(
    command: RegisterParticipant, request: Request, response: Response, idempotency_key: IdempotencyKey = None
) -> ParticipantView:
    """Register a participant; emits ``ParticipantRegistered`` (what consent allows)."""
    settings, keyring = _context(request)
    async with runtime_of(request).db().acquire() as conn, conn.transaction():
        code, body = await run_once(
            conn,
            scope="POST /participants",
            key=idempotency_key,
            request=command,
            command=lambda: _register(conn, command, settings.city, keyring),
        )
    response.status_code = code
    return ParticipantView.model_validate(body)


async def _register(conn, command: RegisterParticipant, city: str, keyring: Keyring) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    view = await handlers.register_participant(conn, command, city=city, keyring=keyring)
    return status.HTTP_201_CREATED, view.model_dump(mode="json")


@router.get("/{participant_id}", response_model=ParticipantView)
async def read(participant_id: uuid.UUID, request: Request) -> ParticipantView:
    settings, keyring = _context(request)
    async with runtime_of(request).db().acquire() as conn:
        row = await repository.get_participant(conn, settings.city, participant_id)
    if row is None:
        raise NotFound(f"participant {participant_id} not found")
    return participant_view(row, keyring)
