"""Matching service: shared by every city, owner of vacancies, candidates and proposals."""

from fastapi import FastAPI

from mile_matching.api import matches, vacancies
from mile_matching.settings import MatchingSettings
from mile_matching.subscribers import consumer
from mile_platform.app import service_app
from mile_schemas import MATCHES, VACANCIES, MatchDecided, MatchProposed, VacancyClosed, VacancyOpened


def create_app() -> FastAPI:
    settings = MatchingSettings()  # type: ignore[call-arg]  # from the environment
    app = service_app(
        service="matching",
        title="MILE matching",
        description="Vacancies, pseudonymous candidates from every city, ranked and explained proposals, decisions.",
        settings=settings,
        migrations="mile_matching",
        routers=[vacancies, matches],
        consumer=consumer(settings),
        publishes=[
            (VACANCIES, VacancyOpened),
            (VACANCIES, VacancyClosed),
            (MATCHES, MatchProposed),
            (MATCHES, MatchDecided),
        ],
    )
    app.state.settings = settings
    return app
