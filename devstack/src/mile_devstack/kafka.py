"""A single-node Apache Kafka (KRaft) from the jars `.ci/kafka.sh fetch` resolves, restartable.

`.ci/kafka.sh start` formats fresh storage on every start; fault tests need a broker that keeps
its log across a stop or a SIGKILL and comes back with it, so this formats the data dir once.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

from mile_devstack.processes import free_port, kill_process, spawn, stop_process
from mile_devstack.readiness import wait_until_serving

_PROPERTIES = """process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{controller}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs={data}
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=3
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
"""


class LocalKafka:
    """Apache Kafka on 127.0.0.1:`port` with its log in `state_dir`; stop or kill it, start it again."""

    def __init__(self, libs_dir: Path, state_dir: Path, port: int | None = None) -> None:
        self.libs_dir = libs_dir.resolve()
        self.state_dir = state_dir.resolve()
        self.port = port or free_port()
        self.log_path = self.state_dir / "kafka.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self, timeout: float = 120.0) -> None:
        """Format the storage the first time, start the broker and wait until it serves metadata."""
        if self._proc is not None and self._proc.poll() is None:
            return
        await asyncio.to_thread(self._format_once)
        self._proc = spawn([*self._java(), "kafka.Kafka", str(self.state_dir / "server.properties")], self.log_path)
        try:
            await wait_until_serving(
                self._proc, self.port, name="kafka", log_path=self.log_path, timeout=timeout, interval=0.5
            )
        except (RuntimeError, TimeoutError):
            self._proc = None
            raise

    def stop(self, grace: float = 30.0) -> None:
        """SIGTERM: a controlled shutdown that flushes the log."""
        if self._proc is not None:
            stop_process(self._proc, grace=grace)
            self._proc = None

    def kill(self) -> None:
        """SIGKILL, as a crash would; what was acknowledged with acks=all survives on disk."""
        if self._proc is not None:
            kill_process(self._proc)
            self._proc = None

    def _java(self) -> list[str]:
        java = shutil.which("java")
        if java is None:
            raise RuntimeError("java (17+) is needed to run Apache Kafka")
        log4j = self.state_dir / "log4j2.properties"
        return [
            java, "-Xms256m", "-Xmx512m", f"-Dlog4j2.configurationFile={log4j}", "-Djava.awt.headless=true",
            "-cp", f"{self.libs_dir}/*",
        ]  # fmt: skip

    def _format_once(self) -> None:
        data = self.state_dir / "data"
        if (data / "meta.properties").exists():
            return
        self.state_dir.mkdir(parents=True, exist_ok=True)
        properties = self.state_dir / "server.properties"
        properties.write_text(_PROPERTIES.format(port=self.port, controller=free_port(), data=data))
        (self.state_dir / "log4j2.properties").write_text(
            "status = warn\nappender.out.type = Console\nappender.out.name = OUT\n"
            "appender.out.layout.type = PatternLayout\nappender.out.layout.pattern = [%d] %p %m (%c)%n\n"
            "rootLogger.level = WARN\nrootLogger.appenderRef.out.ref = OUT\n"
        )
        cluster = subprocess.run(
            [*self._java(), "kafka.tools.StorageTool", "random-uuid"], capture_output=True, text=True, check=True
        ).stdout.split()[-1]
        subprocess.run(
            [*self._java(), "kafka.tools.StorageTool", "format", "--cluster-id", cluster, "--config", str(properties)],
            capture_output=True,
            check=True,
        )
