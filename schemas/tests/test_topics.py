import re

import pytest

from mile_schemas.topics import (
    MATCHES,
    PARTICIPANTS_PATTERN,
    PLACEMENTS,
    VACANCIES,
    all_topics,
    city_of_participants_topic,
    dead_letter_topic,
    participants_topic,
)


def test_participants_topic_per_city() -> None:
    assert participants_topic("milan") == "mile.intake.milan.participants.v1"
    assert city_of_participants_topic("mile.intake.patras.participants.v1") == "patras"
    assert city_of_participants_topic(VACANCIES) is None
    with pytest.raises(ValueError, match="city slug"):
        participants_topic("Milan.*")


def test_pattern_matches_every_city_topic_but_no_dead_letters() -> None:
    pattern = re.compile(PARTICIPANTS_PATTERN)
    for city in ("milan", "viladecans", "innsbruck", "athens", "patras"):
        topic = participants_topic(city)
        assert pattern.match(topic)
        assert not pattern.match(dead_letter_topic(topic))
    for other in (VACANCIES, MATCHES, PLACEMENTS, "mile.intake.milan.participants.v2"):
        assert not pattern.match(other)


def test_dead_letter_topic() -> None:
    assert dead_letter_topic(MATCHES) == "mile.matching.matches.v1.dlt"
    with pytest.raises(ValueError):
        dead_letter_topic("mile.matching.matches.v1.dlt")


def test_all_topics_lists_each_topic_once_without_dead_letters() -> None:
    topics = all_topics(["milan", "athens", "milan"])
    assert topics == [
        "mile.intake.athens.participants.v1",
        "mile.intake.milan.participants.v1",
        VACANCIES,
        MATCHES,
        PLACEMENTS,
    ]
    assert not any(topic.endswith(".dlt") for topic in topics)
