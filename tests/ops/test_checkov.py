"""checkov finds nothing wrong in the rendered overlays or the Dockerfiles (skips only in .checkov.yaml).

checkov pins ~100 packages of its own, so it runs as an isolated tool at a pinned version
(`uvx --from checkov==X`) instead of joining the workspace's lock file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
CHECKOV = "checkov==3.3.30"


def checkov(*args: str) -> list[dict[str, Any]]:
    uv = os.environ.get("UV") or shutil.which("uv")  # `uv run` names its own binary in $UV
    assert uv, "uv not found"
    result = subprocess.run(
        [uv, "tool", "run", "--from", CHECKOV, "checkov", "--skip-download", "--output", "json", *args],
        capture_output=True, text=True, check=False, timeout=900,
    )  # fmt: skip
    assert result.stdout.strip(), f"checkov produced no report:\n{result.stderr[-3000:]}"
    report = json.loads(result.stdout)
    return report if isinstance(report, list) else [report]


def failures(reports: list[dict[str, Any]]) -> list[str]:
    return [
        f"{check['check_id']} {check['check_name']}: {check['resource']} ({check['file_path']})"
        for report in reports
        for check in report.get("results", {}).get("failed_checks", [])
    ]


def test_rendered_overlays_pass_checkov(rendered: dict[str, list[dict[str, Any]]], tmp_path: Path) -> None:
    for overlay, resources in rendered.items():
        (tmp_path / f"{overlay}.yaml").write_text(yaml.safe_dump_all(resources))
    reports = checkov("--directory", str(tmp_path), "--config-file", str(REPO / "deploy/k8s/.checkov.yaml"))
    assert failures(reports) == []
    (summary,) = [r["summary"] for r in reports]
    assert summary["parsing_errors"] == 0
    assert summary["passed"] > 0 and summary["resource_count"] > 0


def test_dockerfiles_pass_checkov(tmp_path: Path) -> None:
    shutil.copy(REPO / "Dockerfile", tmp_path / "Dockerfile")
    reports = checkov("--directory", str(tmp_path), "--framework", "dockerfile")
    assert failures(reports) == []
    assert reports[0]["summary"]["passed"] > 0
