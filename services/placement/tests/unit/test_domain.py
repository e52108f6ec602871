"""Every transition of a placement, allowed and refused, and the events they announce."""

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from mile_placement import domain
from mile_placement.domain import Placement, PlacementState
from mile_platform.errors import Conflict, DomainError
from mile_schemas import MatchDecided, MatchDecision, PlacementEnded, PlacementOutcome, PlacementStarted, VacancyKind

T0 = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
RUNNING_OUTCOMES = [
    PlacementOutcome.COMPLETED,
    PlacementOutcome.CONVERTED_TO_EMPLOYMENT,
    PlacementOutcome.DROPPED_OUT,
    PlacementOutcome.ENDED_BY_EMPLOYER,
]
ALLOWED_ENDS = {(PlacementState.PROPOSED, PlacementOutcome.CANCELLED)} | {
    (PlacementState.STARTED, outcome) for outcome in RUNNING_OUTCOMES
}


def _decision(decision: MatchDecision = MatchDecision.ACCEPTED) -> MatchDecided:
    return MatchDecided(
        match_id=uuid.uuid4(),
        vacancy_id=uuid.uuid4(),
        participant_id=uuid.uuid4(),
        city="milan",
        decision=decision,
        decided_at=T0,
    )


def _proposed(kind: VacancyKind | None = VacancyKind.WORK_EXPERIENCE) -> Placement:
    placement = domain.propose(_decision(), kind, participant_erased=False)
    assert placement is not None
    return placement


def _in_state(state: PlacementState) -> Placement:
    """A placement that reached ``state`` the way the rules allow."""
    placement = _proposed()
    if state is PlacementState.PROPOSED:
        return placement
    if state is PlacementState.CANCELLED:
        return domain.end(placement, PlacementOutcome.CANCELLED, None, T0)[0]
    placement = domain.start(placement, T0)[0]
    if state is PlacementState.ENDED:
        placement = domain.end(placement, PlacementOutcome.COMPLETED, None, T0 + timedelta(days=90))[0]
    return placement


def _reason(outcome: PlacementOutcome) -> str | None:
    return "health_reasons" if domain.reason_required(outcome) else None


# --- proposing -------------------------------------------------------------------------


def test_an_accepted_match_proposes_a_placement_whose_id_only_depends_on_the_match() -> None:
    decision = _decision()
    placement = domain.propose(decision, VacancyKind.JOB, participant_erased=False)
    assert placement is not None
    assert placement.state is PlacementState.PROPOSED
    assert placement.placement_id == uuid.uuid5(domain.PLACEMENT_NAMESPACE, str(decision.match_id))
    again = domain.propose(
        decision.model_copy(update={"decided_at": T0 + timedelta(hours=1)}), None, participant_erased=False
    )
    assert again is not None and again.placement_id == placement.placement_id
    assert (placement.match_id, placement.vacancy_id, placement.participant_id, placement.city, placement.kind) == (
        decision.match_id,
        decision.vacancy_id,
        decision.participant_id,
        "milan",
        VacancyKind.JOB,
    )


def test_a_rejected_match_proposes_nothing() -> None:
    assert domain.propose(_decision(MatchDecision.REJECTED), VacancyKind.JOB, participant_erased=False) is None


def test_an_erased_participant_gets_no_placement_from_a_late_decision() -> None:
    assert domain.propose(_decision(), VacancyKind.JOB, participant_erased=True) is None


# --- starting --------------------------------------------------------------------------


def test_a_proposed_placement_starts_and_announces_it() -> None:
    placement = _proposed(VacancyKind.APPRENTICESHIP)
    started, event = domain.start(placement, T0)
    assert (started.state, started.started_at) == (PlacementState.STARTED, T0)
    assert isinstance(event, PlacementStarted)
    assert (event.placement_id, event.match_id, event.kind, event.started_at) == (
        placement.placement_id,
        placement.match_id,
        VacancyKind.APPRENTICESHIP,
        T0,
    )


@pytest.mark.parametrize("state", [PlacementState.STARTED, PlacementState.ENDED, PlacementState.CANCELLED])
def test_only_a_proposed_placement_starts(state: PlacementState) -> None:
    placement = _in_state(state)
    with pytest.raises(Conflict) as refused:
        domain.start(placement, T0)
    assert f"is {state.value} and cannot start" in str(refused.value)


def test_a_placement_whose_vacancy_is_unknown_cannot_start_yet() -> None:
    with pytest.raises(Conflict, match="kind is unknown"):
        domain.start(_proposed(kind=None), T0)


# --- ending ----------------------------------------------------------------------------


@pytest.mark.parametrize(("state", "outcome"), sorted(ALLOWED_ENDS))
def test_allowed_ends(state: PlacementState, outcome: PlacementOutcome) -> None:
    placement = _in_state(state)
    ended_at = T0 + timedelta(days=30)
    ended, event = domain.end(placement, outcome, _reason(outcome), ended_at)
    expected = PlacementState.CANCELLED if outcome is PlacementOutcome.CANCELLED else PlacementState.ENDED
    assert (ended.state, ended.outcome, ended.reason, ended.ended_at) == (expected, outcome, _reason(outcome), ended_at)
    assert ended.started_at == placement.started_at
    assert isinstance(event, PlacementEnded)
    assert (event.placement_id, event.outcome, event.reason, event.ended_at) == (
        placement.placement_id,
        outcome,
        _reason(outcome),
        ended_at,
    )
    assert event.early is (outcome not in {PlacementOutcome.COMPLETED, PlacementOutcome.CONVERTED_TO_EMPLOYMENT})


@pytest.mark.parametrize(
    ("state", "outcome"),
    sorted((s, o) for s in PlacementState for o in PlacementOutcome if (s, o) not in ALLOWED_ENDS),
)
def test_refused_ends_name_the_allowed_transitions(state: PlacementState, outcome: PlacementOutcome) -> None:
    placement = _in_state(state)
    with pytest.raises(Conflict) as refused:
        domain.end(placement, outcome, "some_reason", T0 + timedelta(days=100))
    message = str(refused.value)
    assert f"is {state.value} and cannot end with outcome {outcome.value}" in message
    allowed = domain.allowed_transitions(state)
    assert message.endswith(f"allowed: {', '.join(allowed)}" if allowed else "allowed: none (final state)")


@pytest.mark.parametrize("outcome", [PlacementOutcome.DROPPED_OUT, PlacementOutcome.ENDED_BY_EMPLOYER])
def test_an_early_end_by_either_side_needs_a_reason(outcome: PlacementOutcome) -> None:
    with pytest.raises(DomainError, match="reason") as refused:
        domain.end(_in_state(PlacementState.STARTED), outcome, None, T0 + timedelta(days=1))
    assert type(refused.value) is DomainError  # bad input (422), not a conflict of states


def test_a_placement_cannot_end_before_it_started() -> None:
    with pytest.raises(DomainError, match="ended_at"):
        domain.end(_in_state(PlacementState.STARTED), PlacementOutcome.COMPLETED, None, T0 - timedelta(seconds=1))


def test_erasure_cancels_a_proposed_placement_early_with_its_reason() -> None:
    cancelled, event = domain.cancel_for_erasure(_proposed(), T0)
    assert (cancelled.state, cancelled.outcome, cancelled.reason) == (
        PlacementState.CANCELLED,
        PlacementOutcome.CANCELLED,
        "participant_erased",
    )
    assert (event.outcome, event.reason, event.early) == (PlacementOutcome.CANCELLED, "participant_erased", True)


def test_erasure_does_not_cancel_a_started_placement() -> None:
    with pytest.raises(Conflict):
        domain.cancel_for_erasure(_in_state(PlacementState.STARTED), T0)


# --- what each state allows ------------------------------------------------------------


def test_allowed_transitions_per_state() -> None:
    assert domain.allowed_transitions(PlacementState.PROPOSED) == ["start", "end (cancelled)"]
    assert domain.allowed_transitions(PlacementState.STARTED) == [
        "end (completed | converted_to_employment | dropped_out | ended_by_employer)"
    ]
    assert domain.allowed_transitions(PlacementState.ENDED) == []
    assert domain.allowed_transitions(PlacementState.CANCELLED) == []


def test_transitions_leave_the_original_untouched() -> None:
    placement = _proposed()
    snapshot = replace(placement)
    domain.start(placement, T0)
    assert placement == snapshot
