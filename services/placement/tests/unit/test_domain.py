"""Every transition of a placement, allowed and refused, and the events they announce."""

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from mile_placement import domain
from mile_placement.domain import Placement, PlacementState
from mile_platform.errors import Conflict, DomainError
from mile_schemas import (
    ContractType,
    MatchDecided,
    MatchDecision,
    PlacementConfirmed,
    PlacementEnded,
    PlacementOutcome,
    PlacementStarted,
    VacancyKind,
)

T0 = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
RUNNING_OUTCOMES = [
    PlacementOutcome.COMPLETED,
    PlacementOutcome.CONVERTED_TO_EMPLOYMENT,
    PlacementOutcome.DROPPED_OUT,
    PlacementOutcome.ENDED_BY_EMPLOYER,
]
ALLOWED_ENDS = {
    (PlacementState.PROPOSED, PlacementOutcome.CANCELLED),
    (PlacementState.CONFIRMED, PlacementOutcome.CANCELLED),
} | {(PlacementState.STARTED, outcome) for outcome in RUNNING_OUTCOMES}
TUTOR = uuid.UUID("7d1e4a2b-6c3f-4b8e-9a5d-0e2f1c3b4a6d")


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
    placement = _confirm(placement)[0]
    if state is PlacementState.CONFIRMED:
        return placement
    placement = domain.start(placement, T0)[0]
    if state is PlacementState.ENDED:
        placement = domain.end(placement, PlacementOutcome.COMPLETED, None, T0 + timedelta(days=90))[0]
    return placement


def _confirm(placement: Placement, kind: VacancyKind | None = None) -> tuple[Placement, PlacementConfirmed]:
    return domain.confirm(
        placement,
        kind=kind,
        contract_type=ContractType.TRAINEESHIP,
        start_date=date(2026, 4, 1),
        weekly_hours=30,
        tutor_ref=TUTOR,
        confirmed_at=T0 - timedelta(days=7),
    )


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


# --- confirming ------------------------------------------------------------------------


def test_a_proposed_placement_is_confirmed_with_its_terms_and_announces_them() -> None:
    placement = _proposed(VacancyKind.WORK_EXPERIENCE)
    confirmed, event = _confirm(placement)
    assert confirmed.state is PlacementState.CONFIRMED and confirmed.terms is not None
    assert (confirmed.terms.contract_type, confirmed.terms.tutor_ref, confirmed.kind) == (
        ContractType.TRAINEESHIP,
        TUTOR,
        VacancyKind.WORK_EXPERIENCE,
    )
    assert (event.placement_id, event.kind, event.contract_type, event.start_date, event.weekly_hours) == (
        placement.placement_id,
        VacancyKind.WORK_EXPERIENCE,
        ContractType.TRAINEESHIP,
        date(2026, 4, 1),
        30,
    )
    assert (event.tutor_ref, event.confirmed_at) == (TUTOR, T0 - timedelta(days=7))


def test_the_agreed_kind_overrides_the_vacancy_and_stands_in_when_it_is_unknown() -> None:
    assert _confirm(_proposed(VacancyKind.JOB), VacancyKind.APPRENTICESHIP)[0].kind is VacancyKind.APPRENTICESHIP
    assert _confirm(_proposed(kind=None), VacancyKind.JOB)[1].kind is VacancyKind.JOB


def test_a_placement_whose_vacancy_is_unknown_cannot_be_confirmed_without_a_kind() -> None:
    with pytest.raises(Conflict, match="kind is unknown"):
        _confirm(_proposed(kind=None))


@pytest.mark.parametrize("state", [s for s in PlacementState if s is not PlacementState.PROPOSED])
def test_only_a_proposed_placement_is_confirmed(state: PlacementState) -> None:
    with pytest.raises(Conflict, match=f"is {state.value} and cannot confirm"):
        _confirm(_in_state(state))


# --- starting --------------------------------------------------------------------------


def test_a_confirmed_placement_starts_and_announces_it() -> None:
    placement = _confirm(_proposed(VacancyKind.APPRENTICESHIP))[0]
    started, event = domain.start(placement, T0)
    assert (started.state, started.started_at) == (PlacementState.STARTED, T0)
    assert isinstance(event, PlacementStarted)
    assert (event.placement_id, event.match_id, event.kind, event.started_at) == (
        placement.placement_id,
        placement.match_id,
        VacancyKind.APPRENTICESHIP,
        T0,
    )


@pytest.mark.parametrize("state", [s for s in PlacementState if s is not PlacementState.CONFIRMED])
def test_only_a_confirmed_placement_starts(state: PlacementState) -> None:
    placement = _in_state(state)
    with pytest.raises(Conflict) as refused:
        domain.start(placement, T0)
    assert f"is {state.value} and cannot start" in str(refused.value)


# --- tutoring and feedback -------------------------------------------------------------


def _session(held_on: date) -> domain.TutoringSession:
    return domain.TutoringSession(uuid.uuid4(), held_on, TUTOR, ("workplace_safety",), ("commute_time",), T0)


def test_a_running_placement_records_tutoring_sessions() -> None:
    placement = _in_state(PlacementState.STARTED)
    event = domain.record_tutoring(placement, _session(date(2026, 4, 15)))
    assert (event.placement_id, event.tutor_ref, event.topics, event.issues_raised) == (
        placement.placement_id,
        TUTOR,
        ("workplace_safety",),
        ("commute_time",),
    )


@pytest.mark.parametrize("state", [s for s in PlacementState if s is not PlacementState.STARTED])
def test_tutoring_belongs_to_a_running_placement(state: PlacementState) -> None:
    with pytest.raises(Conflict, match="cannot record tutoring"):
        domain.record_tutoring(_in_state(state), _session(date(2026, 4, 15)))


def test_a_session_cannot_predate_the_start() -> None:
    with pytest.raises(DomainError, match="held_on"):
        domain.record_tutoring(_in_state(PlacementState.STARTED), _session(date(2026, 3, 31)))


@pytest.mark.parametrize("state", list(PlacementState))
def test_feedback_is_given_on_started_or_ended_placements(state: PlacementState) -> None:
    if state in (PlacementState.STARTED, PlacementState.ENDED):
        domain.check_feedback(_in_state(state))
    else:
        with pytest.raises(Conflict, match="cannot give feedback"):
            domain.check_feedback(_in_state(state))


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


@pytest.mark.parametrize("state", [PlacementState.PROPOSED, PlacementState.CONFIRMED])
def test_erasure_cancels_a_placement_not_started_early_with_its_reason(state: PlacementState) -> None:
    cancelled, event = domain.cancel_for_erasure(_in_state(state), T0)
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
    assert domain.allowed_transitions(PlacementState.PROPOSED) == ["confirm", "end (cancelled)"]
    assert domain.allowed_transitions(PlacementState.CONFIRMED) == ["start", "end (cancelled)"]
    assert domain.allowed_transitions(PlacementState.STARTED) == [
        "end (completed | converted_to_employment | dropped_out | ended_by_employer)",
        "record tutoring",
        "give feedback",
    ]
    assert domain.allowed_transitions(PlacementState.ENDED) == ["give feedback"]
    assert domain.allowed_transitions(PlacementState.CANCELLED) == []


def test_transitions_leave_the_original_untouched() -> None:
    placement = _in_state(PlacementState.CONFIRMED)
    snapshot = replace(placement)
    domain.start(placement, T0)
    assert placement == snapshot


def test_placement_ids_are_the_uuid5_of_their_match_as_every_earlier_release_derived_them() -> None:
    # Stored placements are found again by this id when a decision is replayed: it must never change.
    assert domain.placement_id_for(uuid.UUID("2f1c7e1e-8a51-4c43-9f0e-0b3c3c0f6a11")) == uuid.UUID(
        "f8a94f0a-01e8-50bb-b30e-8a556dbd4737"
    )
    for match_id in (uuid.uuid4() for _ in range(200)):
        assert domain.placement_id_for(match_id) == uuid.uuid5(domain.PLACEMENT_NAMESPACE, str(match_id))
