"""The platform's body limit on a tiny app served over real HTTP (uvicorn): a declared length
over the limit, a chunked body counted as it arrives, and an app that raises once its body was
cut short all answer 413 problem+json; an app's own failures on a small body stay its own."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, Request
from starlette.requests import ClientDisconnect

from mile_devstack.inprocess import serve
from mile_platform.bodylimit import BodySizeLimit

LIMIT = 1000


def _app() -> FastAPI:
    app = FastAPI()

    @app.post("/read")
    async def read(request: Request) -> dict[str, int]:
        """Starlette raises ClientDisconnect when the limit cuts the body short."""
        return {"bytes": len(await request.body())}

    @app.post("/give-up")
    async def give_up(request: Request) -> dict[str, int]:
        """An app that turns the cut-off body into an error of its own."""
        try:
            body = await request.body()
        except ClientDisconnect as exc:
            raise RuntimeError("the client went away") from exc
        if body == b"fail":
            raise RuntimeError("a failure of the app's own")
        return {"bytes": len(body)}

    app.add_middleware(BodySizeLimit, max_bytes=LIMIT)
    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with serve(_app()) as url, httpx.AsyncClient(base_url=url) as http:
        yield http


async def _chunked(data: bytes, size: int = 256) -> AsyncIterator[bytes]:
    """An async body: httpx sends it with ``Transfer-Encoding: chunked`` and no length."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _is_413(response: httpx.Response) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 413


@pytest.mark.parametrize("path", ["/read", "/give-up"])
async def test_a_declared_length_over_the_limit_is_413(client: httpx.AsyncClient, path: str) -> None:
    response = await client.post(path, content=b"x" * (LIMIT + 1))
    assert response.request.headers["content-length"] == str(LIMIT + 1)
    _is_413(response)


@pytest.mark.parametrize("path", ["/read", "/give-up"])
async def test_a_chunked_body_over_the_limit_is_413_even_when_the_app_raises(
    client: httpx.AsyncClient, path: str
) -> None:
    for size in (256, 3 * LIMIT):  # many chunks, or one chunk past the limit
        response = await client.post(path, content=_chunked(b"x" * (3 * LIMIT), size))
        assert "content-length" not in response.request.headers
        _is_413(response)


async def test_bodies_within_the_limit_reach_the_app_and_its_own_errors_stay_500(client: httpx.AsyncClient) -> None:
    assert (await client.post("/read", content=b"x" * LIMIT)).json() == {"bytes": LIMIT}
    assert (await client.post("/read", content=_chunked(b"x" * LIMIT))).json() == {"bytes": LIMIT}
    assert (await client.post("/give-up", content=b"fail")).status_code == 500
