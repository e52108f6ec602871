"""Serve an ASGI app over real HTTP inside the test's event loop.

Integration tests talk to a service the way a frontend does (HTTP on a port,
lifespan run, broker and database connected) while still being able to look at
its runtime.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

from mile_devstack.processes import free_port


@asynccontextmanager
async def serve(app: FastAPI, *, startup_timeout: float = 60.0) -> AsyncIterator[str]:
    """Run ``app`` (lifespan included) on a free loopback port; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(startup_timeout):
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("server stopped during start-up")
                await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
