"""Waiting for a Kafka-protocol broker this process started (tansu or Apache Kafka) to serve."""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from mile_devstack.processes import kill_process, log_tail


async def wait_until_serving(
    proc: subprocess.Popen[bytes], port: int, *, name: str, log_path: Path, timeout: float, interval: float
) -> None:
    """Wait until the broker ``proc`` started answers metadata requests on ``port``.

    Raises with the log's tail if it exits first; SIGKILLs it and raises if ``timeout`` passes.
    """
    deadline = time.monotonic() + timeout
    while not await _serving(port):
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited during start-up:\n{log_tail(log_path)}")
        if time.monotonic() > deadline:
            kill_process(proc)
            raise TimeoutError(f"{name} not serving after {timeout}s:\n{log_tail(log_path)}")
        await asyncio.sleep(interval)


async def _serving(port: int) -> bool:
    """Whether topics can be listed; probes the port first, as aiokafka logs every refusal."""
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    writer.close()
    await writer.wait_closed()
    admin = AIOKafkaAdminClient(bootstrap_servers=f"127.0.0.1:{port}", request_timeout_ms=3000)
    try:
        await admin.start()
        await admin.list_topics()
    except (KafkaError, OSError, TimeoutError):
        return False
    finally:
        await admin.close()
    return True
