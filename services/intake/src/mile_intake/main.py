"""Intake service: one deployment per partner city, owner of its people's personal data."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from mile_intake.api import audit_router, router
from mile_intake.crypto import Keyring
from mile_intake.handlers import DuplicateParticipant
from mile_intake.openapi import document_problems
from mile_intake.settings import IntakeSettings
from mile_platform.app import service_app
from mile_platform.auth import setup_auth
from mile_platform.problems import problem
from mile_schemas import (
    ConsentChanged,
    ParticipantErased,
    ParticipantProfileUpdated,
    ParticipantRegistered,
    participants_topic,
)


def create_app() -> FastAPI:
    settings = IntakeSettings()  # type: ignore[call-arg]  # from the environment
    app = service_app(
        service=f"intake-{settings.city}",
        title=f"MILE intake ({settings.city})",
        description="A city's front office: participants, consent, assessments, training, erasure.",
        settings=settings,
        migrations="mile_intake",
        routers=[router, audit_router],
        publishes=[
            (participants_topic(settings.city), ParticipantRegistered),
            (participants_topic(settings.city), ParticipantProfileUpdated),
            (participants_topic(settings.city), ConsentChanged),
            (participants_topic(settings.city), ParticipantErased),
        ],
    )
    app.state.settings = settings
    app.state.keyring = Keyring(settings.master_key.get_secret_value())
    setup_auth(app)
    app.add_exception_handler(DuplicateParticipant, _duplicate)
    document_problems(app)
    return app


async def _duplicate(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DuplicateParticipant)
    return problem(409, exc.title, str(exc), existing_participant_id=str(exc.existing))
