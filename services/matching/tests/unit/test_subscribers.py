"""What matching's consumer reads of the events it handles: everything but the statistics."""

import json

import pytest

from mile_matching.settings import MatchingSettings
from mile_matching.subscribers import consumer
from mile_schemas import EVENT_TYPES, parse_event
from mile_schemas.examples import load_examples

CONSUMER = consumer(MatchingSettings(database_url="postgresql://unused/matching"))


def test_statistics_are_neither_read_nor_validated() -> None:
    models = [CONSUMER.readers.get(event_type, EVENT_TYPES[event_type]) for event_type in CONSUMER.handles]
    assert not [model.__name__ for model in models if "statistics" in model.model_fields]
    for event_type, model in CONSUMER.readers.items():  # each read as what it is, a subclass of its model
        assert issubclass(model, EVENT_TYPES[event_type]), event_type
        assert model.event_type == event_type


@pytest.mark.parametrize(
    "event_type", ["eu.mile.intake.participant_registered.v1", "eu.mile.intake.participant_profile_updated.v1"]
)
def test_a_profile_sent_with_statistics_reads_as_sent(event_type: str) -> None:
    examples = [example for example in load_examples(event_type) if example.get("statistics")]
    assert examples
    for example in examples:
        read = parse_event(event_type, json.dumps(example), CONSUMER.readers)
        whole = parse_event(event_type, json.dumps(example))
        assert read.statistics is None  # type: ignore[attr-defined]
        assert read.model_dump(exclude={"statistics"}) == whole.model_dump(exclude={"statistics"})
