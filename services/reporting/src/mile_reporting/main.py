"""Reporting service: one shared deployment projecting every city's events into aggregates."""

from fastapi import FastAPI

from mile_platform.app import service_app
from mile_platform.auth import setup_auth
from mile_reporting.api import router
from mile_reporting.gauges import with_gauges
from mile_reporting.indicators import load_indicators
from mile_reporting.settings import ReportingSettings
from mile_reporting.subscribers import consumer


def create_app() -> FastAPI:
    settings = ReportingSettings()  # type: ignore[call-arg]  # from the environment
    indicators = load_indicators(settings.indicators_file)  # invalid definitions stop the start
    app = service_app(
        service="reporting",
        title="MILE reporting",
        description="Funnel and indicators per city for programme managers and funders; nothing personal.",
        settings=settings,
        migrations="mile_reporting",
        routers=[router],
        consumer=consumer,
    )
    setup_auth(app)
    app.state.indicators = indicators
    app.router.lifespan_context = with_gauges(app.router.lifespan_context, settings.gauges_interval_s)
    return app
