"""Business gauges for Prometheus: participants by stage per city, refreshed in the background.

Read from the projection every ``interval_s`` rather than per batch, so consuming stays set-based
and fast. These are exact counts for the operators' own Prometheus (no ids, no attributes);
published figures go through the suppressed API.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import FastAPI
from prometheus_client import Gauge

from mile_platform.runtime import Runtime

log = logging.getLogger(__name__)

PARTICIPANTS = Gauge("mile_reporting_participants", "Participants who reached a stage", ["city", "stage"])


async def refresh(runtime: Runtime) -> None:
    async with runtime.db().acquire() as conn:
        rows = await conn.fetch("SELECT city, stage, count(*) AS n FROM funnel_stages GROUP BY 1, 2")
    PARTICIPANTS.clear()
    for row in rows:
        PARTICIPANTS.labels(row["city"], row["stage"]).set(row["n"])


async def _refresh_forever(app: FastAPI, interval_s: float) -> None:
    while True:
        try:
            await refresh(app.state.runtime)
        except Exception:  # a database blip must not stop the gauges for good; readiness reports it
            log.warning("refreshing business gauges failed", exc_info=True)
        await asyncio.sleep(interval_s)


def with_gauges(
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[Any]], interval_s: float
) -> Callable[[FastAPI], AbstractAsyncContextManager[Any]]:
    """Wrap the service's lifespan: refresh the gauges while it runs."""

    @asynccontextmanager
    async def wrapped(app: FastAPI) -> AsyncIterator[Any]:
        async with lifespan(app) as state:
            task = asyncio.create_task(_refresh_forever(app, interval_s))
            try:
                yield state
            finally:
                task.cancel()

    return wrapped
