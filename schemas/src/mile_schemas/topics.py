"""Kafka topic names: ``mile.<producer>.<aggregate>.v<N>``.

Each city's intake writes to its own topic so broker ACLs can confine a city to it, and
shared services subscribe to all cities by pattern.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

__all__ = [
    "MATCHES",
    "PARTICIPANTS_PATTERN",
    "PLACEMENTS",
    "VACANCIES",
    "all_topics",
    "city_of_participants_topic",
    "dead_letter_topic",
    "participants_topic",
]

VACANCIES = "mile.matching.vacancies.v1"
MATCHES = "mile.matching.matches.v1"
PLACEMENTS = "mile.placement.placements.v1"

PARTICIPANTS_PATTERN = r"^mile\.intake\.[a-z]{2,32}\.participants\.v1$"
"""Matches every city's participants v1 topic (and not its ``.dlt``), for pattern subscriptions."""

_PARTICIPANTS_RE = re.compile(r"^mile\.intake\.(?P<city>[a-z]{2,32})\.participants\.v1$")
_CITY_RE = re.compile(r"^[a-z]{2,32}$")
DLT_SUFFIX = ".dlt"


def participants_topic(city: str) -> str:
    """The topic a city's intake publishes participant events to."""
    if not _CITY_RE.fullmatch(city):
        raise ValueError(f"invalid city slug {city!r}: expected 2-32 lower-case letters a-z")
    return f"mile.intake.{city}.participants.v1"


@functools.lru_cache(maxsize=1024)
def city_of_participants_topic(topic: str) -> str | None:
    """The city a participants topic belongs to, or None for any other topic.

    Kept per topic: consumers ask it of every event, and a regular expression per event cost 2 %
    of a consumer's CPU on a backlog of a handful of topics."""
    found = _PARTICIPANTS_RE.fullmatch(topic)
    return found["city"] if found else None


def dead_letter_topic(topic: str) -> str:
    """Where permanently failing messages of ``topic`` are parked."""
    if topic.endswith(DLT_SUFFIX):
        raise ValueError(f"{topic!r} is already a dead-letter topic")
    return topic + DLT_SUFFIX


def all_topics(cities: Iterable[str]) -> list[str]:
    """Every event topic (no dead-letter topics) for the given cities, for topic creation."""
    per_city = sorted({participants_topic(city) for city in cities})
    return [*per_city, VACANCIES, MATCHES, PLACEMENTS]
