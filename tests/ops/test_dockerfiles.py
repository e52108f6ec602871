"""The services' Dockerfile: one recipe, multi-stage, installs from uv.lock, non-root, read-only friendly, no secrets.

No container engine runs here, so the Dockerfiles are parsed and the properties users rely on
are asserted; the install command itself is run against the lock file in a scratch environment.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"
SERVICES = sorted(p.name for p in (REPO / "services").iterdir() if (p / "pyproject.toml").is_file())
SECRET_WORDS = re.compile(r"PASSWORD|SECRET|TOKEN|MASTER_KEY|PRIVATE|CREDENTIAL|API_KEY", re.IGNORECASE)


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    logical = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    pairs = []
    for line in logical.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[last_from:]


def test_one_dockerfile_builds_every_service_by_name() -> None:
    assert SERVICES == ["intake", "matching", "placement", "reporting"]
    assert not list((REPO / "services").glob("*/Dockerfile")), "one recipe, chosen with --build-arg SERVICE"
    for stage in " ".join(f"{k} {a}" for k, a in instructions()).split("FROM ")[2:]:  # build and runtime
        assert "ARG SERVICE" in stage, "each stage that uses SERVICE declares it"


def test_multi_stage_build_installs_from_the_lock_without_dev_tools() -> None:
    steps = instructions()
    froms = [args for keyword, args in steps if keyword == "FROM"]
    assert len(froms) >= 2, "build tools must stay out of the runtime image"
    runs = " ".join(args for keyword, args in steps if keyword == "RUN")
    assert 'uv sync --frozen --no-dev --no-editable --package "mile-${SERVICE:?' in runs, "no SERVICE, no image"
    assert any(keyword == "COPY" and "uv.lock" in args for keyword, args in steps)
    runtime_copies = [args for keyword, args in final_stage() if keyword == "COPY"]
    assert runtime_copies == ["--from=build /app/.venv /app/.venv"], "the runtime image carries only the environment"


def test_runs_as_non_root_with_healthcheck_and_read_only_root() -> None:
    stage = final_stage()
    users = [args for keyword, args in stage if keyword == "USER"]
    assert users, "the runtime stage must switch user"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) > 10000, "numeric uid above 10000, so runAsNonRoot can verify it"
    healthchecks = [args for keyword, args in stage if keyword == "HEALTHCHECK"]
    assert len(healthchecks) == 1 and "/healthz" in healthchecks[0]
    env = " ".join(args for keyword, args in stage if keyword == "ENV")
    assert "PYTHONDONTWRITEBYTECODE=1" in env, "no .pyc writes into a read-only root filesystem"
    assert "MILE_SERVICE=${SERVICE}" in env
    cmd = next(args for keyword, args in stage if keyword == "CMD")
    assert cmd.startswith("exec uvicorn "), "uvicorn replaces the shell, so it gets SIGTERM"
    assert '"mile_${MILE_SERVICE}.main:create_app"' in cmd


def test_no_secret_is_baked_in() -> None:
    for keyword, args in instructions():
        if keyword in ("ENV", "ARG", "LABEL"):
            assert not SECRET_WORDS.search(args), f"{keyword} {args}: secrets come from the environment at run time"
        if keyword in ("COPY", "ADD"):
            assert ".env" not in shlex.split(args), "never copy an env file into an image"


@pytest.mark.parametrize("service", SERVICES)
def test_lock_installs_the_service_without_dev_dependencies(service: str, tmp_path: Path) -> None:
    """The Dockerfile's install step, run here for each SERVICE: the lock alone yields the app its CMD
    names (``mile_<service>.main:create_app``) and no pytest."""
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(tmp_path / "venv"), "UV_PYTHON_DOWNLOADS": "never"}
    env.pop("VIRTUAL_ENV", None)
    uv = os.environ.get("UV") or shutil.which("uv")  # `uv run` names its own binary in $UV
    assert uv, "uv not found"
    workspace = ["mile-schemas", "mile-platform", f"mile-{service}"]  # uv caches local builds by pyproject only
    subprocess.run(
        [uv, "sync", "--frozen", "--no-dev", "--no-editable", "--package", f"mile-{service}", "--quiet",
         *(arg for package in workspace for arg in ("--reinstall-package", package))],
        cwd=REPO, env=env, check=True, timeout=600,
    )  # fmt: skip
    python = tmp_path / "venv" / "bin" / "python"
    probe = (
        f"import importlib.util as u; from mile_{service}.main import create_app; print(u.find_spec('pytest') is None)"
    )
    result = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert result.stdout.strip() == "True"
