"""Training, guidance and follow-ups: reduced so that order, replays and duplicates change nothing."""

import uuid
from datetime import UTC, date, datetime, timedelta

from mile_reporting.domain import Stage, funnel_changes
from mile_reporting.measures import measure_changes
from mile_schemas import (
    CourseType,
    FollowUpDue,
    FollowUpMissed,
    FollowUpRecorded,
    GuidanceKind,
    GuidanceSessionRecorded,
    TrainingEnded,
    TrainingEnrolled,
    TrainingOutcome,
)

PARTICIPANT = uuid.uuid4()
CITY = "milan"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
PLACEMENT = {"placement_id": uuid.uuid4(), "match_id": uuid.uuid4(), "vacancy_id": uuid.uuid4()}


def enrolled(course: CourseType, at: datetime = T0, enrolment: uuid.UUID | None = None) -> TrainingEnrolled:
    return TrainingEnrolled(
        participant_id=PARTICIPANT,
        city=CITY,
        enrolment_id=enrolment or uuid.uuid4(),
        course_type=course,
        planned_hours=40,
        starts_on=date(2026, 3, 2),
        enrolled_at=at,
    )


def ended(outcome: TrainingOutcome, reason: str | None = None, hours: int = 30) -> TrainingEnded:
    return TrainingEnded(
        participant_id=PARTICIPANT,
        city=CITY,
        enrolment_id=uuid.uuid4(),
        course_type=CourseType.HOST_LANGUAGE,
        outcome=outcome,
        hours_attended=hours,
        drop_out_reason=reason,
        ended_at=T0 + timedelta(days=30),
    )


def guidance(kind: GuidanceKind, at: datetime = T0) -> GuidanceSessionRecorded:
    return GuidanceSessionRecorded(
        participant_id=PARTICIPANT,
        city=CITY,
        session_id=uuid.uuid4(),
        kind=kind,
        held_on=date(2026, 3, 1),
        minutes=45,
        recorded_at=at,
    )


def test_enrolment_is_in_training_and_only_a_completed_course_is_trained() -> None:
    stages = funnel_changes([enrolled(CourseType.DIGITAL), ended(TrainingOutcome.DROPPED_OUT, "moved_away")])
    assert [r.stage for r in stages.reached] == [Stage.IN_TRAINING]
    stages = funnel_changes([ended(TrainingOutcome.COMPLETED)])
    assert [(r.stage, r.reached_at) for r in stages.reached] == [(Stage.TRAINED, T0 + timedelta(days=30))]


def test_a_measure_counts_from_the_first_time_whatever_the_order() -> None:
    later = T0 + timedelta(days=5)
    batch = [
        enrolled(CourseType.HOST_LANGUAGE, later),
        enrolled(CourseType.HOST_LANGUAGE, T0),
        guidance(GuidanceKind.PROFESSIONAL_GUIDANCE, later),
        guidance(GuidanceKind.PROFESSIONAL_GUIDANCE, later),
    ]
    for events in (batch, batch[::-1]):
        received = {(r.measure, r.received_at) for r in measure_changes(events).received}
        assert received == {("host_language", T0), ("professional_guidance", later)}


def test_a_training_drop_out_keeps_its_reason_or_is_unspecified() -> None:
    endings = measure_changes(
        [
            ended(TrainingOutcome.DROPPED_OUT, "found_work"),
            ended(TrainingOutcome.DROPPED_OUT),
            ended(TrainingOutcome.COMPLETED),
        ]
    ).trainings
    assert sorted((e.outcome, e.drop_out_reason or "") for e in endings) == [
        ("completed", ""),
        ("dropped_out", "found_work"),
        ("dropped_out", "unspecified"),
    ]


def test_a_follow_up_only_moves_forward_and_keeps_its_due_time() -> None:
    follow_up = {
        **PLACEMENT,
        "participant_id": PARTICIPANT,
        "city": CITY,
        "follow_up_id": uuid.uuid4(),
        "offset_months": 6,
    }
    due_at = T0 + timedelta(days=180)
    due = FollowUpDue(**follow_up, due_at=due_at, window_closes_at=due_at + timedelta(days=30))
    missed = FollowUpMissed(**follow_up, due_at=due_at, missed_at=due_at + timedelta(days=30))
    recorded = FollowUpRecorded(
        **follow_up, employed=True, in_education_or_training=False, recorded_at=due_at + timedelta(days=40)
    )
    for events in ([due, missed, recorded], [recorded, due], [missed, due, recorded][::-1]):
        (state,) = measure_changes(events).follow_ups
        assert (state.state, state.due_at, state.settled_at) == ("recorded", due_at, due_at + timedelta(days=40))
    (state,) = measure_changes([missed, due]).follow_ups
    assert (state.state, state.settled_at) == ("missed", due_at + timedelta(days=30))
