"""The one way an HTTP write runs: one transaction, at most once per ``Idempotency-Key``.

Endpoints stay thin: they parse the command, hand ``write_once`` the handler to
run, and answer what it returns, which is the first response again on a repeat.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import asyncpg
from fastapi import Header, Request
from pydantic import BaseModel

from mile_platform.idempotency import run_once
from mile_platform.web import runtime_of

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description=(
            "repeat a write safely: a repeat within a day (MILE_IDEMPOTENCY_RETENTION_H) returns the first "
            "response; send a random value (a UUID), never anything about a person"
        ),
    ),
]


async def write_once(
    request: Request,
    *,
    key: str | None,
    command: BaseModel,
    success: int,
    run: Callable[[asyncpg.Connection], Awaitable[BaseModel]],
) -> tuple[int, dict[str, Any]]:
    """Run ``run`` in one transaction; the key's scope is the request's method and path."""
    async with runtime_of(request).db().acquire() as conn, conn.transaction():

        async def once() -> tuple[int, dict[str, Any]]:
            return success, (await run(conn)).model_dump(mode="json")

        return await run_once(
            conn, scope=f"{request.method} {request.url.path}", key=key, request=command, command=once
        )
