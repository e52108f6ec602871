"""Pure rules of the facts beside the funnel: statistics for breakdowns, language levels, drop-outs.

Like the funnel, each batch is reduced so that replays, duplicates and redelivery cannot
change the result: statistics keep the newest snapshot, language levels are keyed by
assessment time, drop-outs by placement.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple
from uuid import UUID

from mile_reporting.domain import uuid_first
from mile_schemas import (
    AssessmentCompleted,
    ConsentChanged,
    ConsentPurpose,
    ConsentStatus,
    Event,
    ParticipantProfileUpdated,
    ParticipantRegistered,
    PlacementEnded,
    PlacementOutcome,
    StatisticalAttributes,
)

UNSPECIFIED_REASON = "unspecified"


class StatisticCodes(NamedTuple):
    """The attributes reporting breaks indicators down by, as codes (plain strings travel cheaply)."""

    sex: str
    age_band: str
    legal_status: str
    recognition: str | None


class StatisticsSnapshot(NamedTuple):
    """What statistics consent lets reporting know of a participant; None = nothing (no consent)."""

    participant_id: UUID
    city: str
    attributes: StatisticCodes | None
    as_of: datetime


def _codes(attributes: StatisticalAttributes | None) -> StatisticCodes | None:
    if attributes is None:
        return None
    recognition = attributes.recognition.value if attributes.recognition else None
    return StatisticCodes(attributes.sex.value, attributes.age_band.value, attributes.legal_status.value, recognition)


class LanguageLevel(NamedTuple):
    """A tested level in one language: the lowest of its four skills, 1 (A1) to 6 (C2)."""

    participant_id: UUID
    city: str
    language: str
    assessed_at: datetime
    rank: int


class DropOut(NamedTuple):
    placement_id: UUID
    participant_id: UUID
    city: str
    reason: str
    ended_at: datetime


class FactChanges(NamedTuple):
    statistics: tuple[StatisticsSnapshot, ...]  # newest per participant, in key order
    levels: tuple[LanguageLevel, ...]  # one per (participant, language, time), in key order
    drop_outs: tuple[DropOut, ...]  # one per placement, in key order


def statistics_snapshot(event: Event) -> StatisticsSnapshot | None:
    """The statistics ``event`` states, or None when it says nothing about them."""
    kind = event.event_type  # not its class: the consumer reads these without their profile (a subclass)
    if kind == ParticipantRegistered.event_type:
        return StatisticsSnapshot(event.participant_id, event.city, _codes(event.statistics), event.registered_at)  # type: ignore[attr-defined]
    if kind == ParticipantProfileUpdated.event_type:
        return StatisticsSnapshot(event.participant_id, event.city, _codes(event.statistics), event.updated_at)  # type: ignore[attr-defined]
    if kind == ConsentChanged.event_type and event.purpose is ConsentPurpose.STATISTICS:  # type: ignore[attr-defined]
        given = event.status is ConsentStatus.GIVEN  # type: ignore[attr-defined]
        # Withdrawn or expired consent: reporting forgets the attributes (fail-closed).
        attributes = _codes(event.statistics) if given else None  # type: ignore[attr-defined]
        return StatisticsSnapshot(event.participant_id, event.city, attributes, event.changed_at)  # type: ignore[attr-defined]
    return None


def language_levels(event: AssessmentCompleted) -> list[LanguageLevel]:
    """Levels a tested language assessment found; self-declared levels do not count."""
    return [
        LanguageLevel(
            event.participant_id,
            event.city,
            entry.language,
            event.completed_at,
            min(entry.listening.rank, entry.reading.rank, entry.speaking.rank, entry.writing.rank),
        )
        for entry in event.languages
        if entry.tested
    ]


def drop_out(event: PlacementEnded) -> DropOut | None:
    if event.outcome is PlacementOutcome.DROPPED_OUT:
        reason = event.reason or UNSPECIFIED_REASON
        return DropOut(event.placement_id, event.participant_id, event.city, reason, event.ended_at)
    return None


_STATISTICS_EVENTS = frozenset(
    model.event_type for model in (ParticipantRegistered, ParticipantProfileUpdated, ConsentChanged)
)


def fact_changes(events: Iterable[Event]) -> FactChanges:
    """Reduce a batch: newest statistics per participant, levels and drop-outs once each."""
    newest: dict[UUID, StatisticsSnapshot] = {}
    levels: dict[tuple[UUID, str, datetime], LanguageLevel] = {}
    drop_outs: dict[UUID, DropOut] = {}
    for event in events:
        kind = event.event_type
        if kind in _STATISTICS_EVENTS:
            snapshot = statistics_snapshot(event)
            if snapshot is not None:
                known = newest.get(snapshot.participant_id)
                if known is None or snapshot.as_of >= known.as_of:
                    newest[snapshot.participant_id] = snapshot
        elif kind == AssessmentCompleted.event_type:
            for level in language_levels(event):  # type: ignore[arg-type]  # checked just above
                levels[(level.participant_id, level.language, level.assessed_at)] = level
        elif kind == PlacementEnded.event_type:
            dropped = drop_out(event)  # type: ignore[arg-type]  # checked just above
            if dropped is not None:
                drop_outs[dropped.placement_id] = dropped
    return FactChanges(
        statistics=tuple(newest[key] for key in sorted(newest, key=_int)),
        levels=tuple(levels[key] for key in sorted(levels, key=uuid_first)),
        drop_outs=tuple(drop_outs[key] for key in sorted(drop_outs, key=_int)),
    )


def _int(key: UUID) -> int:
    return key.int
