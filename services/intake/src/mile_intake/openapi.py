"""Intake's OpenAPI document tells the truth about errors: every 4xx is RFC 9457 problem+json.

FastAPI documents error responses as ``application/json`` (and 422 with its own body
shape); the platform answers them as ``application/problem+json``, so generated
clients and schemathesis would otherwise disagree with what the service sends.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict

from mile_platform.problems import PROBLEM_JSON


class Problem(BaseModel):
    """RFC 9457 problem details; 422 adds ``errors`` naming each bad field."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str | None = None


_COMMON = {
    "413": "Request body too large",
    "422": "Invalid request: `errors` names each bad field",
}


def document_problems(app: FastAPI) -> None:
    """Replace ``app.openapi`` with one whose error responses are problem+json."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            schemas["Problem"] = Problem.model_json_schema()
            for schemas_key in ("HTTPValidationError", "ValidationError"):
                schemas.pop(schemas_key, None)
            for path_item in document.get("paths", {}).values():
                for operation in path_item.values():
                    _problem_responses(operation)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _problem_responses(operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    if operation.get("requestBody") or operation.get("parameters"):
        for status, description in _COMMON.items():
            responses.setdefault(status, {"description": description})
    if operation.get("requestBody"):
        responses.setdefault("400", {"description": "The body is not JSON"})
    for status, response in responses.items():
        if status.startswith(("4", "5")):
            response["content"] = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
