"""Bearer tokens checked the way every service checks them, with keys made here (no mocks).

The app is served over real HTTP; its keys come from a JWKS file or from a JWKS URL
served over real HTTP too.
"""

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Depends, FastAPI

from mile_devstack.inprocess import serve
from mile_platform.auth import AuthSettings, Principal, Role, authenticated, require_roles, setup_auth
from mile_platform.problems import setup_problems

ISSUER, AUDIENCE = "https://id.example.org", "mile"


class Keys:
    """An RSA signing key and the JWKS publishing its public half."""

    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self) -> dict[str, Any]:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {**public, "kid": self.kid, "alg": "RS256", "use": "sig"}

    def token(self, **overrides: Any) -> str:
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "carla",
            "site": "milan",
            "roles": ["caseworker"],
            "exp": int(time.time()) + 600,
        }
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(claims, self.private, algorithm="RS256", headers={"kid": self.kid})


def _app(settings: AuthSettings) -> FastAPI:
    app = FastAPI()
    setup_problems(app)
    setup_auth(app, settings)

    @app.get("/me")
    async def me(principal: Annotated[Principal, Depends(authenticated)]) -> dict[str, Any]:
        return {"subject": principal.subject, "site": principal.site, "roles": sorted(principal.roles)}

    @app.get("/audit")
    async def audit(principal: Annotated[Principal, Depends(require_roles(Role.AUDITOR))]) -> dict[str, str]:
        return {"subject": principal.subject}

    return app


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys("k1")


@pytest.fixture
async def served(tmp_path: Path, keys: Keys) -> AsyncIterator[tuple[httpx.AsyncClient, Path]]:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [keys.jwk()]}))
    async with serve(_app(AuthSettings(jwks_file=jwks, issuer=ISSUER, audience=AUDIENCE))) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            yield client, jwks


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_valid_token_gives_the_principal(served: tuple[httpx.AsyncClient, Path], keys: Keys) -> None:
    client, _ = served
    response = await client.get("/me", headers=_bearer(keys.token(roles=["caseworker", "auditor", "pilot"])))
    assert response.status_code == 200, response.text
    assert response.json() == {"subject": "carla", "site": "milan", "roles": ["auditor", "caseworker"]}


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": int(time.time()) - 3600},
        {"aud": "another-api"},
        {"iss": "https://evil.example.org"},
        {"site": None},
        {"site": "Not A City"},
        {"sub": None},
        {"exp": None},
    ],
    ids=["expired", "audience", "issuer", "no-site", "bad-site", "no-subject", "no-expiry"],
)
async def test_tokens_failing_a_check_get_401_problem(
    served: tuple[httpx.AsyncClient, Path], keys: Keys, claims: dict[str, Any]
) -> None:
    client, _ = served
    response = await client.get("/me", headers=_bearer(keys.token(**claims)))
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_missing_forged_and_unsigned_tokens_get_401(served: tuple[httpx.AsyncClient, Path], keys: Keys) -> None:
    client, _ = served
    forged = Keys(keys.kid).token()  # same key id, another key
    unsigned = jwt.encode({"sub": "x", "site": "milan", "roles": ["admin"], "aud": AUDIENCE}, None, algorithm="none")
    for headers in ({}, _bearer(forged), _bearer(unsigned), _bearer("garbage"), {"Authorization": "Basic eDp5"}):
        response = await client.get("/me", headers=headers)
        assert response.status_code == 401, (headers, response.text)
        assert response.json()["status"] == 401


async def test_a_missing_role_gets_403(served: tuple[httpx.AsyncClient, Path], keys: Keys) -> None:
    client, _ = served
    denied = await client.get("/audit", headers=_bearer(keys.token(roles=["caseworker"])))
    assert denied.status_code == 403
    assert denied.headers["content-type"] == "application/problem+json"
    allowed = await client.get("/audit", headers=_bearer(keys.token(roles=["auditor"])))
    assert allowed.status_code == 200


async def test_a_rotated_key_file_is_picked_up(served: tuple[httpx.AsyncClient, Path], keys: Keys) -> None:
    client, jwks = served
    successor = Keys("k2")
    assert (await client.get("/me", headers=_bearer(successor.token()))).status_code == 401
    jwks.write_text(json.dumps({"keys": [keys.jwk(), successor.jwk()]}))
    stat = jwks.stat()
    os.utime(jwks, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert (await client.get("/me", headers=_bearer(successor.token()))).status_code == 200


async def test_a_remembered_token_is_refused_once_its_key_is_withdrawn(
    served: tuple[httpx.AsyncClient, Path], keys: Keys
) -> None:
    client, jwks = served
    token = keys.token()
    assert (await client.get("/me", headers=_bearer(token))).status_code == 200
    assert (await client.get("/me", headers=_bearer(token))).status_code == 200  # now remembered
    jwks.write_text(json.dumps({"keys": [Keys("k2").jwk()]}))
    stat = jwks.stat()
    os.utime(jwks, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert (await client.get("/me", headers=_bearer(token))).status_code == 401


async def test_a_remembered_token_is_refused_once_it_expires(tmp_path: Path, keys: Keys) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [keys.jwk()]}))
    settings = AuthSettings(jwks_file=jwks, issuer=ISSUER, audience=AUDIENCE, leeway_s=0)
    async with serve(_app(settings)) as url, httpx.AsyncClient(base_url=url) as client:
        token = keys.token(exp=int(time.time()) + 2)
        assert (await client.get("/me", headers=_bearer(token))).status_code == 200
        await asyncio.sleep(2.5)
        assert (await client.get("/me", headers=_bearer(token))).status_code == 401


async def test_keys_from_a_jwks_url(keys: Keys) -> None:
    provider = FastAPI()

    @provider.get("/jwks")
    async def jwks() -> dict[str, Any]:
        return {"keys": [keys.jwk()]}

    async with serve(provider) as provider_url:
        settings = AuthSettings(jwks_url=f"{provider_url}/jwks", issuer=ISSUER, audience=AUDIENCE)
        async with serve(_app(settings)) as url, httpx.AsyncClient(base_url=url) as client:
            assert (await client.get("/me", headers=_bearer(keys.token()))).status_code == 200
            assert (await client.get("/me", headers=_bearer(Keys("k9").token()))).status_code == 401


async def test_a_service_without_keys_trusts_nobody(keys: Keys) -> None:
    async with serve(_app(AuthSettings(issuer=ISSUER))) as url, httpx.AsyncClient(base_url=url) as client:
        assert (await client.get("/me", headers=_bearer(keys.token()))).status_code == 401
