"""Matching service: shared by every city, owner of vacancies, candidates and proposals."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from mile_matching import repository
from mile_matching.api import assignments, candidates, employers, matches, vacancies
from mile_matching.ranking import IndexHolder
from mile_matching.settings import MatchingSettings
from mile_matching.subscribers import consumer
from mile_platform import periodic
from mile_platform.app import service_app
from mile_platform.auth import setup_auth
from mile_platform.runtime import Runtime
from mile_schemas import (
    MATCHES,
    VACANCIES,
    EmployerRegistered,
    MatchDecided,
    MatchProposed,
    VacancyClosed,
    VacancyOpened,
    VacancyUpdated,
)


def create_app() -> FastAPI:
    settings = MatchingSettings()  # type: ignore[call-arg]  # from the environment
    app = service_app(
        service="matching",
        title="MILE matching",
        description="Vacancies, pseudonymous candidates from every city, ranked and explained proposals, decisions.",
        settings=settings,
        migrations="mile_matching",
        routers=[employers, vacancies, candidates, matches, assignments],
        consumer=consumer(settings),
        publishes=[
            (VACANCIES, VacancyOpened),
            (VACANCIES, VacancyUpdated),
            (VACANCIES, VacancyClosed),
            (VACANCIES, EmployerRegistered),
            (MATCHES, MatchProposed),
            (MATCHES, MatchDecided),
        ],
    )
    app.state.settings = settings
    app.state.index = IndexHolder(settings.index_max_age_s)
    setup_auth(app)
    runtime: Runtime = app.state.runtime
    platform_lifespan = app.router.lifespan_context

    async def fold() -> None:
        async with runtime.db().acquire() as conn:
            await repository.fold_waiting_counts(conn)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with platform_lifespan(app):
            async with periodic.every(settings.waiting_fold_interval_s, fold, name="waiting-count-fold"):
                yield

    app.router.lifespan_context = lifespan
    return app
