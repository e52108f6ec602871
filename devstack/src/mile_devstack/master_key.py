"""The intake master key that wraps each participant's data key, kept across local runs.

Losing it makes every encrypted participant record in the local databases unreadable,
so it is generated once and stored beside the PostgreSQL data, readable by its owner only.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

FILE_NAME = "master.key"


def load_or_create_master_key(state_dir: Path) -> str:
    """Return the urlsafe-base64 key of 32 random bytes in `state_dir`, creating it if absent."""
    path = state_dir / FILE_NAME
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    with os.fdopen(fd, "w") as file:
        file.write(key + "\n")
    return key
