"""What placement subscribes to (the city-versus-topic guard is the platform wrapper's, tested there)."""

import re

import pytest

from mile_placement.subscribers import CONSUMER, PATTERN
from mile_schemas import (
    MATCHES,
    PLACEMENTS,
    VACANCIES,
    MatchDecided,
    ParticipantErased,
    VacancyOpened,
    dead_letter_topic,
    participants_topic,
)


@pytest.mark.parametrize("topic", [VACANCIES, MATCHES, participants_topic("milan"), participants_topic("patras")])
def test_the_pattern_covers_vacancies_matches_and_every_citys_participants(topic: str) -> None:
    assert re.match(PATTERN, topic)


@pytest.mark.parametrize(
    "topic",
    [
        PLACEMENTS,
        dead_letter_topic(MATCHES),
        dead_letter_topic(participants_topic("milan")),
        "mile.matching.matches.v2",
    ],
)
def test_the_pattern_leaves_out_other_topics_and_dead_letters(topic: str) -> None:
    assert not re.match(PATTERN, topic)


def test_it_handles_exactly_the_events_it_applies() -> None:
    assert {VacancyOpened.event_type, MatchDecided.event_type, ParticipantErased.event_type} == CONSUMER.handles
