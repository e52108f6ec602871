"""Intake service: one deployment per partner city, owner of its people's personal data."""

from fastapi import FastAPI

from mile_intake.api import router
from mile_intake.crypto import Keyring
from mile_intake.settings import IntakeSettings
from mile_platform.app import service_app
from mile_schemas import ParticipantRegistered, participants_topic


def create_app() -> FastAPI:
    settings = IntakeSettings()  # type: ignore[call-arg]  # from the environment
    app = service_app(
        service=f"intake-{settings.city}",
        title=f"MILE intake ({settings.city})",
        description="A city's front office: participants, consent, assessments, training, erasure.",
        settings=settings,
        migrations="mile_intake",
        routers=[router],
        publishes=[(participants_topic(settings.city), ParticipantRegistered)],
    )
    app.state.settings = settings
    app.state.keyring = Keyring(settings.master_key.get_secret_value())
    return app
