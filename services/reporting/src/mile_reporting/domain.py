"""Pure rules of the funnel: which event means a participant reached which stage, and when.

A stage counts from the first time it was reached, so a batch is reduced to the
earliest time per participant and stage; replays, duplicates and out-of-order
arrival then cannot change the result.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from mile_schemas import (
    AssessmentCompleted,
    ConsentChanged,
    Event,
    FollowUpRecorded,
    MatchDecided,
    MatchDecision,
    ParticipantErased,
    ParticipantProfileUpdated,
    ParticipantRegistered,
    PlacementEnded,
    PlacementOutcome,
    PlacementStarted,
)


class Stage(StrEnum):
    """Funnel stages in the order a participant passes them."""

    REGISTERED = "registered"
    ASSESSED = "assessed"
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
    MatchDecided,
    PlacementStarted,
    PlacementEnded,
    FollowUpRecorded,
    ParticipantErased,
)
"""Events the funnel reads."""

PROJECTED_EVENTS: tuple[type[Event], ...] = (*FUNNEL_EVENTS, ParticipantProfileUpdated, ConsentChanged)
"""Events any projection reads; every other event type is skipped by the consumer."""

# A placement ending like this means the participant went through the whole model.
_SUCCESSFUL_OUTCOMES = frozenset({PlacementOutcome.COMPLETED, PlacementOutcome.CONVERTED_TO_EMPLOYMENT})


@dataclass(frozen=True)
class StageReached:
    participant_id: UUID
    city: str
    stage: Stage
    reached_at: datetime


@dataclass(frozen=True)
class FunnelChanges:
    """What a batch of events does to the funnel: stages reached, participants erased."""

    reached: tuple[StageReached, ...]  # at most one per (participant, stage): the earliest, in key order
    erased: frozenset[UUID]


def stage_reached(event: Event) -> StageReached | None:
    """The stage ``event`` shows its participant reached, or None when it shows none."""
    match event:
        case ParticipantRegistered():
            return StageReached(event.participant_id, event.city, Stage.REGISTERED, event.registered_at)
        case AssessmentCompleted():
            return StageReached(event.participant_id, event.city, Stage.ASSESSED, event.completed_at)
        case MatchDecided(decision=MatchDecision.ACCEPTED):
            return StageReached(event.participant_id, event.city, Stage.MATCHED, event.decided_at)
        case PlacementStarted():
            return StageReached(event.participant_id, event.city, Stage.PLACED, event.started_at)
        case PlacementEnded() if event.outcome in _SUCCESSFUL_OUTCOMES:
            return StageReached(event.participant_id, event.city, Stage.COMPLETED, event.ended_at)
        case FollowUpRecorded(employed=True) if event.offset_months == FOLLOW_UP_MONTHS:
            return StageReached(event.participant_id, event.city, Stage.EMPLOYED_6M, event.recorded_at)
    return None


def funnel_changes(events: Iterable[Event]) -> FunnelChanges:
    """Reduce a batch to the earliest time per participant and stage, plus the erasures."""
    earliest: dict[tuple[UUID, Stage], StageReached] = {}
    erased: set[UUID] = set()
    for event in events:
        if isinstance(event, ParticipantErased):
            erased.add(event.participant_id)
            continue
        reached = stage_reached(event)
        if reached is None:
            continue
        key = (reached.participant_id, reached.stage)
        known = earliest.get(key)
        if known is None or reached.reached_at < known.reached_at:
            earliest[key] = reached
    # Key order: concurrent batches then lock shared rows in the same order and cannot deadlock.
    reached = tuple(earliest[key] for key in sorted(earliest))
    return FunnelChanges(reached=reached, erased=frozenset(erased))
