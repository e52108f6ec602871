"""Placement service: one shared deployment turning accepted matches into placements."""

from fastapi import FastAPI

from mile_placement.api import router
from mile_placement.settings import PlacementSettings
from mile_placement.subscribers import CONSUMER
from mile_platform.app import service_app
from mile_schemas import PLACEMENTS, PlacementEnded, PlacementStarted


def create_app() -> FastAPI:
    settings = PlacementSettings()  # type: ignore[call-arg]  # from the environment
    return service_app(
        service="placement",
        title="MILE placement",
        description="Placements from accepted matches: start, end, cancel; announces each to matching and reporting.",
        settings=settings,
        migrations="mile_placement",
        routers=[router],
        consumer=CONSUMER,
        publishes=[(PLACEMENTS, PlacementStarted), (PLACEMENTS, PlacementEnded)],
    )
