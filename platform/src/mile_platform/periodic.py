"""A background job run every few seconds for as long as a service is up.

Used for work a clock, not an event, makes due (follow-ups, consent expiry, folding counts). A
failed run is logged by exception class only (messages of database errors can quote stored
values) and tried again on the next; only cancellation, at shutdown, ends the loop.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
from fastapi import FastAPI

from mile_platform.errors import is_transient
from mile_platform.runtime import Runtime

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def every(interval_s: float, run: Callable[[], Awaitable[object]], *, name: str) -> AsyncIterator[None]:
    """Call ``run`` now and then every ``interval_s`` seconds while the block runs; stop on leaving it."""
    task = asyncio.create_task(_loop(interval_s, run, name), name=name)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def while_serving(
    app: FastAPI, interval_s: float, job: Callable[[asyncpg.Pool], Callable[[], Awaitable[object]]], *, name: str
) -> None:
    """Run a service's job every ``interval_s`` seconds from the moment it has started until it stops:
    ``job`` is given the service's database pool once that is open, and returns what to run."""
    runtime: Runtime = app.state.runtime
    serving = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with serving(app), every(interval_s, job(runtime.db()), name=name):
            yield

    app.router.lifespan_context = lifespan


async def _loop(interval_s: float, run: Callable[[], Awaitable[object]], name: str) -> None:
    while True:
        try:
            await run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            level = logging.WARNING if is_transient(exc) else logging.ERROR
            log.log(level, "%s tick failed: %s; retrying", name, type(exc).__name__)
        await asyncio.sleep(interval_s)
