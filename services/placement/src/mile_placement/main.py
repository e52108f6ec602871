"""Placement service: one shared deployment turning accepted matches into placements and
following participants up after them."""

from fastapi import FastAPI

from mile_placement.api import follow_ups_router, router
from mile_placement.scheduler import FollowUpScheduler
from mile_placement.settings import PlacementSettings
from mile_placement.subscribers import CONSUMER
from mile_platform import periodic
from mile_platform.app import service_app
from mile_platform.auth import setup_auth
from mile_platform.clock import SYSTEM_CLOCK, Clock
from mile_schemas import (
    PLACEMENTS,
    FollowUpDue,
    FollowUpMissed,
    FollowUpRecorded,
    PlacementConfirmed,
    PlacementEnded,
    PlacementStarted,
    TutoringSessionRecorded,
)

PUBLISHES = (
    PlacementConfirmed,
    PlacementStarted,
    TutoringSessionRecorded,
    PlacementEnded,
    FollowUpDue,
    FollowUpRecorded,
    FollowUpMissed,
)


def create_app(clock: Clock = SYSTEM_CLOCK) -> FastAPI:
    """``clock`` is where "now" comes from for the API and the follow-up scheduler."""
    settings = PlacementSettings()  # type: ignore[call-arg]  # from the environment
    app = service_app(
        service="placement",
        title="MILE placement",
        description="Placements from accepted matches: confirm, start, tutoring, end, feedback and follow-ups; "
        "announces each to matching and reporting.",
        settings=settings,
        migrations="mile_placement",
        routers=[router, follow_ups_router],
        consumer=CONSUMER,
        publishes=[(PLACEMENTS, model) for model in PUBLISHES],
    )
    setup_auth(app)
    app.state.clock = clock
    periodic.while_serving(
        app,
        settings.scheduler_interval_s,
        lambda pool: FollowUpScheduler(pool=pool, clock=clock, batch_size=settings.scheduler_batch_size).tick,
        name="follow-up-scheduler",
    )
    return app
