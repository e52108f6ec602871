"""Intake service: one deployment per partner city, owner of its people's personal data."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from mile_intake.api import audit_router, measures_router, router
from mile_intake.crypto import Keyring
from mile_intake.expiry import ConsentExpiry
from mile_intake.handlers import DuplicateParticipant
from mile_intake.openapi import document_problems
from mile_intake.settings import IntakeSettings
from mile_platform import periodic
from mile_platform.app import service_app
from mile_platform.auth import setup_auth
from mile_platform.clock import SYSTEM_CLOCK, Clock
from mile_platform.problems import problem
from mile_schemas import (
    AssessmentCompleted,
    ConsentChanged,
    GuidanceSessionRecorded,
    ParticipantErased,
    ParticipantProfileUpdated,
    ParticipantRegistered,
    TrainingEnded,
    TrainingEnrolled,
    participants_topic,
)

PUBLISHES = (
    ParticipantRegistered,
    ParticipantProfileUpdated,
    ConsentChanged,
    AssessmentCompleted,
    TrainingEnrolled,
    TrainingEnded,
    GuidanceSessionRecorded,
    ParticipantErased,
)


def create_app(clock: Clock = SYSTEM_CLOCK) -> FastAPI:
    """``clock`` is where "now" comes from for recorded times and consent expiry."""
    settings = IntakeSettings()  # type: ignore[call-arg]  # from the environment
    app = service_app(
        service=f"intake-{settings.city}",
        title=f"MILE intake ({settings.city})",
        description="A city's front office: participants, consent, assessments, training, erasure.",
        settings=settings,
        migrations="mile_intake",
        routers=[router, measures_router, audit_router],
        publishes=[(participants_topic(settings.city), model) for model in PUBLISHES],
    )
    app.state.settings = settings
    app.state.keyring = Keyring(settings.master_key.get_secret_value())
    app.state.clock = clock
    setup_auth(app)
    app.add_exception_handler(DuplicateParticipant, _duplicate)
    document_problems(app)
    periodic.while_serving(
        app,
        settings.consent_expiry_interval_s,
        lambda pool: (
            ConsentExpiry(
                pool=pool, city=settings.city, clock=clock, batch_size=settings.consent_expiry_batch_size
            ).tick
        ),
        name="consent-expiry",
    )
    return app


async def _duplicate(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DuplicateParticipant)
    return problem(409, exc.title, str(exc), existing_participant_id=str(exc.existing))
