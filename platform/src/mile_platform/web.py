"""The HTTP edge every service shares: probes, metrics, tracing and request limits."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from opentelemetry import trace
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mile_platform import metrics
from mile_platform.bodylimit import BodySizeLimit
from mile_platform.migrations import pending_migrations
from mile_platform.nulguard import NulGuard
from mile_platform.problems import problem
from mile_platform.runtime import Runtime
from mile_platform.telemetry import context_from, tracer


def runtime_of(request: Request) -> Runtime:
    return request.app.state.runtime


def probes_router(runtime: Runtime) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Alive")
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @router.get("/readyz", summary="Ready: database, migrations and broker reachable")
    async def readyz() -> Response:
        checks = await _readiness(runtime)
        ok = all(v == "ok" for v in checks.values())
        if ok:
            return JSONResponse(checks)
        return problem(503, "Not ready", ", ".join(f"{k}: {v}" for k, v in checks.items() if v != "ok"), checks=checks)

    @router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def metrics_endpoint() -> Response:
        if runtime.pool is not None:
            metrics.DB_POOL_SIZE.labels(runtime.service, "total").set(runtime.pool.get_size())
            metrics.DB_POOL_SIZE.labels(runtime.service, "idle").set(runtime.pool.get_idle_size())
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


async def _readiness(runtime: Runtime) -> dict[str, str]:
    checks = {"database": "ok", "migrations": "ok", "broker": "ok"}
    try:
        pool = runtime.db()
        await asyncio.wait_for(pool.fetchval("SELECT 1"), 2)
        missing = await asyncio.wait_for(pending_migrations(pool, runtime.migration_packages), 2)
        if missing or not runtime.migrated:
            checks["migrations"] = f"pending {len(missing)}"
    except Exception as exc:
        checks["database"] = f"unreachable ({type(exc).__name__})"
        checks["migrations"] = "unknown"
    try:
        if not await asyncio.wait_for(runtime.broker.ping(timeout=2), 3):
            checks["broker"] = "unreachable"
    except Exception as exc:
        checks["broker"] = f"unreachable ({type(exc).__name__})"
    return checks


def instrument(app: FastAPI, service: str, max_body_bytes: int) -> None:
    """Server span, request metrics, a body-size limit and the NUL guard around every request."""
    app.add_middleware(NulGuard)  # innermost: its 422s are counted and traced like the app's
    app.add_middleware(Edge, service=service)
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)  # outermost: counts before anyone reads


class Edge:
    """ASGI middleware: a server span (continuing the caller's ``traceparent``) and the request
    metrics, labelled by route.

    Plain ASGI rather than ``@app.middleware("http")``, whose per-request task and streams
    cost more CPU than the rest of a small request.
    """

    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        method = scope["method"]
        status = 500

        async def noted_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        parent = context_from(next((v.decode("latin-1") for k, v in scope["headers"] if k == b"traceparent"), None))
        with tracer().start_as_current_span(
            f"{method} {scope['path']}", context=parent, kind=trace.SpanKind.SERVER
        ) as span:
            await self.app(scope, receive, noted_send)
            route = getattr(scope.get("route"), "path", "unmatched")
            span.update_name(f"{method} {route}")
            span.set_attribute("http.response.status_code", status)
        metrics.HTTP_REQUESTS.labels(self.service, method, route, str(status)).inc()
        metrics.HTTP_LATENCY.labels(self.service, method, route).observe(time.perf_counter() - started)


def lifespan_for(runtime: Runtime) -> Callable[[FastAPI], AsyncIterator[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    return lifespan  # type: ignore[return-value]
