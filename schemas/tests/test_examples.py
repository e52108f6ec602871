"""Every example ever published parses with today's model and survives a round trip."""

import json
from typing import Any

import pytest

from mile_schemas.base import Event
from mile_schemas.envelope import from_headers, to_headers
from mile_schemas.examples import example_files, iter_example_types
from mile_schemas.registry import EVENT_TYPES, encode_event, parse_event

EXAMPLES = [
    pytest.param(event_type, entry, id=f"{event_type}/{entry.name}")
    for event_type in sorted(EVENT_TYPES)
    for entry in example_files(event_type)
]


def test_every_registered_type_has_an_example() -> None:
    assert not [t for t in EVENT_TYPES if not example_files(t)]


def test_every_example_folder_belongs_to_a_registered_type() -> None:
    assert set(iter_example_types()) <= set(EVENT_TYPES)


@pytest.mark.parametrize(("event_type", "entry"), EXAMPLES)
def test_example_parses_and_round_trips(event_type: str, entry: Any) -> None:
    raw = entry.read_bytes()
    event = parse_event(event_type, raw)
    assert type(event) is EVENT_TYPES[event_type]
    assert parse_event(event_type, encode_event(event)) == event
    # Nothing is lost or rewritten; fields added to the version since the example was written
    # appear only as null (optional additions), so an older producer's event means the same today.
    _assert_same_but_added_nulls(json.loads(encode_event(event)), json.loads(raw))


def _assert_same_but_added_nulls(encoded: Any, written: Any, path: str = "") -> None:
    if isinstance(written, dict):
        assert isinstance(encoded, dict), path
        for name, value in encoded.items():
            if name in written:
                _assert_same_but_added_nulls(value, written[name], f"{path}.{name}")
            else:
                assert value is None, f"{path}.{name} added with a non-null default"
        assert set(written) <= set(encoded), f"{path}: fields lost"
    elif isinstance(written, list):
        assert isinstance(encoded, list) and len(encoded) == len(written), path
        for index, (item, original) in enumerate(zip(encoded, written, strict=True)):
            _assert_same_but_added_nulls(item, original, f"{path}[{index}]")
    else:
        assert encoded == written, path


@pytest.mark.parametrize(("event_type", "entry"), EXAMPLES)
def test_example_travels_through_the_envelope(event_type: str, entry: Any) -> None:
    event = parse_event(event_type, entry.read_bytes())
    meta, _ = from_headers(to_headers(event.meta(), None))
    assert meta.type == event_type
    assert meta.subject == event.key()
    assert meta.time == event.occurred_at
    assert meta.source.startswith(f"/mile/{event.producer}")
    assert event.topic()


@pytest.mark.parametrize("model", EVENT_TYPES.values(), ids=list(EVENT_TYPES))
def test_model_declares_its_contract(model: type[Event]) -> None:
    parts = model.event_type.split(".")
    assert parts[:3] == ["eu", "mile", model.producer]
    assert parts[-1] == "v1"
    assert model.time_field in model.model_fields
    assert "city" in model.model_fields
    assert model.model_config.get("extra") == "ignore"
