"""deploy/k8s: every overlay renders, validates against the real schemas and keeps MILE's rules."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from mile_devstack.topics import platform_topics

REPO = Path(__file__).resolve().parents[2]
CITIES_DIR = REPO / "deploy/k8s/overlays/cities"
CITIES = sorted(p.name for p in CITIES_DIR.iterdir())  # adding a city = adding an overlay, nothing else
CUSTOM_GROUPS = ("kafka.strimzi.io", "postgresql.cnpg.io", "keda.sh", "monitoring.coreos.com")
Resources = dict[str, list[dict[str, Any]]]
SIDECAR_PROBES = {"dashboard-sso": ("/ready", "/ping")}  # oauth2-proxy's own (readiness, liveness) paths


def by_kind(resources: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [r for r in resources if r["kind"] == kind]


def test_one_overlay_per_city_and_nothing_else_in_it() -> None:
    assert CITIES, "no city overlays"
    for city in CITIES_DIR.iterdir():
        assert [p.name for p in city.iterdir()] == ["kustomization.yaml"], "a city is one kustomization file"


def test_core_kinds_are_valid_kubernetes(rendered: Resources) -> None:
    version = kubernetes_validate.latest_version()
    for overlay, resources in rendered.items():
        for resource in resources:
            if resource["apiVersion"].split("/")[0] not in CUSTOM_GROUPS:
                kubernetes_validate.validate(resource, version, strict=True)  # raises with the field named
        assert resources, overlay


def test_custom_resources_match_their_crd_schemas(
    rendered: Resources, shared_schema: Callable[[str], dict[str, Any]]
) -> None:
    seen = set()
    for resources in rendered.values():
        for resource in resources:
            group, _, version = resource["apiVersion"].partition("/")
            if group in CUSTOM_GROUPS:
                schema = shared_schema(f"crds/{group}/{resource['kind'].lower()}_{version}.json")
                jsonschema.Draft7Validator(schema).validate(resource)
                seen.add(resource["kind"])
    assert seen == {
        "Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser", "Cluster", "ScheduledBackup",
        "ScaledObject", "TriggerAuthentication", "ServiceMonitor", "PrometheusRule",
    }  # fmt: skip


def test_crd_validation_rejects_a_broken_resource(
    rendered: Resources, shared_schema: Callable[[str], dict[str, Any]]
) -> None:
    topic = by_kind(rendered["shared"], "KafkaTopic")[0]
    broken = {**topic, "spec": {**topic["spec"], "partitions": "three"}}
    assert not jsonschema.Draft7Validator(shared_schema("crds/kafka.strimzi.io/kafkatopic_v1.json")).is_valid(broken)


def test_deployments_are_locked_down(rendered: Resources) -> None:
    deployments = [d for resources in rendered.values() for d in by_kind(resources, "Deployment")]
    assert len(deployments) == 3 + len(CITIES)
    for deployment in deployments:
        pod = deployment["spec"]["template"]["spec"]
        assert pod["automountServiceAccountToken"] is False
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        for container in pod["containers"]:
            sc = container["securityContext"]
            assert sc["runAsNonRoot"] is True and sc["runAsUser"] > 10000
            assert sc["readOnlyRootFilesystem"] is True
            assert sc["allowPrivilegeEscalation"] is False
            assert sc["capabilities"] == {"drop": ["ALL"]}
            assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
            probes = SIDECAR_PROBES.get(container["name"], ("/readyz", "/healthz"))
            assert container["readinessProbe"]["httpGet"]["path"] == probes[0]
            assert container["livenessProbe"]["httpGet"]["path"] == probes[1]
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]) & set(container["resources"]["limits"])
            for env in container["env"]:
                if re.search(r"PASSWORD|MASTER_KEY|DATABASE_URL|SECRET", env["name"]):
                    assert "secretKeyRef" in env["valueFrom"], f"{env['name']} must come from a Secret"


def test_secrets_are_referenced_never_inlined(rendered: Resources) -> None:
    for overlay, resources in rendered.items():
        assert not by_kind(resources, "Secret"), f"{overlay} renders a Secret"


def test_every_deployment_has_a_disruption_budget_and_service(rendered: Resources) -> None:
    for resources in rendered.values():
        budgets = {p["metadata"]["name"] for p in by_kind(resources, "PodDisruptionBudget")}
        services = {s["metadata"]["name"] for s in by_kind(resources, "Service")}
        for deployment in by_kind(resources, "Deployment"):
            assert deployment["metadata"]["name"] in budgets & services


@pytest.mark.parametrize("city", CITIES)
def test_a_city_writes_only_its_own_topic(rendered: Resources, city: str) -> None:
    resources = rendered[city]
    text = yaml.safe_dump_all([r for r in resources if r["kind"] != "ConfigMap"])  # mile-city holds the slug
    assert not re.search(r"[.-]city([.-]|$)|: city$", text, re.MULTILINE), "a placeholder was left unreplaced"
    (user,) = by_kind(resources, "KafkaUser")
    assert user["metadata"]["name"] == f"mile-intake-{city}"
    assert user["spec"]["authorization"]["acls"] == [
        {
            "resource": {"type": "topic", "name": f"mile.intake.{city}.participants.v1", "patternType": "literal"},
            "operations": ["Write", "Describe"],
        }
    ]
    (deployment,) = by_kind(resources, "Deployment")
    env = {e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["INTAKE_CITY"]["value"] == city
    assert env["KAFKA_SASL_USERNAME"]["value"] == user["metadata"]["name"]
    assert env["KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == user["metadata"]["name"]
    (cluster,) = by_kind(resources, "Cluster")
    assert env["INTAKE_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"] == f"{cluster['metadata']['name']}-app"
    assert by_kind(resources, "ScheduledBackup")[0]["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
    assert cluster["spec"]["backup"]["barmanObjectStore"]["destinationPath"].endswith(cluster["metadata"]["name"])


def test_consumers_read_only_their_own_group(rendered: Resources) -> None:
    users = {u["metadata"]["name"]: u for u in by_kind(rendered["shared"], "KafkaUser")}
    assert set(users) == {"mile-matching", "mile-placement", "mile-reporting"}
    for name, user in users.items():
        groups = [a["resource"] for a in user["spec"]["authorization"]["acls"] if a["resource"]["type"] == "group"]
        assert groups == [{"type": "group", "name": name.removeprefix("mile-"), "patternType": "literal"}]


def test_a_topic_and_a_dead_letter_topic_for_everything_the_platform_uses(rendered: Resources) -> None:
    names = [t["spec"]["topicName"] for resources in rendered.values() for t in by_kind(resources, "KafkaTopic")]
    assert sorted(names) == sorted(platform_topics(CITIES))
    kafka = by_kind(rendered["shared"], "Kafka")[0]
    assert by_kind(rendered["shared"], "KafkaNodePool")[0]["spec"]["roles"] == ["controller", "broker"]  # KRaft
    assert kafka["spec"]["kafka"]["authorization"] == {"type": "simple"}


def test_consumers_scale_on_lag_and_everything_is_scraped(rendered: Resources) -> None:
    scaled = {s["spec"]["scaleTargetRef"]["name"]: s for s in by_kind(rendered["shared"], "ScaledObject")}
    assert set(scaled) == {"mile-matching", "mile-placement", "mile-reporting"}
    for name, obj in scaled.items():
        (trigger,) = obj["spec"]["triggers"]
        assert trigger["type"] == "kafka" and trigger["metadata"]["consumerGroup"] == name.removeprefix("mile-")
    (monitor,) = by_kind(rendered["shared"], "ServiceMonitor")
    for resources in rendered.values():
        for service in by_kind(resources, "Service"):
            labels = service["metadata"]["labels"]
            assert monitor["spec"]["selector"]["matchLabels"].items() <= labels.items()


def test_network_policies_deny_by_default(rendered: Resources) -> None:
    policies = {p["metadata"]["name"]: p["spec"] for p in by_kind(rendered["shared"], "NetworkPolicy")}
    assert policies["default-deny-all"] == {
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [],
        "egress": [],
    }
    for resources in rendered.values():
        for deployment in by_kind(resources, "Deployment"):
            labels = deployment["spec"]["template"]["metadata"]["labels"]
            assert policies["mile-services"]["podSelector"]["matchLabels"].items() <= labels.items()


def test_prometheus_rule_is_the_alert_rules_file(rendered: Resources) -> None:
    (rule,) = by_kind(rendered["shared"], "PrometheusRule")
    assert rule["spec"] == yaml.safe_load((REPO / "deploy/prometheus/rules/mile-alerts.yml").read_text())


def test_the_dashboard_signs_browsers_in_and_keeps_the_apis_rules(rendered: Resources) -> None:
    resources = rendered["shared"]
    (reporting,) = [d for d in by_kind(resources, "Deployment") if d["metadata"]["name"] == "mile-reporting"]
    containers = {c["name"]: c for c in reporting["spec"]["template"]["spec"]["containers"]}
    proxy, service = containers["dashboard-sso"], containers["reporting"]
    args = dict(a.removeprefix("--").split("=", 1) for a in proxy["args"])
    assert args["upstream"] == "http://127.0.0.1:8000/reports/"  # the pod's own reporting, reports only
    assert args["pass-authorization-header"] == "true" and args["provider"] == "oidc"
    assert args["cookie-secure"] == "true"
    env = {e["name"]: e["valueFrom"] for e in proxy["env"]}
    assert env["OAUTH2_PROXY_OIDC_ISSUER_URL"]["configMapKeyRef"] == {"name": "mile-auth", "key": "issuer"}
    (auth,) = [c for c in by_kind(resources, "ConfigMap") if c["metadata"]["name"] == "mile-auth"]
    client = env["OAUTH2_PROXY_CLIENT_ID"]["configMapKeyRef"]
    assert auth["data"][client["key"]] == "mile"  # the ID token's audience is what services check by default
    service_env = {e["name"]: e.get("valueFrom") for e in service["env"]}
    consortium = service_env["REPORTING_CONSORTIUM_SITE"]["configMapKeyRef"]
    assert auth["data"][consortium["key"]] == "consortium"
    (svc,) = [s for s in by_kind(resources, "Service") if s["metadata"]["name"] == "mile-reporting"]
    assert {p["name"]: p["targetPort"] for p in svc["spec"]["ports"]} == {"http": "http", "sso": "sso"}
    policies = {p["metadata"]["name"]: p["spec"] for p in by_kind(resources, "NetworkPolicy")}
    (rule,) = policies["mile-dashboard-sso"]["ingress"]
    assert rule["ports"] == [{"port": 4180, "protocol": "TCP"}]
    assert rule["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}]
