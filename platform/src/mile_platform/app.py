"""One way to build a MILE service application.

Each service's ``create_app()`` reads its settings, declares what it consumes and
publishes, includes its routers and calls ``service_app``; everything else
(logging, tracing, problem+json, probes, metrics, AsyncAPI, lifespan, what is kept only for
a while) is the same in all four services.
"""

from collections.abc import Sequence
from functools import partial

from fastapi import APIRouter, FastAPI
from faststream.specification import AsyncAPI

from mile_platform import periodic, retention
from mile_platform.logs import configure_logging
from mile_platform.problems import setup_problems
from mile_platform.runtime import Runtime
from mile_platform.settings import ServiceSettings
from mile_platform.subscriber import Consumer
from mile_platform.telemetry import setup_telemetry
from mile_platform.web import instrument, lifespan_for, probes_router
from mile_schemas import Event


def service_app(
    *,
    service: str,
    title: str,
    description: str,
    settings: ServiceSettings,
    migrations: str,
    routers: Sequence[APIRouter],
    consumer: Consumer | None = None,
    publishes: Sequence[tuple[str, type[Event]]] = (),
) -> FastAPI:
    """Assemble a service: ``migrations`` names the package holding its SQL files."""
    configure_logging(service, settings.platform.log_level)
    setup_telemetry(service)
    runtime = Runtime(
        service=service,
        settings=settings,
        migration_packages=["mile_platform", migrations],
        consumer=consumer,
    )
    for topic, model in publishes:
        # Documentation only: events leave through the outbox relay, not this publisher.
        runtime.broker.publisher(topic, schema=model, title=f"{topic}:{model.__name__}")
    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan_for(runtime),
        # The server span and request metrics are ``web.Edge``'s; FastAPI's own would double the
        # span and add one per dependency and serialisation, a CPU cost on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.runtime = runtime
    setup_problems(app)
    instrument(app, service, settings.platform.max_body_bytes)
    app.include_router(probes_router(runtime))
    asyncapi = AsyncAPI(runtime.broker, title=f"MILE {service}", version="1.0.0", description=description)

    @app.get("/asyncapi.json", tags=["operations"], summary="AsyncAPI document of this service's events")
    async def asyncapi_document() -> dict:
        return asyncapi.to_specification().to_jsonable()

    for router in routers:
        app.include_router(router)
    periodic.while_serving(
        app,
        settings.platform.retention_interval_s,
        lambda pool: partial(retention.apply, pool, settings.platform),
        name="retention",
    )
    return app
