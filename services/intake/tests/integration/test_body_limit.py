"""The request-body limit (``MILE_MAX_BODY_BYTES``) holds for declared and chunked bodies alike.

A chunked body carries no Content-Length, so only counting what arrives can refuse it;
the platform does that for every service. Served over real HTTP with a small limit.
"""

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from mile_devstack.demo import PLUMBER, Person, participant_request
from mile_devstack.inprocess import serve
from mile_intake.main import create_app

from .conftest import Intake

pytestmark = pytest.mark.integration

LIMIT = 4096


async def _chunked(data: bytes, size: int = 512) -> AsyncIterator[bytes]:
    """An async body: httpx sends it with ``Transfer-Encoding: chunked`` and no length."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _problem_413(response: httpx.Response) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 413


async def test_bodies_over_the_limit_are_413_with_or_without_a_length(
    intake: Intake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MILE_MAX_BODY_BYTES", str(LIMIT))
    body = participant_request(Person("Sara", "Limit", "1990-01-01", "female", "SY", "refugee", PLUMBER, 1))
    oversized = {**body, "profile": {**body["profile"], "skills": [f"skill {i:04d}" for i in range(600)]}}
    big = json.dumps(oversized).encode()
    assert len(big) > 2 * LIMIT
    headers = {**intake.auth(), "Content-Type": "application/json"}
    async with serve(create_app()) as url, httpx.AsyncClient(base_url=url) as client:
        chunked = await client.post("/participants", content=_chunked(big), headers=headers)
        assert "content-length" not in chunked.request.headers
        assert chunked.request.headers["transfer-encoding"] == "chunked"
        _problem_413(chunked)
        _problem_413(await client.post("/participants", content=_chunked(big, len(big)), headers=headers))  # one chunk

        _problem_413(await client.post("/participants", content=big, headers=headers))
        another = await client.post(
            f"/participants/{'0' * 8}-0000-0000-0000-{'0' * 12}/consents",
            content=_chunked(b" " * (3 * LIMIT)),
            headers=headers,
        )
        _problem_413(another)

        small = await client.post("/participants", content=_chunked(json.dumps(body).encode()), headers=headers)
        assert small.status_code == 201, small.text  # a chunked body within the limit is read as usual
        listed = await client.get("/participants", headers=intake.auth())
        assert [p["participant_id"] for p in listed.json()["items"]] == [small.json()["participant_id"]]
