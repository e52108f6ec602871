"""Service launch contract: ports, databases and environment for the default cities."""

from __future__ import annotations

import sys

from mile_devstack.services import DEFAULT_CITIES, ServiceSpec, platform_databases, platform_specs


def _specs(idempotence: bool = False) -> list[ServiceSpec]:
    return platform_specs(
        DEFAULT_CITIES,
        "127.0.0.1:19092",
        lambda db: f"postgresql://postgres@127.0.0.1:15432/{db}",
        "a-key",
        idempotence,
    )


def test_ports_and_names_are_the_documented_ones() -> None:
    assert [(s.name, s.module, s.port) for s in _specs()] == [
        ("intake-milan", "mile_intake", 8101),
        ("intake-viladecans", "mile_intake", 8102),
        ("intake-innsbruck", "mile_intake", 8103),
        ("intake-athens", "mile_intake", 8104),
        ("intake-patras", "mile_intake", 8105),
        ("matching", "mile_matching", 8201),
        ("placement", "mile_placement", 8301),
        ("reporting", "mile_reporting", 8401),
    ]


def test_extra_cities_continue_the_intake_ports() -> None:
    specs = platform_specs([*DEFAULT_CITIES, "graz"], "b:1", str, "k", False)
    assert [s.port for s in specs if s.module == "mile_intake"][-1] == 8106


def test_environment() -> None:
    specs = {s.name: s for s in _specs()}
    milan = specs["intake-milan"].env
    assert milan["INTAKE_DATABASE_URL"] == "postgresql://postgres@127.0.0.1:15432/mile_intake_milan"
    assert milan["INTAKE_CITY"] == "milan"
    assert milan["INTAKE_MASTER_KEY"] == "a-key"
    for service in ("matching", "placement", "reporting"):
        env = specs[service].env
        assert env[f"{service.upper()}_DATABASE_URL"].endswith(f"/mile_{service}")
        assert "INTAKE_MASTER_KEY" not in env
    for spec in specs.values():
        assert spec.env["KAFKA_BOOTSTRAP_SERVERS"] == "127.0.0.1:19092"
        assert spec.env["MILE_KAFKA_IDEMPOTENCE"] == "false"
        assert spec.env["MILE_LOG_LEVEL"] == "INFO"
        assert "OTEL_EXPORTER_OTLP_ENDPOINT" not in spec.env
    assert all(s.env["MILE_KAFKA_IDEMPOTENCE"] == "true" for s in _specs(idempotence=True))


def test_command_runs_the_app_factory_with_this_interpreter() -> None:
    assert _specs()[0].command() == [
        sys.executable, "-m", "uvicorn", "mile_intake.main:create_app", "--factory",
        "--host", "127.0.0.1", "--port", "8101", "--no-access-log",
    ]  # fmt: skip


def test_databases() -> None:
    assert platform_databases(["milan", "patras"]) == [
        "mile_intake_milan", "mile_intake_patras", "mile_matching", "mile_placement", "mile_reporting",
    ]  # fmt: skip
