"""Child-process plumbing shared by the broker, PostgreSQL and the services.

Every child runs in its own process group: a Ctrl-C in the terminal then reaches only
`mile-dev`, which stops the children in order (services before the broker and PostgreSQL),
and a whole group (a postmaster and its backends) can be paused or killed at once.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import signal
import socket
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path


def free_port() -> int:
    """Return a loopback TCP port that is free right now (for tests, never fixed ports)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def spawn(
    command: Sequence[str],
    log_path: Path,
    *,
    env: Mapping[str, str] | None = None,
    user: str | None = None,
) -> subprocess.Popen[bytes]:
    """Start `command` in a new process group, appending stdout and stderr to `log_path`.

    `user` switches to that account (and its primary group only) before exec; needs root.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    account = pwd.getpwnam(user) if user else None
    with log_path.open("ab") as log:
        return subprocess.Popen(
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            user=account.pw_uid if account else None,
            group=account.pw_gid if account else None,
            extra_groups=[] if account else None,
            process_group=0,
        )


def signal_group(proc: subprocess.Popen[bytes], signum: signal.Signals) -> None:
    """Send `signum` to the child's whole process group; a vanished group is not an error."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signum)


def stop_process(
    proc: subprocess.Popen[bytes],
    *,
    signum: signal.Signals = signal.SIGTERM,
    grace: float = 10.0,
) -> None:
    """Ask the child to exit with `signum`; SIGKILL its group if it is still there after `grace`."""
    if proc.poll() is None:
        signal_group(proc, signal.SIGCONT)  # a paused process cannot act on the request
        proc.send_signal(signum)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            kill_process(proc)


def kill_process(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child's whole group (a postmaster with its backends) and reap the child."""
    if proc.poll() is None:
        signal_group(proc, signal.SIGKILL)
        proc.wait()


def log_tail(path: Path, lines: int = 40) -> str:
    """Return the last `lines` lines of a log file, for error messages."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])
