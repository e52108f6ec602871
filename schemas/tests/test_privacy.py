"""No shared event may carry a field that looks like personal data (DESIGN §4)."""

import re
from collections.abc import Iterator
from typing import Any

import pytest

from mile_schemas.base import Event
from mile_schemas.registry import EVENT_TYPES

# Compared against each snake_case word of a property name, and the name as a whole.
PERSONAL_WORDS = {
    "name", "names", "firstname", "lastname", "surname", "forename", "fullname",
    "email", "mail", "phone", "telephone", "mobile", "contact", "contacts",
    "address", "street", "postcode", "zip",
    "birth", "birthdate", "dob", "birthday",
    "note", "notes", "comment", "comments", "remarks",
    "health", "medical", "diagnosis", "disability", "illness",
    "passport", "document", "documents", "ssn", "iban", "religion", "ethnicity",
}  # fmt: skip


def _property_names(schema: Any) -> Iterator[str]:
    """Every property name anywhere in a JSON Schema, including nested definitions."""
    if isinstance(schema, dict):
        for name, sub in schema.get("properties", {}).items():
            yield name
            yield from _property_names(sub)
        for key, sub in schema.items():
            if key != "properties":
                yield from _property_names(sub)
    elif isinstance(schema, list):
        for item in schema:
            yield from _property_names(item)


def _looks_personal(name: str) -> bool:
    words = set(re.split(r"[_\W]+", name.lower()))
    return bool(words & PERSONAL_WORDS) or name.lower().replace("_", "") in PERSONAL_WORDS


def test_detector_catches_personal_names() -> None:
    for name in (
        "first_name",
        "lastName",
        "email",
        "home_address",
        "birth_date",
        "notes",
        "health_status",
        "phone_number",
    ):
        assert _looks_personal(name), name
    for name in ("participant_id", "municipality", "age_band", "nationality", "title"):
        assert not _looks_personal(name), name


@pytest.mark.parametrize("model", EVENT_TYPES.values(), ids=list(EVENT_TYPES))
def test_no_personal_properties(model: type[Event]) -> None:
    schema = model.model_json_schema(mode="serialization")
    personal = sorted({name for name in _property_names(schema) if _looks_personal(name)})
    assert not personal, f"{model.event_type} has personal-looking fields: {personal}"


@pytest.mark.parametrize("model", EVENT_TYPES.values(), ids=list(EVENT_TYPES))
def test_participants_are_pseudonymous(model: type[Event]) -> None:
    if "participant_id" in model.model_fields:
        assert model.model_json_schema()["properties"]["participant_id"]["format"] == "uuid"
