"""Which events move a participant through the funnel, and how a batch is reduced."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from mile_reporting.domain import FUNNEL_EVENTS, Stage, StageReached, funnel_changes, stage_reached
from mile_schemas import (
    EVENT_TYPES,
    ConsentChanged,
    ConsentPurpose,
    ConsentStatus,
    MatchDecided,
    MatchDecision,
    MatchProposed,
    ParticipantErased,
    ParticipantRegistered,
    PlacementEnded,
    PlacementOutcome,
    PlacementStarted,
    VacancyKind,
)

PARTICIPANT = uuid.uuid4()
CITY = "milan"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def registered(at: datetime = T0, participant: uuid.UUID = PARTICIPANT) -> ParticipantRegistered:
    return ParticipantRegistered(participant_id=participant, city=CITY, registered_at=at)


def decided(decision: MatchDecision, at: datetime = T0) -> MatchDecided:
    return MatchDecided(
        match_id=uuid.uuid4(),
        vacancy_id=uuid.uuid4(),
        participant_id=PARTICIPANT,
        city=CITY,
        decision=decision,
        decided_at=at,
    )


def started(at: datetime = T0) -> PlacementStarted:
    return PlacementStarted(
        placement_id=uuid.uuid4(),
        match_id=uuid.uuid4(),
        vacancy_id=uuid.uuid4(),
        participant_id=PARTICIPANT,
        city=CITY,
        kind=VacancyKind.WORK_EXPERIENCE,
        started_at=at,
    )


def ended(outcome: PlacementOutcome, at: datetime = T0) -> PlacementEnded:
    return PlacementEnded(
        placement_id=uuid.uuid4(),
        match_id=uuid.uuid4(),
        vacancy_id=uuid.uuid4(),
        participant_id=PARTICIPANT,
        city=CITY,
        outcome=outcome,
        ended_at=at,
        early=False,
    )


def test_registration_is_the_registered_stage_at_its_time() -> None:
    assert stage_reached(registered()) == StageReached(PARTICIPANT, CITY, Stage.REGISTERED, T0)


def test_only_an_accepted_match_is_the_matched_stage() -> None:
    assert stage_reached(decided(MatchDecision.ACCEPTED)) == StageReached(PARTICIPANT, CITY, Stage.MATCHED, T0)
    assert stage_reached(decided(MatchDecision.REJECTED)) is None


def test_a_started_placement_is_the_placed_stage() -> None:
    assert stage_reached(started()) == StageReached(PARTICIPANT, CITY, Stage.PLACED, T0)


@pytest.mark.parametrize("outcome", [PlacementOutcome.COMPLETED, PlacementOutcome.CONVERTED_TO_EMPLOYMENT])
def test_a_successful_end_is_the_completed_stage(outcome: PlacementOutcome) -> None:
    assert stage_reached(ended(outcome)) == StageReached(PARTICIPANT, CITY, Stage.COMPLETED, T0)


@pytest.mark.parametrize(
    "outcome", [PlacementOutcome.DROPPED_OUT, PlacementOutcome.ENDED_BY_EMPLOYER, PlacementOutcome.CANCELLED]
)
def test_an_unsuccessful_end_reaches_no_stage(outcome: PlacementOutcome) -> None:
    assert stage_reached(ended(outcome)) is None


def test_other_events_reach_no_stage() -> None:
    proposed = MatchProposed(
        match_id=uuid.uuid4(), vacancy_id=uuid.uuid4(), participant_id=PARTICIPANT, city=CITY, score=0.8, proposed_at=T0
    )
    consent = ConsentChanged(
        participant_id=PARTICIPANT,
        city=CITY,
        purpose=ConsentPurpose.STATISTICS,
        status=ConsentStatus.WITHDRAWN,
        notice_version="1",
        changed_at=T0,
    )
    erased = ParticipantErased(participant_id=PARTICIPANT, city=CITY, erased_at=T0)
    assert [stage_reached(e) for e in (proposed, consent, erased)] == [None, None, None]


def test_a_batch_keeps_the_earliest_time_per_participant_and_stage_whatever_the_order() -> None:
    later, earliest = registered(T0 + timedelta(days=2)), registered(T0)
    for batch in ([later, earliest, later], [earliest, later]):
        assert funnel_changes(batch).reached == (StageReached(PARTICIPANT, CITY, Stage.REGISTERED, T0),)


def test_a_batch_keeps_each_stage_and_each_participant_apart() -> None:
    other = uuid.uuid4()
    changes = funnel_changes([registered(), registered(participant=other), decided(MatchDecision.ACCEPTED), started()])
    assert {(r.participant_id, r.stage) for r in changes.reached} == {
        (PARTICIPANT, Stage.REGISTERED),
        (other, Stage.REGISTERED),
        (PARTICIPANT, Stage.MATCHED),
        (PARTICIPANT, Stage.PLACED),
    }
    assert changes.erased == frozenset()


def test_erasures_are_collected_once_each() -> None:
    erased = ParticipantErased(participant_id=PARTICIPANT, city=CITY, erased_at=T0)
    changes = funnel_changes([registered(), erased, erased])
    assert changes.erased == {PARTICIPANT}
    assert [r.stage for r in changes.reached] == [Stage.REGISTERED]


def test_the_funnel_reads_only_registered_event_types() -> None:
    assert all(EVENT_TYPES[model.event_type] is model for model in FUNNEL_EVENTS)
