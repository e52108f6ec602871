"""A running reporting service (real HTTP, PostgreSQL and broker) with a city of its own."""

import random
import string
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from mile_devstack.inprocess import serve
from mile_devstack.tokens import DevIssuer
from mile_devstack.topics import create_topics, platform_topics
from mile_reporting.main import create_app

CONSORTIUM = "consortium"  # the site whose tokens read every city (REPORTING_CONSORTIUM_SITE's default)


@dataclass(frozen=True)
class Reporting:
    http: httpx.AsyncClient  # sends a consortium programme manager's token
    database_url: str
    bootstrap: str
    city: str
    issuer: DevIssuer

    def auth(self, site: str, *roles: str) -> dict[str, str]:
        """Headers of a caller at ``site`` (a programme manager unless ``roles`` say otherwise)."""
        token = self.issuer.token(site=site, roles=roles or ("programme_manager",))
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def reporting(
    fresh_database: Callable[[str], Awaitable[str]],
    kafka_bootstrap: str,
    kafka_idempotence: bool,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> AsyncIterator[Reporting]:
    # A city no other test publishes to, so counts on the shared broker are this test's alone.
    city = "rep" + "".join(random.choices(string.ascii_lowercase, k=10))
    await create_topics(kafka_bootstrap, platform_topics([city]))  # before start: the pattern sees them
    database_url = await fresh_database("reporting")
    monkeypatch.setenv("REPORTING_DATABASE_URL", database_url)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)
    monkeypatch.setenv("REPORTING_GAUGES_INTERVAL_S", "0.3")
    monkeypatch.setenv("MILE_KAFKA_IDEMPOTENCE", str(kafka_idempotence).lower())
    issuer = DevIssuer(tmp_path / "auth")
    for name, value in issuer.auth_env().items():
        monkeypatch.setenv(name, value)
    headers = {"Authorization": f"Bearer {issuer.token(site=CONSORTIUM, roles=['programme_manager'])}"}
    async with serve(create_app()) as base_url, httpx.AsyncClient(base_url=base_url, headers=headers) as http:
        yield Reporting(http=http, database_url=database_url, bootstrap=kafka_bootstrap, city=city, issuer=issuer)
