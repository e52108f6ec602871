"""JSON Schema documents of the event data, checked in under ``schemas/jsonschema/``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mile_schemas.base import Event
from mile_schemas.examples import load_examples
from mile_schemas.registry import EVENT_TYPES

__all__ = [
    "DEFAULT_DIR",
    "event_json_schema",
    "render_schema",
    "rendered_schemas",
    "schema_drift",
    "write_schemas",
]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "jsonschema"
"""``schemas/jsonschema`` of the source tree (the package is installed in editable mode)."""


def event_json_schema(model: type[Event]) -> dict[str, Any]:
    """The JSON Schema a consumer validates the data of ``model.event_type`` against."""
    schema = model.model_json_schema(mode="validation")
    schema["$schema"] = DIALECT
    schema["$id"] = model.event_type
    examples = load_examples(model.event_type)
    if examples:
        schema["examples"] = examples
    return schema


def render_schema(model: type[Event]) -> str:
    """Stable text: sorted keys, two-space indent, trailing newline (clean diffs)."""
    return json.dumps(event_json_schema(model), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def rendered_schemas() -> dict[str, str]:
    """File name -> text for every registered event type."""
    return {f"{event_type}.json": render_schema(model) for event_type, model in EVENT_TYPES.items()}


def write_schemas(directory: Path = DEFAULT_DIR) -> list[Path]:
    """Write every schema and delete ones no model produces; returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    wanted = rendered_schemas()
    for stale in directory.glob("*.json"):
        if stale.name not in wanted:
            stale.unlink()
    written = []
    for name, text in wanted.items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def schema_drift(directory: Path = DEFAULT_DIR) -> list[str]:
    """Names of schema files that are missing, stale or different from what the models produce."""
    wanted = rendered_schemas()
    present = {path.name for path in directory.glob("*.json")}
    drifted = sorted(present - wanted.keys())
    for name, text in wanted.items():
        path = directory / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            drifted.append(name)
    return drifted
