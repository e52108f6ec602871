"""Alert rules pass `promtool check rules` and their unit tests; every service's /metrics passes
`promtool check metrics` (classic text format, as Prometheus scrapes it)."""

from __future__ import annotations

import asyncio
import base64
import os
import random
import string
import subprocess
from asyncio.subprocess import PIPE, STDOUT
from collections.abc import Awaitable, Callable
from importlib import import_module
from pathlib import Path

import httpx
import pytest

from mile_devstack.inprocess import serve
from mile_devstack.tokens import DevIssuer
from mile_devstack.topics import create_topics, platform_topics

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "deploy/prometheus/rules/mile-alerts.yml"
ALERTS = ("MileConsumerLagGrowing", "MileOutboxBacklogOld", "MileDeadLetter", "MileServiceDown", "MileFollowUpsOverdue")


def run(*command: str) -> str:
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=REPO)
    assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_rules_are_valid_and_cover_the_issue(promtool: str) -> None:
    out = run(promtool, "check", "rules", str(RULES))
    assert f"SUCCESS: {len(ALERTS)} rules found" in out
    text = RULES.read_text()
    for alert in ALERTS:
        assert f"alert: {alert}\n" in text


def test_rules_unit_tests_pass(promtool: str) -> None:
    assert "SUCCESS" in run(promtool, "test", "rules", str(REPO / "deploy/prometheus/tests/mile-alerts.test.yml"))


def test_compose_prometheus_config_is_valid(promtool: str) -> None:
    run(promtool, "check", "config", "--syntax-only", str(REPO / "deploy/compose/prometheus.yml"))


@pytest.mark.integration
@pytest.mark.parametrize("service", ["intake", "matching", "placement", "reporting"])
async def test_metrics_endpoint_passes_promtool(
    service: str,
    promtool: str,
    tmp_path: Path,
    fresh_database: Callable[[str], Awaitable[str]],
    kafka_bootstrap: str,
    kafka_idempotence: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    city = "ops" + "".join(random.choices(string.ascii_lowercase, k=10))
    await create_topics(kafka_bootstrap, platform_topics([city]))
    env = {
        **DevIssuer(tmp_path / "auth").auth_env(),
        f"{service.upper()}_DATABASE_URL": await fresh_database(service),
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "MILE_KAFKA_IDEMPOTENCE": str(kafka_idempotence).lower(),
        "MILE_CONSUMER_GROUP_PREFIX": f"{city}-",
        "INTAKE_CITY": city,
        "INTAKE_MASTER_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    app = import_module(f"mile_{service}.main").create_app()
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as http:
        assert (await http.get("/healthz")).status_code == 200  # so request metrics have samples
        response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "mile_http_requests_total" in response.text
    checker = await asyncio.create_subprocess_exec(promtool, "check", "metrics", stdin=PIPE, stdout=PIPE, stderr=STDOUT)
    output, _ = await checker.communicate(response.text.encode())
    assert checker.returncode == 0, output.decode()
