"""docker-compose.yml: valid against the Compose Specification and complete for one host."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from mile_devstack.services import DEFAULT_CITIES

REPO = Path(__file__).resolve().parents[2]
SERVICES = {p.name for p in (REPO / "services").iterdir() if (p / "pyproject.toml").is_file()}
SECRET_NAMES = re.compile(r"PASSWORD|MASTER_KEY|SECRET|TOKEN")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def test_valid_against_the_compose_specification(
    compose: dict[str, Any], shared_schema: Callable[[str], dict[str, Any]]
) -> None:
    validator = jsonschema.Draft7Validator(shared_schema("compose/compose-spec.json"))  # its $schema is draft-07
    validator.validate(compose)
    broken = {**compose, "services": {**compose["services"], "kafka": {**compose["services"]["kafka"], "imag": "x"}}}
    assert not validator.is_valid(broken), "the schema must reject a misspelt key"


def test_runs_every_part_of_the_platform(compose: dict[str, Any]) -> None:
    services = compose["services"]
    intakes = {name.removeprefix("intake-") for name in services if name.startswith("intake-")}
    assert intakes == set(DEFAULT_CITIES)
    for name in ("kafka", "postgres", "matching", "placement", "reporting", "prometheus", "grafana"):
        assert name in services
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert "controller" in services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"], "KRaft, no ZooKeeper"
    assert services["postgres"]["image"].startswith("postgres:")
    assert {"otel-collector", "jaeger"} <= set(services)
    for city in DEFAULT_CITIES:
        env = services[f"intake-{city}"]["environment"]
        assert env["INTAKE_CITY"] == city
        assert env["INTAKE_DATABASE_URL"].endswith(f"/mile_intake_{city}")
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4318"


def test_services_are_locked_down_and_secrets_come_from_the_environment(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        if "build" in service:
            assert service["read_only"] is True, name
            assert service["cap_drop"] == ["ALL"], name
            assert service["build"]["args"]["SERVICE"] in SERVICES, name  # the one Dockerfile builds it
            assert name.split("-")[0] == service["build"]["args"]["SERVICE"], name
        for key, value in (service.get("environment") or {}).items():
            if SECRET_NAMES.search(key):
                assert str(value).startswith("${"), f"{name}.{key} must come from .env, not the file"


def test_mounted_files_exist_and_cover_every_database_topic_and_target(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (REPO / source).exists(), f"{name} mounts missing {source}"
    initdb = (REPO / "deploy/compose/initdb/01-databases.sql").read_text()
    scrape = yaml.safe_load((REPO / "deploy/compose/prometheus.yml").read_text())
    targets = {t for job in scrape["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]}
    for name, service in compose["services"].items():
        url = next((v for k, v in (service.get("environment") or {}).items() if k.endswith("_DATABASE_URL")), None)
        if url:
            assert f"CREATE DATABASE {url.rsplit('/', 1)[1]};" in initdb, name
            assert f"{name}:8000" in targets, f"Prometheus does not scrape {name}"
    assert compose["services"]["kafka-topics"]["environment"]["MILE_CITIES"] == ",".join(DEFAULT_CITIES)
