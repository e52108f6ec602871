"""RFC 9457 problem details for every error an HTTP client can cause.

Bad input is answered with a 4xx naming each offending field, never with a 500;
domain errors carry their own status.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from mile_platform.errors import DomainError

PROBLEM_JSON = "application/problem+json"


def problem(status: int, title: str, detail: str | None = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:] or parts
    return ".".join(parts)


def validation_problem(errors: Sequence[Mapping[str, Any]]) -> JSONResponse:
    """The 422 for pydantic-style errors (``loc``, ``msg``, ``type``), each named by its field."""
    named = [
        {"field": _field(tuple(err.get("loc", ()))), "message": err.get("msg", ""), "type": err.get("type", "")}
        for err in errors
    ]
    fields = ", ".join(sorted({e["field"] for e in named}))
    return problem(422, "Invalid request", f"Invalid fields: {fields}", errors=named)


async def _validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return validation_problem(exc.errors())


async def _domain(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return problem(exc.status, exc.title, str(exc))


async def _http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    response = problem(exc.status_code, str(exc.detail) if exc.detail else "Error")
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


def setup_problems(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(StarletteHTTPException, _http)
