"""The environment ``make`` installs runs from compiled bytecode, as the service image does.

Without it a service compiles each module it imports, and those it first imports at its first
consumer batch (anyio's event-loop backend, 0.25 s of CPU) count against that batch: a drain on
the bench paid for it, a pod from the image never does.
"""

import importlib.util
from pathlib import Path

import pytest

# What a consumer imports at its first batch, and what every service imports as it starts.
MODULES = ("anyio._backends._asyncio", "faststream.kafka", "aiokafka.consumer", "asyncpg.connection", "pydantic.main")


@pytest.mark.parametrize("module", MODULES)
def test_installed_modules_are_compiled(module: str) -> None:
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None, f"{module} is not installed"
    cached = Path(importlib.util.cache_from_source(spec.origin))
    assert cached.is_file(), f"{module} has no bytecode ({cached}): install with make, which sets UV_COMPILE_BYTECODE=1"
