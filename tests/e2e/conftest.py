"""The whole platform as separate processes over real HTTP, a real broker and PostgreSQL."""

import base64
import os
import random
import string
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path

import pytest

from mile_devstack.processes import free_port
from mile_devstack.services import ServiceProcess, ServiceSpec, platform_databases, platform_specs
from mile_devstack.tokens import DevIssuer
from mile_devstack.topics import create_topics, platform_topics


class Platform:
    """Services of a test run; each can be stopped and started again on the same port and database."""

    def __init__(
        self,
        specs: list[ServiceSpec],
        log_dir: Path,
        cities: list[str],
        bootstrap: str,
        group_prefix: str,
        issuer: DevIssuer,
    ) -> None:
        self.issuer = issuer
        self.specs = {spec.name: spec for spec in specs}
        self.group_prefix = group_prefix
        self.log_dir = log_dir
        self.cities = cities
        self.bootstrap = bootstrap
        self.processes: dict[str, ServiceProcess] = {}

    def url(self, name: str) -> str:
        return self.specs[name].url

    def auth(self, city: str, *roles: str) -> dict[str, str]:
        """Headers of a caller at ``city`` (a caseworker unless ``roles`` say otherwise)."""
        return {"Authorization": f"Bearer {self.issuer.token(site=city, roles=roles or ('caseworker',))}"}

    def group(self, service: str) -> str:
        """The consumer group of a shared service in this run."""
        return f"{self.group_prefix}{service}"

    async def start(self, *names: str) -> None:
        for name in names or tuple(self.specs):
            self.processes[name] = ServiceProcess(self.specs[name], self.log_dir)
        for name in names or tuple(self.specs):
            await self.processes[name].wait_ready(120)

    def stop(self, *names: str) -> None:
        for name in names or tuple(self.processes):
            self.processes.pop(name).stop()


def _city() -> str:
    return "".join(random.choices(string.ascii_lowercase, k=8))


@pytest.fixture
async def platform(
    tmp_path: Path,
    kafka_bootstrap: str,
    kafka_idempotence: bool,
    fresh_database: Callable[[str], Awaitable[str]],
) -> AsyncIterator[Platform]:
    """Two fresh cities (so other tests' events on the shared broker never count here)."""
    cities = [_city(), _city()]
    await create_topics(kafka_bootstrap, platform_topics(cities))
    urls = {name: await fresh_database(name[:30]) for name in platform_databases(cities)}
    key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    group_prefix = f"e2e-{_city()}-"
    issuer = DevIssuer(tmp_path / "auth")
    specs = [
        replace(spec, port=free_port(), env={**spec.env, "MILE_CONSUMER_GROUP_PREFIX": group_prefix})
        for spec in platform_specs(
            cities, kafka_bootstrap, urls.__getitem__, key, kafka_idempotence, auth_env=issuer.auth_env()
        )
    ]
    running = Platform(specs, tmp_path, cities, kafka_bootstrap, group_prefix, issuer)
    try:
        await running.start()
        yield running
    finally:
        running.stop()
