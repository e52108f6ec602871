"""Matching served over real HTTP on a fresh database, with a producer standing in for intake."""

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from uuid import UUID

import httpx
import pytest

from mile_devstack.inprocess import serve
from mile_devstack.tokens import DevIssuer
from mile_devstack.topics import create_topics, platform_topics
from mile_matching.main import create_app
from mile_platform.broker import make_producer
from mile_platform.settings import KafkaSettings
from mile_schemas import Event, encode_event, to_headers

CITY = "milan"

Publish = Callable[..., Awaitable[None]]


# Matching reads every city's topic on a shared broker. Each test gives its vacancy an essential
# skill of its own and a candidate without it stays below this score, so candidates of other
# tests are never proposed here; ours speak only Tigrinya, so other tests' vacancies (which
# require a host-country language) never take them either.
MIN_SCORE = "0.8"


@pytest.fixture
async def matching_database(fresh_database: Callable[[str], Awaitable[str]]) -> str:
    return await fresh_database("matching")


@pytest.fixture
def issuer(tmp_path: Path) -> DevIssuer:
    """Signs the tokens matching trusts in these tests."""
    return DevIssuer(tmp_path / "auth")


@pytest.fixture
async def matching_url(
    matching_database: str,
    kafka_bootstrap: str,
    kafka_idempotence: bool,
    issuer: DevIssuer,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[str]:
    await create_topics(kafka_bootstrap, platform_topics([CITY]))
    for name, value in issuer.auth_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MATCHING_DATABASE_URL", matching_database)
    monkeypatch.setenv("MATCHING_MIN_SCORE", MIN_SCORE)
    monkeypatch.setenv("MATCHING_INDEX_MAX_AGE_S", "0")
    monkeypatch.setenv("MATCHING_WAITING_FOLD_INTERVAL_S", "0.2")  # folds often, beside every flow tested
    monkeypatch.setenv("MILE_RETENTION_INTERVAL_S", "0.2")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)
    monkeypatch.setenv("MILE_KAFKA_IDEMPOTENCE", str(kafka_idempotence).lower())
    async with serve(create_app()) as url:
        yield url


@pytest.fixture
def liaison(issuer: DevIssuer) -> dict[str, str]:
    """Headers of an employer liaison of the tests' city."""
    return {"Authorization": f"Bearer {issuer.token(site=CITY, roles=['employer_liaison'])}"}


@pytest.fixture
def caseworker(issuer: DevIssuer) -> dict[str, str]:
    """Headers of a caseworker of the tests' city."""
    return {"Authorization": f"Bearer {issuer.token(site=CITY, roles=['caseworker'])}"}


@pytest.fixture
async def employer(matching_url: str, liaison: dict[str, str]) -> str:
    """A registered employer of the tests' city, whose vacancies the tests open."""
    async with httpx.AsyncClient(base_url=matching_url) as http:
        body = {"name": "Idraulica Test S.r.l.", "nace": "F43.2", "municipality": "Milano"}
        response = await http.post("/employers", json=body, headers=liaison)
    assert response.status_code == 201, response.text
    return str(response.json()["employer_id"])


@pytest.fixture
async def publish(kafka_bootstrap: str, kafka_idempotence: bool) -> AsyncIterator[Publish]:
    """Send an event as its producer would: CloudEvents headers, key = aggregate id."""
    settings = KafkaSettings(bootstrap_servers=kafka_bootstrap)
    producer = make_producer(settings, service="test", idempotence=kafka_idempotence)
    await producer.start()

    async def send(event: Event, *, event_id: UUID | None = None) -> None:
        await producer.send_and_wait(
            event.topic(), key=event.key().encode(), value=encode_event(event), headers=to_headers(event.meta(event_id))
        )

    yield send
    await producer.stop()
