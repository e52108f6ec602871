"""Grafana dashboards parse, their PromQL is valid and names only metrics the services expose,
and the business dashboard reads only reporting's non-personal projection."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase

from mile_matching import repository as matching_repository
from mile_platform import metrics

REPO = Path(__file__).resolve().parents[2]
GRAFANA = REPO / "deploy/grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
REPORTING_MIGRATIONS = REPO / "services/reporting/src/mile_reporting/migrations"
SUFFIXES = {"counter": ("_total", "_created"), "gauge": ("",), "histogram": ("_bucket", "_sum", "_count", "_created")}


def exposed_metrics() -> set[str]:
    """Every sample name the platform's metrics (and matching's lock wait) produce, as Prometheus stores them."""
    names = {"up"}
    for value in [*vars(metrics).values(), matching_repository.PROPOSAL_LOCK_WAIT]:
        if isinstance(value, MetricWrapperBase):
            names |= {value._name + suffix for suffix in SUFFIXES[value._type]}
        elif isinstance(value, metrics.BusySeconds):  # a collector of its own, read when scraped
            names |= {family.name + suffix for family in value.collect() for suffix in SUFFIXES[family.type]}
    return names


def targets(dashboard: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [t for p in dashboard["panels"] for t in p.get("targets", []) if t["datasource"]["type"] == kind]


@pytest.fixture(scope="module")
def dashboards() -> dict[str, dict[str, Any]]:
    assert [p.name for p in DASHBOARDS] == ["mile-business.json", "mile-services.json"]
    return {p.stem: json.loads(p.read_text()) for p in DASHBOARDS}


def test_dashboards_use_provisioned_data_sources(dashboards: dict[str, dict[str, Any]]) -> None:
    provisioned = yaml.safe_load((GRAFANA / "provisioning/datasources/mile.yaml").read_text())["datasources"]
    uids = {(d["type"], d["uid"]) for d in provisioned}
    for name, dashboard in dashboards.items():
        ids = [p["id"] for p in dashboard["panels"]]
        assert len(ids) == len(set(ids)), name
        for panel in dashboard["panels"]:
            for target in panel["targets"]:
                assert (target["datasource"]["type"], target["datasource"]["uid"]) in uids, panel["title"]


def test_queries_name_only_metrics_that_exist(dashboards: dict[str, dict[str, Any]]) -> None:
    known = exposed_metrics()
    for dashboard in dashboards.values():
        for target in targets(dashboard, "prometheus"):
            used = set(re.findall(r"\b(mile_[a-z_]+|up)\b(?=\s*[{\[)])", target["expr"]))
            assert used, target["expr"]
            assert used <= known, f"unknown metrics {used - known} in {target['expr']}"


def test_queries_are_valid_promql(dashboards: dict[str, dict[str, Any]], promtool: str, tmp_path: Path) -> None:
    exprs = [t["expr"].replace("$service", ".*") for d in dashboards.values() for t in targets(d, "prometheus")]
    rules = {
        "groups": [
            {"name": "dashboards", "rules": [{"record": f"dashboard:q{i}", "expr": e} for i, e in enumerate(exprs)]}
        ]
    }
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump(rules))
    result = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_service_dashboard_covers_what_operators_watch(dashboards: dict[str, dict[str, Any]]) -> None:
    text = json.dumps(dashboards["mile-services"])
    for metric in (
        "mile_http_requests_total", "mile_http_request_duration_seconds_bucket", "mile_consumer_lag",
        "mile_outbox_oldest_pending_age_seconds", "mile_dead_letters_total", "mile_db_pool_connections",
    ):  # fmt: skip
        assert metric in text
    assert 'status=~\\"5..\\"' in text, "an error-rate panel"


def test_business_dashboard_reads_the_funnel_projection_with_suppression(dashboards: dict[str, dict[str, Any]]) -> None:
    schema = " ".join(p.read_text() for p in REPORTING_MIGRATIONS.glob("*.sql"))
    columns = set(re.search(r"CREATE TABLE funnel_stages \((.*?)\n\);", schema, re.DOTALL)[1].split())
    sql = targets(dashboards["mile-business"], "grafana-postgresql-datasource")
    assert sql
    for target in sql:
        query = target["rawSql"]
        assert re.findall(r"FROM (\w+)", query) == ["funnel_stages"], "only reporting's non-personal projection"
        assert {"city", "stage"} & set(re.findall(r"\w+", query)) <= columns
        assert ">= 5" in query, "cells below 5 participants are suppressed"
