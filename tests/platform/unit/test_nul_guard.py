"""The platform's NUL guard on a tiny app served over real HTTP (uvicorn): a NUL in a query
parameter or anywhere in a JSON body's strings is a 422 naming each field before the app runs;
every other body reaches the app byte for byte, chunked or not."""

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, Request

from mile_devstack.inprocess import serve
from mile_platform.nulguard import NulGuard
from mile_platform.problems import setup_problems

JSON = {"content-type": "application/json"}


def _app(seen: list[bytes]) -> FastAPI:
    app = FastAPI()

    @app.get("/search")
    async def search(q: str = "") -> dict[str, str]:
        return {"q": q}

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        body = await request.body()
        seen.append(body)
        return {"bytes": len(body)}

    setup_problems(app)
    app.add_middleware(NulGuard)
    return app


@pytest.fixture
def seen() -> list[bytes]:
    return []


@pytest.fixture
async def client(seen: list[bytes]) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(_app(seen)) as url, httpx.AsyncClient(base_url=url) as http:
        yield http


def _fields(response: httpx.Response) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert all("NUL" in error["message"] for error in errors)
    return [error["field"] for error in errors]


async def test_a_nul_in_a_query_parameter_is_422_naming_it(client: httpx.AsyncClient) -> None:
    assert _fields(await client.get("/search", params={"q": "a\x00b"})) == ["q"]
    assert (await client.get("/search", params={"q": "a%00b"})).json() == {"q": "a%00b"}  # the text "%00" is fine


async def test_a_nul_in_a_json_body_is_422_naming_each_field_and_the_app_never_runs(
    client: httpx.AsyncClient, seen: list[bytes]
) -> None:
    body = {"name": "ok", "profile": {"municipality": "Cen\x00tro", "languages": ["it", "d\x00e"]}, "k\x00": 1}
    response = await client.post("/echo", content=json.dumps(body), headers=JSON)
    assert _fields(response) == ["profile.municipality", "profile.languages.1", "k\x00"]
    assert seen == []


async def test_other_bodies_reach_the_app_unchanged(client: httpx.AsyncClient, seen: list[bytes]) -> None:
    escaped = json.dumps({"path": "C:\\u0000"}).encode()  # a backslash then "u0000": text, not a NUL
    plain = b"not json \\u0000"

    async def chunked() -> AsyncIterator[bytes]:
        for start in range(0, len(escaped), 3):
            yield escaped[start : start + 3]

    assert (await client.post("/echo", content=escaped, headers=JSON)).status_code == 200
    assert (await client.post("/echo", content=chunked(), headers=JSON)).status_code == 200
    assert (await client.post("/echo", content=plain, headers={"content-type": "text/plain"})).status_code == 200
    assert seen == [escaped, escaped, plain]
