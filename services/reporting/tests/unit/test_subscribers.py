"""The consumer's topic pattern: every city's participants and the shared topics, no dead letters."""

import re

import pytest

from mile_reporting.subscribers import TOPICS_PATTERN, consumer
from mile_schemas import EVENT_TYPES, all_topics, dead_letter_topic

PATTERN = re.compile(TOPICS_PATTERN)


def test_every_event_topic_of_every_city_matches() -> None:
    assert all(PATTERN.match(topic) for topic in all_topics(["milan", "viladecans", "repabc"]))


@pytest.mark.parametrize(
    "topic",
    [
        *(dead_letter_topic(topic) for topic in all_topics(["milan"])),
        "mile.intake.milan.participants.v2",
        "mile.intake.Milan.participants.v1",
        "mile.matching.matches.v1x",
        "xmile.placement.placements.v1",
        "mile.reporting.indicators.v1",
    ],
)
def test_other_topics_do_not_match(topic: str) -> None:
    assert PATTERN.match(topic) is None


def test_the_consumer_applies_the_events_of_every_projection() -> None:
    assert consumer.handles == {
        "eu.mile.intake.participant_registered.v1",
        "eu.mile.intake.participant_profile_updated.v1",
        "eu.mile.intake.consent_changed.v1",
        "eu.mile.intake.assessment_completed.v1",
        "eu.mile.placement.follow_up_recorded.v1",
        "eu.mile.intake.participant_erased.v1",
        "eu.mile.matching.match_decided.v1",
        "eu.mile.placement.placement_started.v1",
        "eu.mile.placement.placement_ended.v1",
        "eu.mile.intake.training_enrolled.v1",
        "eu.mile.intake.training_ended.v1",
        "eu.mile.intake.guidance_session_recorded.v1",
        "eu.mile.placement.follow_up_due.v1",
        "eu.mile.placement.follow_up_missed.v1",
    }


def test_the_consumer_parses_no_profile() -> None:
    """Profiles are matching's: reporting neither reads nor validates them, and decodes faster for it."""
    models = [consumer.readers.get(event_type, EVENT_TYPES[event_type]) for event_type in consumer.handles]
    assert not [model.__name__ for model in models if "profile" in model.model_fields]
    with_profile = {event_type for event_type in consumer.handles if "profile" in EVENT_TYPES[event_type].model_fields}
    assert set(consumer.readers) == with_profile
    for event_type, model in consumer.readers.items():  # each read as what it is, a subclass of its model
        assert issubclass(model, EVENT_TYPES[event_type]), event_type
        assert model.event_type == event_type
