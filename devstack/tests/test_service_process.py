"""ServiceProcess with a stand-in ASGI app: readiness, stop, kill and a failing start."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from mile_devstack.processes import free_port
from mile_devstack.services import ServiceNotReady, ServiceProcess, ServiceSpec

pytestmark = pytest.mark.integration

_FAKE_MAIN = """
async def _app(scope, receive, send):
    if scope["type"] != "http":
        return
    status = 200 if scope["path"] == "/readyz" else 404
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def create_app():
    return _app
"""


def _fake_service(tmp_path: Path, main_source: str) -> ServiceSpec:
    package = tmp_path / "src" / "mile_fake"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "main.py").write_text(textwrap.dedent(main_source))
    return ServiceSpec("fake", "mile_fake", free_port(), {"PYTHONPATH": str(tmp_path / "src")})


async def test_ready_then_stopped(tmp_path: Path) -> None:
    service = ServiceProcess(_fake_service(tmp_path, _FAKE_MAIN), tmp_path / "logs")
    try:
        await service.wait_ready(timeout=30)
    finally:
        service.stop()
    assert not service.running
    assert service.log_path == tmp_path / "logs" / "fake.log"


async def test_kill(tmp_path: Path) -> None:
    service = ServiceProcess(_fake_service(tmp_path, _FAKE_MAIN), tmp_path / "logs")
    await service.wait_ready(timeout=30)
    service.kill()
    assert not service.running


async def test_crash_at_start_reports_log_tail(tmp_path: Path) -> None:
    broken = "def create_app():\n    raise RuntimeError('no database configured')\n"
    service = ServiceProcess(_fake_service(tmp_path, broken), tmp_path / "logs")
    try:
        with pytest.raises(ServiceNotReady, match="no database configured"):
            await service.wait_ready(timeout=30)
    finally:
        service.stop()
