"""NUL characters are refused at the edge: PostgreSQL's text and jsonb cannot hold one.

A NUL in a query parameter or in a string of a JSON body would otherwise reach a statement and
fail there as a 500. Here it is a 422 naming each field, in the shape of every other invalid
request, before the app runs. A JSON body is read whole first (FastAPI reads it whole anyway,
and the body limit outside this bounds it) and handed on unchanged.
"""

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mile_platform.problems import validation_problem

_MESSAGE = "must not contain NUL characters (\\u0000)"


class NulGuard:
    """ASGI middleware: 422 problem+json for a NUL in the query string or a JSON body's strings."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        errors = _query_errors(scope.get("query_string", b""))
        if not errors and b"json" in dict(scope["headers"]).get(b"content-type", b""):
            messages = await _read_body(receive)
            body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
            if b"\\u0000" in body:  # cheap: JSON can carry a NUL only escaped
                errors = _body_errors(body)
            receive = _replaying(messages, receive)
        if errors:
            await validation_problem(errors)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _query_errors(query_string: bytes) -> list[dict[str, Any]]:
    if b"%00" not in query_string:
        return []
    return [
        _error(("query", name))
        for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, errors="replace")
        if "\x00" in name or "\x00" in value
    ]


def _body_errors(body: bytes) -> list[dict[str, Any]]:
    try:
        document = json.loads(body)
    except ValueError:
        return []  # not JSON: the app's own validation says so
    return [_error(("body", *loc)) for loc in _nul_strings(document, ())]


def _nul_strings(value: Any, loc: tuple[str | int, ...]) -> Iterator[tuple[str | int, ...]]:
    """Where strings (keys included) holding a NUL sit in a parsed JSON document."""
    if isinstance(value, str):
        if "\x00" in value:
            yield loc
    elif isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                yield (*loc, key)
            yield from _nul_strings(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_strings(item, (*loc, index))


def _error(loc: tuple[str | int, ...]) -> dict[str, Any]:
    return {"loc": loc, "msg": _MESSAGE, "type": "value_error"}


async def _read_body(receive: Receive) -> list[Message]:
    """Every message up to the body's last (or a disconnect, which the app will see too)."""
    messages = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    """The body's messages again, in order, then whatever the client sends next."""
    pending = iter(messages)

    async def replay() -> Message:
        return next(pending, None) or await receive()

    return replay
