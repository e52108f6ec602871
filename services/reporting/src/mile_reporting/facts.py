"""Pure rules of the facts beside the funnel: statistics for breakdowns, language levels, drop-outs.

Like the funnel, each batch is reduced so that replays, duplicates and redelivery cannot
change the result: statistics keep the newest snapshot, language levels are keyed by
assessment time, drop-outs by placement.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

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


@dataclass(frozen=True)
class StatisticsSnapshot:
    """What statistics consent lets reporting know of a participant; None = nothing (no consent)."""

    participant_id: UUID
    city: str
    attributes: StatisticalAttributes | None
    as_of: datetime


@dataclass(frozen=True)
class LanguageLevel:
    """A tested level in one language: the lowest of its four skills, 1 (A1) to 6 (C2)."""

    participant_id: UUID
    city: str
    language: str
    assessed_at: datetime
    rank: int


@dataclass(frozen=True)
class DropOut:
    placement_id: UUID
    participant_id: UUID
    city: str
    reason: str
    ended_at: datetime


@dataclass(frozen=True)
class FactChanges:
    statistics: tuple[StatisticsSnapshot, ...]  # newest per participant, in key order
    levels: tuple[LanguageLevel, ...]  # one per (participant, language, time), in key order
    drop_outs: tuple[DropOut, ...]  # one per placement, in key order


def statistics_snapshot(event: Event) -> StatisticsSnapshot | None:
    """The statistics ``event`` states, or None when it says nothing about them."""
    match event:
        case ParticipantRegistered():
            return StatisticsSnapshot(event.participant_id, event.city, event.statistics, event.registered_at)
        case ParticipantProfileUpdated():
            return StatisticsSnapshot(event.participant_id, event.city, event.statistics, event.updated_at)
        case ConsentChanged(purpose=ConsentPurpose.STATISTICS):
            given = event.status is ConsentStatus.GIVEN
            # Withdrawn or expired consent: reporting forgets the attributes (fail-closed).
            attributes = event.statistics if given else None
            return StatisticsSnapshot(event.participant_id, event.city, attributes, event.changed_at)
    return None


def language_levels(event: Event) -> list[LanguageLevel]:
    """Levels a tested language assessment found; self-declared levels do not count."""
    if not isinstance(event, AssessmentCompleted):
        return []
    return [
        LanguageLevel(
            event.participant_id,
            event.city,
            entry.language,
            event.completed_at,
            min(level.rank for level in (entry.listening, entry.reading, entry.speaking, entry.writing)),
        )
        for entry in event.languages
        if entry.tested
    ]


def drop_out(event: Event) -> DropOut | None:
    if isinstance(event, PlacementEnded) and event.outcome is PlacementOutcome.DROPPED_OUT:
        reason = event.reason or UNSPECIFIED_REASON
        return DropOut(event.placement_id, event.participant_id, event.city, reason, event.ended_at)
    return None


def fact_changes(events: Iterable[Event]) -> FactChanges:
    """Reduce a batch: newest statistics per participant, levels and drop-outs once each."""
    newest: dict[UUID, StatisticsSnapshot] = {}
    levels: dict[tuple[UUID, str, datetime], LanguageLevel] = {}
    drop_outs: dict[UUID, DropOut] = {}
    for event in events:
        snapshot = statistics_snapshot(event)
        if snapshot is not None:
            known = newest.get(snapshot.participant_id)
            if known is None or snapshot.as_of >= known.as_of:
                newest[snapshot.participant_id] = snapshot
        for level in language_levels(event):
            levels[(level.participant_id, level.language, level.assessed_at)] = level
        dropped = drop_out(event)
        if dropped is not None:
            drop_outs[dropped.placement_id] = dropped
    return FactChanges(
        statistics=tuple(newest[key] for key in sorted(newest)),
        levels=tuple(levels[key] for key in sorted(levels)),
        drop_outs=tuple(drop_outs[key] for key in sorted(drop_outs)),
    )
