"""When follow-ups fall due, when they are missed, and what a record must hold."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from mile_placement import domain, followups
from mile_placement.domain import Placement, PlacementState
from mile_placement.followups import FollowUpState, Outcome
from mile_platform.errors import Conflict, DomainError
from mile_schemas import ContractType, HoursBand, MatchDecided, MatchDecision, PlacementOutcome, VacancyKind

ENDED_AT = datetime(2026, 1, 31, 15, 0, tzinfo=UTC)
WINDOW = timedelta(days=30)
EMPLOYED = Outcome(True, True, ContractType.FIXED_TERM, HoursBand.FROM_30, False)


def _placement(outcome: PlacementOutcome = PlacementOutcome.COMPLETED) -> Placement:
    decision = MatchDecided(
        match_id=uuid.uuid4(),
        vacancy_id=uuid.uuid4(),
        participant_id=uuid.uuid4(),
        city="milan",
        decision=MatchDecision.ACCEPTED,
        decided_at=ENDED_AT - timedelta(days=120),
    )
    placement = domain.propose(decision, VacancyKind.WORK_EXPERIENCE, participant_erased=False)
    assert placement is not None
    if outcome is PlacementOutcome.CANCELLED:
        return domain.end(placement, outcome, None, ENDED_AT)[0]
    placement = domain.confirm(
        placement,
        kind=None,
        contract_type=ContractType.TRAINEESHIP,
        start_date=date(2025, 10, 1),
        weekly_hours=20,
        tutor_ref=None,
        confirmed_at=ENDED_AT - timedelta(days=110),
    )[0]
    placement = domain.start(placement, ENDED_AT - timedelta(days=100))[0]
    reason = "health_reasons" if domain.reason_required(outcome) else None
    return domain.end(placement, outcome, reason, ENDED_AT)[0]


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (datetime(2026, 1, 31, tzinfo=UTC), 1, datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2028, 1, 31, tzinfo=UTC), 1, datetime(2028, 2, 29, tzinfo=UTC)),
        (datetime(2026, 11, 15, 9, 30, tzinfo=UTC), 3, datetime(2027, 2, 15, 9, 30, tzinfo=UTC)),
        (datetime(2026, 6, 30, tzinfo=UTC), 12, datetime(2027, 6, 30, tzinfo=UTC)),
    ],
)
def test_months_are_calendar_months_clamped_to_the_month_end(moment: datetime, months: int, expected: datetime) -> None:
    assert followups.add_months(moment, months) == expected


def test_an_ended_placement_plans_one_follow_up_per_offset() -> None:
    placement = _placement()
    planned = followups.plan(placement, (12, 1, 3, 6), WINDOW)
    assert [f.offset_months for f in planned] == [1, 3, 6, 12]
    assert [f.due_at for f in planned] == [followups.add_months(ENDED_AT, m) for m in (1, 3, 6, 12)]
    assert all(f.window_closes_at == f.due_at + WINDOW and f.state is FollowUpState.SCHEDULED for f in planned)
    assert [f.follow_up_id for f in followups.plan(placement, (1, 3, 6, 12), WINDOW)] == [
        f.follow_up_id for f in planned
    ]


@pytest.mark.parametrize("outcome", list(PlacementOutcome))
def test_every_end_but_a_cancellation_is_followed_up(outcome: PlacementOutcome) -> None:
    planned = followups.plan(_placement(outcome), (1, 3), WINDOW)
    assert len(planned) == (0 if outcome is PlacementOutcome.CANCELLED else 2)


def test_a_follow_up_falls_due_once_then_is_missed_once_when_its_window_closes() -> None:
    [follow_up] = followups.plan(_placement(), (6,), WINDOW)
    with pytest.raises(Conflict):
        followups.fall_due(follow_up, follow_up.due_at - timedelta(seconds=1))
    due, event = followups.fall_due(follow_up, follow_up.due_at)
    assert (due.state, event.due_at, event.window_closes_at, event.offset_months) == (
        FollowUpState.DUE,
        follow_up.due_at,
        follow_up.window_closes_at,
        6,
    )
    with pytest.raises(Conflict):
        followups.fall_due(due, follow_up.due_at + timedelta(days=1))
    with pytest.raises(Conflict):
        followups.miss(due, follow_up.window_closes_at - timedelta(seconds=1))
    missed, event = followups.miss(due, follow_up.window_closes_at)
    assert (missed.state, event.missed_at) == (FollowUpState.MISSED, follow_up.window_closes_at)
    with pytest.raises(Conflict, match="final state"):
        followups.record(missed, EMPLOYED, follow_up.window_closes_at)


def test_only_a_due_follow_up_is_recorded_and_the_record_is_announced() -> None:
    [follow_up] = followups.plan(_placement(), (1,), WINDOW)
    with pytest.raises(Conflict, match="until it falls due"):
        followups.record(follow_up, EMPLOYED, follow_up.due_at)
    due = followups.fall_due(follow_up, follow_up.due_at)[0]
    recorded, event = followups.record(due, EMPLOYED, follow_up.due_at + timedelta(days=2))
    assert recorded.state is FollowUpState.RECORDED
    assert (event.employed, event.same_employer, event.contract_type, event.hours_band) == (
        True,
        True,
        ContractType.FIXED_TERM,
        HoursBand.FROM_30,
    )
    with pytest.raises(Conflict):
        followups.miss(recorded, follow_up.window_closes_at)


@pytest.mark.parametrize(
    ("outcome", "field"),
    [
        (Outcome(True, None, ContractType.PERMANENT, HoursBand.UNDER_16, False), "same_employer"),
        (Outcome(False, None, ContractType.PERMANENT, None, True), "contract_type"),
    ],
)
def test_employment_details_go_with_employment(outcome: Outcome, field: str) -> None:
    with pytest.raises(DomainError, match=field):
        followups.check_outcome(outcome)
    followups.check_outcome(Outcome(False, None, None, None, True))


def test_follow_ups_are_only_planned_for_ended_placements() -> None:
    placement = _placement()
    assert placement.state is PlacementState.ENDED
    assert followups.plan(_placement(PlacementOutcome.CANCELLED), (1,), WINDOW) == []
