"""Who is calling: OAuth2 bearer JWTs verified against a configured key set.

Every service trusts the same issuer: tokens carry the partner city in ``site``
and what the caller may do in ``roles``. Keys come from a JWKS file
(``MILE_AUTH_JWKS_FILE``, mounted from a secret) or URL (``MILE_AUTH_JWKS_URL``,
the identity provider's); a service with neither refuses every request rather
than trusting anyone.
"""

import asyncio
import json
import time
from collections.abc import Callable, Coroutine
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.exceptions import HTTPException

from mile_schemas import CitySlug

ALGORITHMS = ["RS256", "ES256", "EdDSA"]
VERIFIED_FOR_S = 60.0
"""How long a verified token is trusted without checking its signature again (never past its expiry)."""
VERIFIED_KEPT = 1024
"""How many verified tokens are remembered: a caller sends the same token with every request."""


class Role(StrEnum):
    CASEWORKER = "caseworker"
    EMPLOYER_LIAISON = "employer_liaison"
    PROGRAMME_MANAGER = "programme_manager"
    AUDITOR = "auditor"
    ADMIN = "admin"


_ROLE_NAMES = {role.value for role in Role}  # roles of other systems in a shared token are ignored


class AuthSettings(BaseSettings):
    """Where the verification keys are and what a token must be issued for."""

    model_config = SettingsConfigDict(env_prefix="MILE_AUTH_", extra="ignore")

    jwks_file: Path | None = None
    jwks_url: str | None = None
    audience: str = "mile"
    issuer: str | None = None  # checked when set
    leeway_s: int = 30


class Principal(BaseModel):
    """The authenticated caller: ``subject`` acts for ``site`` with ``roles``."""

    model_config = ConfigDict(frozen=True)

    subject: str = Field(min_length=1)
    site: CitySlug
    roles: frozenset[Role]

    def has_any(self, roles: frozenset[Role]) -> bool:
        return bool(self.roles & roles)


class Unauthenticated(Exception):
    """The token is missing, malformed, expired, or not signed by a trusted key."""


def unauthorized(reason: str) -> HTTPException:
    return HTTPException(401, f"Not authenticated: {reason}", headers={"WWW-Authenticate": 'Bearer realm="mile"'})


class Authenticator:
    """Verifies bearer tokens; a JWKS file is re-read when it changes (key rotation).

    A signature check costs more CPU than the rest of a small request, and a caller sends one
    token many times: a verified token is remembered until it expires, for at most
    ``VERIFIED_FOR_S``, and only while the key file it was checked against is unchanged.
    """

    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings
        self._file_keys: tuple[float, jwt.PyJWKSet] | None = None
        self._url_client = jwt.PyJWKClient(settings.jwks_url, cache_keys=True) if settings.jwks_url else None
        self._verified: dict[str, tuple[float, jwt.PyJWKSet | None, Principal]] = {}

    async def verify(self, token: str) -> Principal:
        key_set = self._keys_from_file() if self._url_client is None and self.settings.jwks_file else None
        remembered = self._verified.get(token)
        if remembered is not None and remembered[1] is key_set and time.time() < remembered[0]:
            return remembered[2]
        principal, expires = await self._check(token)
        if len(self._verified) >= VERIFIED_KEPT:
            del self._verified[next(iter(self._verified))]  # the oldest
        self._verified[token] = (min(expires, time.time() + VERIFIED_FOR_S), key_set, principal)
        return principal

    async def _check(self, token: str) -> tuple[Principal, float]:
        """The caller and when the token expires, after every check of signature and claims."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthenticated("malformed token") from exc
        key = await self._signing_key(header.get("kid"))
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=ALGORITHMS,
                audience=self.settings.audience,
                issuer=self.settings.issuer,
                leeway=self.settings.leeway_s,
                options={"require": ["exp", "sub", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"invalid token ({type(exc).__name__})") from exc
        try:
            roles = claims.get("roles") or []
            known = [r for r in roles if r in _ROLE_NAMES] if isinstance(roles, list) else roles
            return Principal(subject=claims["sub"], site=claims.get("site"), roles=known), float(claims["exp"])
        except ValidationError as exc:
            raise Unauthenticated("token lacks a valid site or roles claim") from exc

    async def _signing_key(self, kid: str | None) -> jwt.PyJWK:
        if self._url_client is not None:
            try:
                if kid is None:
                    raise Unauthenticated("token has no key id")
                return await asyncio.to_thread(self._url_client.get_signing_key, kid)
            except jwt.PyJWKClientError as exc:
                raise Unauthenticated("no trusted key for this token") from exc
        keys = self._keys_from_file()
        for key in keys.keys:
            if kid is None or key.key_id == kid:
                return key
        raise Unauthenticated("no trusted key for this token")

    def _keys_from_file(self) -> jwt.PyJWKSet:
        path = self.settings.jwks_file
        if path is None:
            raise Unauthenticated("this service has no trusted keys configured")
        try:
            mtime = path.stat().st_mtime
            if self._file_keys is None or self._file_keys[0] != mtime:
                self._file_keys = (mtime, jwt.PyJWKSet.from_dict(json.loads(path.read_text())))
        except (OSError, ValueError, jwt.PyJWTError) as exc:
            raise Unauthenticated("the trusted key set cannot be read") from exc
        return self._file_keys[1]


_bearer = HTTPBearer(auto_error=False, description="JWT with claims `site` and `roles`")


def setup_auth(app: Any, settings: AuthSettings | None = None) -> Authenticator:
    """Make ``app`` verify tokens (``settings`` default to the environment)."""
    app.state.authenticator = Authenticator(settings or AuthSettings())
    return app.state.authenticator


async def authenticated(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """The caller, or 401 problem+json."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise unauthorized("a bearer token is required")
    try:
        return await request.app.state.authenticator.verify(credentials.credentials)
    except Unauthenticated as exc:
        raise unauthorized(str(exc)) from exc


def require_roles(*roles: Role) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency giving the caller when they hold one of ``roles``, else 403."""
    wanted = frozenset(roles)

    async def dependency(principal: Annotated[Principal, Depends(authenticated)]) -> Principal:
        if not principal.has_any(wanted):
            raise HTTPException(403, f"Forbidden: needs one of the roles {', '.join(sorted(wanted))}")
        return principal

    return dependency
