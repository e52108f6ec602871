"""Intake's HTTP API for the city's own frontend: thin, no SQL, no rules."""

import uuid

from fastapi import APIRouter, Request, Response, status

from mile_intake import handlers, repository
from mile_intake.commands import RegisterParticipant
from mile_intake.crypto import Keyring
from mile_intake.settings import IntakeSettings
from mile_intake.views import ParticipantView, participant_view
from mile_platform.errors import NotFound
from mile_platform.web import runtime_of
from mile_platform.writes import IdempotencyKey, write_once

router = APIRouter(prefix="/participants", tags=["participants"])


def _context(request: Request) -> tuple[IntakeSettings, Keyring]:
    return request.app.state.settings, request.app.state.keyring


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ParticipantView)
async def register(
    command: RegisterParticipant, request: Request, response: Response, idempotency_key: IdempotencyKey = None
) -> ParticipantView:
    """Register a participant; emits ``ParticipantRegistered`` (what consent allows)."""
    settings, keyring = _context(request)
    code, body = await write_once(
        request,
        key=idempotency_key,
        command=command,
        success=status.HTTP_201_CREATED,
        run=lambda conn: handlers.register_participant(conn, command, city=settings.city, keyring=keyring),
    )
    response.status_code = code
    return ParticipantView.model_validate(body)


@router.get("/{participant_id}", response_model=ParticipantView)
async def read(participant_id: uuid.UUID, request: Request) -> ParticipantView:
    settings, keyring = _context(request)
    async with runtime_of(request).db().acquire() as conn:
        row = await repository.get_participant(conn, settings.city, participant_id)
    if row is None:
        raise NotFound(f"participant {participant_id} not found")
    return participant_view(row, keyring)
