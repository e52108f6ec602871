"""Pure rules of the measures participants receive: training, guidance and follow-ups.

Reduced per batch so that replays, duplicates and redelivery cannot change the result:
a measure counts from the first time a participant received it, a training ends once per
enrolment, and a follow-up's state only moves forward (due → missed → recorded).
"""

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple
from uuid import UUID

from mile_reporting.domain import uuid_first
from mile_reporting.facts import UNSPECIFIED_REASON
from mile_schemas import (
    CourseType,
    Event,
    FollowUpDue,
    FollowUpMissed,
    FollowUpRecorded,
    GuidanceKind,
    GuidanceSessionRecorded,
    TrainingEnded,
    TrainingEnrolled,
    TrainingOutcome,
)

MEASURES: frozenset[str] = frozenset({*CourseType, *GuidanceKind})
"""Types of measure a participant can receive: a course type or a guidance kind (the codes do not overlap)."""

FOLLOW_UP_STATES = ("due", "missed", "recorded")
"""In the order a follow-up can move: a late record beats a miss, either beats due."""
_RANK = {state: rank for rank, state in enumerate(FOLLOW_UP_STATES)}


class MeasureReceived(NamedTuple):
    participant_id: UUID
    city: str
    measure: str  # a CourseType or GuidanceKind value
    received_at: datetime


class TrainingEnding(NamedTuple):
    enrolment_id: UUID
    participant_id: UUID
    city: str
    course_type: str
    outcome: str
    hours_attended: int
    drop_out_reason: str | None  # UNSPECIFIED_REASON when dropped out without a code
    ended_at: datetime


class FollowUpState(NamedTuple):
    follow_up_id: UUID
    participant_id: UUID
    city: str
    offset_months: int
    state: str  # one of FOLLOW_UP_STATES
    due_at: datetime | None  # unknown when only the record was seen
    settled_at: datetime | None  # when recorded or missed


class MeasureChanges(NamedTuple):
    received: tuple[MeasureReceived, ...]  # earliest per (participant, measure), in key order
    trainings: tuple[TrainingEnding, ...]  # first per enrolment, in key order
    follow_ups: tuple[FollowUpState, ...]  # furthest state per follow-up, in key order


_FOLLOW_UP_EVENTS = frozenset(model.event_type for model in (FollowUpDue, FollowUpMissed, FollowUpRecorded))


def _follow_up(event: Event) -> FollowUpState:
    kind = event.event_type
    if kind == FollowUpDue.event_type:
        state, due_at, settled_at = "due", event.due_at, None  # type: ignore[attr-defined]
    elif kind == FollowUpMissed.event_type:
        state, due_at, settled_at = "missed", event.due_at, event.missed_at  # type: ignore[attr-defined]
    else:
        state, due_at, settled_at = "recorded", None, event.recorded_at  # type: ignore[attr-defined]
    return FollowUpState(
        event.follow_up_id,  # type: ignore[attr-defined]
        event.participant_id,  # type: ignore[attr-defined]
        event.city,  # type: ignore[attr-defined]
        event.offset_months,  # type: ignore[attr-defined]
        state,
        due_at,
        settled_at,
    )


def merge_follow_up(known: FollowUpState, new: FollowUpState) -> FollowUpState:
    """The furthest state wins; the due time is kept from whichever event carried it."""
    ahead = new if _RANK[new.state] > _RANK[known.state] else known
    return ahead._replace(due_at=known.due_at or new.due_at)


def measure_changes(events: Iterable[Event]) -> MeasureChanges:
    received: dict[tuple[UUID, str], MeasureReceived] = {}
    trainings: dict[UUID, TrainingEnding] = {}
    follow_ups: dict[UUID, FollowUpState] = {}
    for event in events:
        kind = event.event_type  # its type, not its class: the same dispatch as the funnel's
        got: MeasureReceived | None = None
        if kind == TrainingEnrolled.event_type:
            got = MeasureReceived(event.participant_id, event.city, event.course_type.value, event.enrolled_at)  # type: ignore[attr-defined]
        elif kind == GuidanceSessionRecorded.event_type:
            got = MeasureReceived(event.participant_id, event.city, event.kind.value, event.recorded_at)  # type: ignore[attr-defined]
        elif kind == TrainingEnded.event_type:
            ending = _training_ending(event)  # type: ignore[arg-type]  # checked just above
            trainings.setdefault(ending.enrolment_id, ending)
        elif kind in _FOLLOW_UP_EVENTS:
            state = _follow_up(event)
            known_state = follow_ups.get(state.follow_up_id)
            follow_ups[state.follow_up_id] = state if known_state is None else merge_follow_up(known_state, state)
        if got is not None:
            key = (got.participant_id, got.measure)
            known = received.get(key)
            if known is None or got.received_at < known.received_at:
                received[key] = got
    return MeasureChanges(
        received=tuple(received[key] for key in sorted(received, key=uuid_first)),
        trainings=tuple(trainings[key] for key in sorted(trainings, key=_int)),
        follow_ups=tuple(follow_ups[key] for key in sorted(follow_ups, key=_int)),
    )


def _training_ending(event: TrainingEnded) -> TrainingEnding:
    dropped = event.outcome is TrainingOutcome.DROPPED_OUT
    return TrainingEnding(
        event.enrolment_id,
        event.participant_id,
        event.city,
        event.course_type.value,
        event.outcome.value,
        event.hours_attended,
        (event.drop_out_reason or UNSPECIFIED_REASON) if dropped else None,
        event.ended_at,
    )


def _int(key: UUID) -> int:
    return key.int
