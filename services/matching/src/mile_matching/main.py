"""Matching service: shared by every city, owner of vacancies, candidates and proposals."""

from functools import partial

from fastapi import FastAPI

from mile_matching import repository
from mile_matching.api import assignments, candidates, employers, matches, vacancies
from mile_matching.ranking import IndexHolder
from mile_matching.settings import MatchingSettings
from mile_matching.subscribers import consumer
from mile_platform import periodic
from mile_platform.app import service_app
from mile_platform.auth import setup_auth
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
    periodic.while_serving(
        app,
        settings.waiting_fold_interval_s,
        lambda pool: partial(repository.fold_waiting_counts, pool),
        name="waiting-count-fold",
    )
    return app
