"""The checked-in JSON Schemas are exactly what the models produce."""

from mile_schemas.jsonschema import DEFAULT_DIR, event_json_schema, schema_drift
from mile_schemas.registry import EVENT_TYPES


def test_checked_in_schemas_match_the_models() -> None:
    drifted = schema_drift(DEFAULT_DIR)
    assert not drifted, (
        f"JSON Schemas drifted from the models: {drifted}. "
        "Run `uv run python -m mile_schemas.generate` and commit schemas/jsonschema/."
    )


def test_schema_ids_are_event_types() -> None:
    for event_type, model in EVENT_TYPES.items():
        schema = event_json_schema(model)
        assert schema["$id"] == event_type
        assert schema["examples"]
