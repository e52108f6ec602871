"""How each MILE service process is launched: module, fixed port, environment.

Every service is an ASGI app factory (`mile_<svc>.main:create_app`) run by uvicorn with this
interpreter, configured only through environment variables, and reports readiness at /readyz.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from mile_devstack.processes import kill_process, log_tail, spawn, stop_process

DEFAULT_CITIES = ("milan", "viladecans", "innsbruck", "athens", "patras")
INTAKE_FIRST_PORT = 8101  # one intake per city, in the order the cities are given
SHARED_SERVICE_PORTS = {"matching": 8201, "placement": 8301, "reporting": 8401}


@dataclass(frozen=True)
class ServiceSpec:
    """One service process: `module` is the package holding `main.create_app`."""

    name: str
    module: str
    port: int
    env: Mapping[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "uvicorn", f"{self.module}.main:create_app", "--factory",
            "--host", "127.0.0.1", "--port", str(self.port), "--no-access-log",
        ]  # fmt: skip


def intake_database(city: str) -> str:
    return f"mile_intake_{city}"


def shared_database(service: str) -> str:
    return f"mile_{service}"


def platform_databases(cities: Sequence[str]) -> list[str]:
    """Every database the platform needs; each service migrates its own at start-up."""
    return [*map(intake_database, cities), *map(shared_database, SHARED_SERVICE_PORTS)]


def platform_specs(
    cities: Sequence[str],
    kafka_bootstrap: str,
    database_url_for: Callable[[str], str],
    master_key: str,
    idempotence: bool,
    *,
    log_level: str = "INFO",
    otlp_endpoint: str | None = None,
    auth_env: Mapping[str, str] | None = None,
) -> list[ServiceSpec]:
    """One intake per city (ports 8101, 8102, ... in city order), then the shared services.

    ``auth_env`` names the key set services verify bearer tokens against (``MILE_AUTH_*``).
    """
    shared = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "MILE_KAFKA_IDEMPOTENCE": "true" if idempotence else "false",
        "MILE_LOG_LEVEL": log_level,
        **(auth_env or {}),
    }
    if otlp_endpoint:
        shared["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp_endpoint
    specs = [
        ServiceSpec(
            name=f"intake-{city}",
            module="mile_intake",
            port=INTAKE_FIRST_PORT + index,
            env={
                **shared,
                "INTAKE_DATABASE_URL": database_url_for(intake_database(city)),
                "INTAKE_CITY": city,
                "INTAKE_MASTER_KEY": master_key,
            },
        )
        for index, city in enumerate(cities)
    ]
    for service, port in SHARED_SERVICE_PORTS.items():
        env = {**shared, f"{service.upper()}_DATABASE_URL": database_url_for(shared_database(service))}
        specs.append(ServiceSpec(name=service, module=f"mile_{service}", port=port, env=env))
    return specs


class ServiceNotReady(RuntimeError):
    """A service exited or did not answer /readyz with 200 in time; carries its log tail."""


class ServiceProcess:
    """A service process, spawned on construction, with its output in `<log_dir>/<name>.log`."""

    def __init__(self, spec: ServiceSpec, log_dir: Path) -> None:
        self.spec = spec
        self.log_path = log_dir / f"{spec.name}.log"
        self._proc: subprocess.Popen[bytes] = spawn(spec.command(), self.log_path, env={**os.environ, **spec.env})

    @property
    def running(self) -> bool:
        return self._proc.poll() is None

    async def wait_ready(self, timeout: float = 60.0) -> None:
        """Poll /readyz until it answers 200; raise ServiceNotReady if it exits or times out."""
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=self.spec.url, timeout=2.0) as client:
            while True:
                if not self.running:
                    raise self._not_ready(f"exited with code {self._proc.returncode}")
                with contextlib.suppress(httpx.TransportError):  # not listening yet
                    if (await client.get("/readyz")).status_code == 200:
                        return
                if time.monotonic() > deadline:
                    raise self._not_ready(f"not ready after {timeout}s")
                await asyncio.sleep(0.2)

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM (uvicorn drains and runs the lifespan shutdown), SIGKILL after `grace`."""
        stop_process(self._proc, grace=grace)

    def kill(self) -> None:
        """SIGKILL, as a crash would (fault tests)."""
        kill_process(self._proc)

    def _not_ready(self, reason: str) -> ServiceNotReady:
        return ServiceNotReady(f"{self.spec.name} {reason}; last lines of {self.log_path}:\n{log_tail(self.log_path)}")
