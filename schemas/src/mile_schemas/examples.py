"""Canonical examples, one folder per event type: ``examples/<event_type>/NNN.json``.

Examples are never deleted or edited once published: the tests parse every one with the
current model, so a model change that would break an old message fails CI.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

__all__ = ["example_files", "iter_example_types", "load_examples"]

_ROOT = files("mile_schemas") / "examples"


def example_files(event_type: str) -> list[Traversable]:
    """The example files of an event type, oldest first."""
    folder = _ROOT / event_type
    if not folder.is_dir():
        return []
    return sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".json")),
        key=lambda entry: entry.name,
    )


def load_examples(event_type: str) -> list[dict[str, Any]]:
    """The decoded example payloads of an event type, oldest first."""
    return [json.loads(entry.read_text(encoding="utf-8")) for entry in example_files(event_type)]


def iter_example_types() -> Iterator[str]:
    """Every event type that has an examples folder (registered or not)."""
    for entry in _ROOT.iterdir():
        if entry.is_dir() and not entry.name.startswith(("_", ".")):
            yield entry.name
