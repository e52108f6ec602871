"""Intake served over real HTTP on a fresh database and the shared broker, trusting a test issuer."""

import base64
import os
import random
import string
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from mile_devstack.demo import Person, participant_request
from mile_devstack.inprocess import serve
from mile_devstack.tokens import DevIssuer
from mile_devstack.topics import create_topics, platform_topics
from mile_intake.main import create_app


def random_city() -> str:
    """A city of this test only, so other tests' events on the shared broker never mix in."""
    return "".join(random.choices(string.ascii_lowercase, k=10))


@dataclass
class ShiftedClock:
    """The service's clock in tests: real time, plus whatever the test moved it on by."""

    offset: timedelta = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, by: timedelta) -> None:
        self.offset += by


@dataclass
class Intake:
    url: str
    city: str
    database_url: str
    issuer: DevIssuer
    clock: ShiftedClock = field(default_factory=ShiftedClock)

    def auth(self, *roles: str, site: str | None = None) -> dict[str, str]:
        token = self.issuer.token(site=site or self.city, roles=roles or ("caseworker",))
        return {"Authorization": f"Bearer {token}"}

    async def register(self, client: httpx.AsyncClient, person: Person, **headers: str) -> dict[str, Any]:
        response = await client.post(
            f"{self.url}/participants",
            json=participant_request(person),
            headers={**self.auth("caseworker"), **headers},
        )
        assert response.status_code == 201, response.text
        return response.json()


@pytest.fixture
async def intake(
    tmp_path: Path,
    fresh_database: Callable[[str], Awaitable[str]],
    kafka_bootstrap: str,
    kafka_idempotence: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Intake]:
    city = random_city()
    await create_topics(kafka_bootstrap, platform_topics([city]))
    database_url = await fresh_database("intake")
    issuer = DevIssuer(tmp_path / "auth")
    for name, value in {
        **issuer.auth_env(),
        "INTAKE_DATABASE_URL": database_url,
        "INTAKE_CITY": city,
        "INTAKE_MASTER_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "MILE_KAFKA_IDEMPOTENCE": str(kafka_idempotence).lower(),
        "INTAKE_CONSENT_EXPIRY_INTERVAL_S": "0.2",  # looks often; the test's clock decides what is due
    }.items():
        monkeypatch.setenv(name, value)
    clock = ShiftedClock()
    async with serve(create_app(clock)) as url:
        yield Intake(url=url, city=city, database_url=database_url, issuer=issuer, clock=clock)
