"""Pure rules of the funnel: which event means a participant reached which stage, and when.

A stage counts from the first time it was reached, so a batch is reduced to the
earliest time per participant and stage; replays, duplicates and out-of-order
arrival then cannot change the result.
"""

from collections.abc import Callable, Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple
from uuid import UUID

from mile_schemas import (
    AssessmentCompleted,
    ConsentChanged,
    Event,
    FollowUpDue,
    FollowUpMissed,
    FollowUpRecorded,
    GuidanceSessionRecorded,
    MatchDecided,
    MatchDecision,
    ParticipantErased,
    ParticipantProfileUpdated,
    ParticipantRegistered,
    PlacementEnded,
    PlacementOutcome,
    PlacementStarted,
    TrainingEnded,
    TrainingEnrolled,
    TrainingOutcome,
)


class Stage(StrEnum):
    """Funnel stages in the order a participant passes them."""

    REGISTERED = "registered"
    ASSESSED = "assessed"
    IN_TRAINING = "in_training"
    TRAINED = "trained"
    MATCHED = "matched"
    PLACED = "placed"
    COMPLETED = "completed"
    EMPLOYED_6M = "employed_6m"


CORE_STAGES: tuple[Stage, ...] = (Stage.REGISTERED, Stage.MATCHED, Stage.PLACED, Stage.COMPLETED)
"""The stages ``/reports/funnel`` has always shown; the full funnel is ``/reports/stages``."""

FOLLOW_UP_MONTHS = 6
"""EU common indicator: employed six months after leaving."""


FUNNEL_EVENTS: tuple[type[Event], ...] = (
    ParticipantRegistered,
    AssessmentCompleted,
    TrainingEnrolled,
    TrainingEnded,
    MatchDecided,
    PlacementStarted,
    PlacementEnded,
    FollowUpRecorded,
    ParticipantErased,
)
"""Events the funnel reads."""

PROJECTED_EVENTS: tuple[type[Event], ...] = (
    *FUNNEL_EVENTS,
    ParticipantProfileUpdated,
    ConsentChanged,
    GuidanceSessionRecorded,
    FollowUpDue,
    FollowUpMissed,
)
"""Events any projection reads; every other event type is skipped by the consumer."""

# A placement ending like this means the participant went through the whole model.
_SUCCESSFUL_OUTCOMES = frozenset({PlacementOutcome.COMPLETED, PlacementOutcome.CONVERTED_TO_EMPLOYMENT})


class StageReached(NamedTuple):  # a tuple: thousands are made per batch, cheaply
    participant_id: UUID
    city: str
    stage: Stage
    reached_at: datetime


class FunnelChanges(NamedTuple):
    """What a batch of events does to the funnel: stages reached, participants erased."""

    reached: tuple[StageReached, ...]  # at most one per (participant, stage): the earliest, in key order
    erased: frozenset[UUID]


def _accepted(event: MatchDecided) -> StageReached | None:
    if event.decision is MatchDecision.ACCEPTED:
        return StageReached(event.participant_id, event.city, Stage.MATCHED, event.decided_at)
    return None


def _completed(event: PlacementEnded) -> StageReached | None:
    if event.outcome in _SUCCESSFUL_OUTCOMES:
        return StageReached(event.participant_id, event.city, Stage.COMPLETED, event.ended_at)
    return None


def _trained(event: TrainingEnded) -> StageReached | None:
    if event.outcome is TrainingOutcome.COMPLETED:
        return StageReached(event.participant_id, event.city, Stage.TRAINED, event.ended_at)
    return None


def _employed(event: FollowUpRecorded) -> StageReached | None:
    if event.employed and event.offset_months == FOLLOW_UP_MONTHS:
        return StageReached(event.participant_id, event.city, Stage.EMPLOYED_6M, event.recorded_at)
    return None


# Dispatch on the event type: one dictionary look-up per event instead of a chain of pattern tests.
# Its CloudEvents type, not its class: the consumer may read an event with a reader (a subclass).
_RULES: dict[str, Callable[..., StageReached | None]] = {
    ParticipantRegistered.event_type: lambda e: StageReached(
        e.participant_id, e.city, Stage.REGISTERED, e.registered_at
    ),
    AssessmentCompleted.event_type: lambda e: StageReached(e.participant_id, e.city, Stage.ASSESSED, e.completed_at),
    TrainingEnrolled.event_type: lambda e: StageReached(e.participant_id, e.city, Stage.IN_TRAINING, e.enrolled_at),
    TrainingEnded.event_type: _trained,
    MatchDecided.event_type: _accepted,
    PlacementStarted.event_type: lambda e: StageReached(e.participant_id, e.city, Stage.PLACED, e.started_at),
    PlacementEnded.event_type: _completed,
    FollowUpRecorded.event_type: _employed,
}


def stage_reached(event: Event) -> StageReached | None:
    """The stage ``event`` shows its participant reached, or None when it shows none."""
    rule = _RULES.get(event.event_type)
    return rule(event) if rule is not None else None


def funnel_changes(events: Iterable[Event]) -> FunnelChanges:
    """Reduce a batch to the earliest time per participant and stage, plus the erasures."""
    earliest: dict[tuple[UUID, Stage], StageReached] = {}
    erased: set[UUID] = set()
    rules = _RULES
    for event in events:
        rule = rules.get(event.event_type)
        if rule is None:
            if event.event_type == ParticipantErased.event_type:
                erased.add(event.participant_id)  # type: ignore[attr-defined]  # checked just above
            continue
        reached = rule(event)
        if reached is None:
            continue
        key = (reached.participant_id, reached.stage)
        known = earliest.get(key)
        if known is None or reached.reached_at < known.reached_at:
            earliest[key] = reached
    # Key order: concurrent batches then lock shared rows in the same order and cannot deadlock.
    ordered = sorted(earliest, key=uuid_first)
    return FunnelChanges(reached=tuple(earliest[key] for key in ordered), erased=frozenset(erased))


def uuid_first(key: tuple[Any, ...]) -> tuple[Any, ...]:
    """Sort key of a tuple led by a UUID: its integer, so sorting compares in C, not ``UUID.__lt__``."""
    return (key[0].int, *key[1:])
