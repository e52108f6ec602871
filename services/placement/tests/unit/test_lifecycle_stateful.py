"""Random command sequences against placement's rules: the invariants hold whatever the order.

A model of matching's capacity rule (a start takes a position, an early end of a started
placement gives it back, proposals only while room is left) reads the events the rules
announce, so a malformed event stream would show up as a negative capacity.
"""

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from mile_placement import domain, followups
from mile_placement.domain import Placement, PlacementState, TutoringSession
from mile_placement.followups import FollowUp, FollowUpState, Outcome
from mile_platform.errors import DomainError
from mile_schemas import (
    ContractType,
    Event,
    FollowUpDue,
    FollowUpMissed,
    FollowUpRecorded,
    HoursBand,
    MatchDecided,
    MatchDecision,
    PlacementEnded,
    PlacementOutcome,
    PlacementStarted,
    VacancyKind,
)

POSITIONS = 3
WINDOW = timedelta(days=30)
OFFSETS = (1, 3, 6, 12)
outcomes = st.sampled_from(list(PlacementOutcome))
reasons = st.sampled_from([None, "health_reasons"])


class PlacementLifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        self.vacancy_id = uuid.uuid4()
        self.placements: dict[uuid.UUID, Placement] = {}
        self.follow_ups: dict[uuid.UUID, FollowUp] = {}
        self.events: list[Event] = []
        self.filled = 0  # matching's count of positions taken on the vacancy
        self.started_ids: set[uuid.UUID] = set()
        self.released_ids: set[uuid.UUID] = set()

    # --- what matching and the outbox see ---------------------------------------------------

    def _announce(self, event: Event) -> None:
        self.events.append(event)
        if isinstance(event, PlacementStarted):
            assert event.placement_id not in self.started_ids, "started twice"
            self.started_ids.add(event.placement_id)
            self.filled += 1
        elif isinstance(event, PlacementEnded) and event.early and event.placement_id in self.started_ids:
            assert event.placement_id not in self.released_ids, "released twice"
            self.released_ids.add(event.placement_id)
            self.filled -= 1

    def _attempt(self, placement_id: uuid.UUID, change: object) -> None:
        """Apply a transition, or check that a refused one changed nothing."""
        before = self.placements[placement_id]
        try:
            placement, event = change()  # type: ignore[operator]
        except DomainError:
            assert self.placements[placement_id] == before
            return
        self.placements[placement_id] = placement
        self._announce(event)
        if isinstance(event, PlacementEnded):
            for follow_up in followups.plan(placement, OFFSETS, WINDOW):
                self.follow_ups[follow_up.follow_up_id] = follow_up

    def _in(self, state: PlacementState) -> list[uuid.UUID]:
        return [placement_id for placement_id, p in self.placements.items() if p.state is state]

    def _open(self) -> int:
        return sum(
            1 for p in self.placements.values() if p.state in (PlacementState.PROPOSED, PlacementState.CONFIRMED)
        )

    # --- commands ----------------------------------------------------------------------------

    @precondition(lambda self: POSITIONS - self.filled - self._open() > 0 and len(self.placements) < 12)
    @rule(kind=st.sampled_from([None, *VacancyKind]))
    def accept_a_match(self, kind: VacancyKind | None) -> None:
        decision = MatchDecided(
            match_id=uuid.uuid4(),
            vacancy_id=self.vacancy_id,
            participant_id=uuid.uuid4(),
            city="milan",
            decision=MatchDecision.ACCEPTED,
            decided_at=self.now,
        )
        placement = domain.propose(decision, kind, participant_erased=False)
        assert placement is not None
        self.placements[placement.placement_id] = placement

    @precondition(lambda self: self.placements)
    @rule(data=st.data(), kind=st.sampled_from([None, *VacancyKind]))
    def confirm(self, data: st.DataObject, kind: VacancyKind | None) -> None:
        placement_id = data.draw(st.sampled_from(list(self.placements)))
        self._attempt(
            placement_id,
            lambda: domain.confirm(
                self.placements[placement_id],
                kind=kind,
                contract_type=ContractType.TRAINEESHIP,
                start_date=self.now.date(),
                weekly_hours=25,
                tutor_ref=uuid.uuid4(),
                confirmed_at=self.now,
            ),
        )

    @precondition(lambda self: self.placements)
    @rule(data=st.data())
    def start(self, data: st.DataObject) -> None:
        placement_id = data.draw(st.sampled_from(list(self.placements)))
        self._attempt(placement_id, lambda: domain.start(self.placements[placement_id], self.now))

    # Progress rules pick a placement that can move on, so runs reach ends and follow-ups;
    # the rules above pick any placement, so refusals are exercised too.

    @precondition(lambda self: self._in(PlacementState.PROPOSED))
    @rule(data=st.data())
    def confirm_a_proposed_one(self, data: st.DataObject) -> None:
        placement_id = data.draw(st.sampled_from(self._in(PlacementState.PROPOSED)))
        self._attempt(
            placement_id,
            lambda: domain.confirm(
                self.placements[placement_id],
                kind=VacancyKind.JOB,
                contract_type=ContractType.FIXED_TERM,
                start_date=self.now.date(),
                weekly_hours=38,
                tutor_ref=None,
                confirmed_at=self.now,
            ),
        )
        assert self.placements[placement_id].state is PlacementState.CONFIRMED

    @precondition(lambda self: self._in(PlacementState.CONFIRMED))
    @rule(data=st.data())
    def start_a_confirmed_one(self, data: st.DataObject) -> None:
        placement_id = data.draw(st.sampled_from(self._in(PlacementState.CONFIRMED)))
        self._attempt(placement_id, lambda: domain.start(self.placements[placement_id], self.now))
        assert self.placements[placement_id].state is PlacementState.STARTED

    @precondition(lambda self: self._in(PlacementState.STARTED))
    @rule(data=st.data(), outcome=st.sampled_from([o for o in PlacementOutcome if o is not PlacementOutcome.CANCELLED]))
    def end_a_started_one(self, data: st.DataObject, outcome: PlacementOutcome) -> None:
        placement_id = data.draw(st.sampled_from(self._in(PlacementState.STARTED)))
        reason = "employer_closed" if domain.reason_required(outcome) else None
        self._attempt(placement_id, lambda: domain.end(self.placements[placement_id], outcome, reason, self.now))
        assert self.placements[placement_id].state is PlacementState.ENDED

    @precondition(lambda self: self.placements)
    @rule(data=st.data(), outcome=outcomes, reason=reasons)
    def end(self, data: st.DataObject, outcome: PlacementOutcome, reason: str | None) -> None:
        placement_id = data.draw(st.sampled_from(list(self.placements)))
        self._attempt(placement_id, lambda: domain.end(self.placements[placement_id], outcome, reason, self.now))

    @precondition(lambda self: self.placements)
    @rule(data=st.data())
    def erase_participant(self, data: st.DataObject) -> None:
        placement_id = data.draw(st.sampled_from(list(self.placements)))
        self._attempt(placement_id, lambda: domain.cancel_for_erasure(self.placements[placement_id], self.now))

    @precondition(lambda self: self.placements)
    @rule(data=st.data(), days_ago=st.integers(0, 3))
    def record_tutoring(self, data: st.DataObject, days_ago: int) -> None:
        placement = self.placements[data.draw(st.sampled_from(list(self.placements)))]
        session = TutoringSession(
            uuid.uuid4(), (self.now - timedelta(days=days_ago)).date(), uuid.uuid4(), (), (), self.now
        )
        try:
            self._announce(domain.record_tutoring(placement, session))
        except DomainError:
            return
        assert placement.state is PlacementState.STARTED

    @rule(days=st.integers(1, 120))
    def time_passes_and_the_scheduler_runs(self, days: int) -> None:
        self.now += timedelta(days=days)
        for follow_up_id, follow_up in list(self.follow_ups.items()):
            if follow_up.state is FollowUpState.SCHEDULED and follow_up.due_at <= self.now:
                follow_up, event = followups.fall_due(follow_up, self.now)
                self._announce(event)
            if follow_up.state is FollowUpState.DUE and follow_up.window_closes_at <= self.now:
                follow_up, missed = followups.miss(follow_up, self.now)
                self._announce(missed)
            self.follow_ups[follow_up_id] = follow_up

    @precondition(lambda self: self.follow_ups)
    @rule(data=st.data(), employed=st.booleans())
    def record_a_follow_up(self, data: st.DataObject, employed: bool) -> None:
        follow_up_id = data.draw(st.sampled_from(list(self.follow_ups)))
        outcome = (
            Outcome(True, False, ContractType.PERMANENT, HoursBand.FROM_16_TO_29, False)
            if employed
            else Outcome(False, None, None, None, True)
        )
        before = self.follow_ups[follow_up_id]
        try:
            recorded, event = followups.record(before, outcome, self.now)
        except DomainError:
            assert before.state is not FollowUpState.DUE
            return
        self.follow_ups[follow_up_id] = recorded
        self._announce(event)

    # --- invariants --------------------------------------------------------------------------

    @invariant()
    def no_placement_is_both_ended_and_active(self) -> None:
        for placement in self.placements.values():
            assert not (placement.active and placement.finished)
            assert (placement.ended_at is not None) == placement.finished
            assert (placement.started_at is not None) == (placement.placement_id in self.started_ids)
            if placement.state is PlacementState.STARTED:
                assert placement.terms is not None and placement.ended_at is None

    @invariant()
    def capacity_is_never_negative(self) -> None:
        assert 0 <= self.filled <= POSITIONS
        held = sum(
            1
            for p in self.placements.values()
            if p.placement_id in self.started_ids and p.placement_id not in self.released_ids
        )
        assert self.filled == held

    @invariant()
    def follow_ups_only_after_an_end(self) -> None:
        for follow_up in self.follow_ups.values():
            placement = self.placements[follow_up.placement.placement_id]
            assert placement.state is PlacementState.ENDED and placement.ended_at is not None
            assert follow_up.due_at > placement.ended_at
        ended = {e.placement_id: e.ended_at for e in self.events if isinstance(e, PlacementEnded)}
        for event in self.events:
            if isinstance(event, FollowUpDue | FollowUpRecorded | FollowUpMissed):
                assert event.placement_id in ended and event.occurred_at > ended[event.placement_id]

    @invariant()
    def each_follow_up_falls_due_at_most_once(self) -> None:
        due = [e.follow_up_id for e in self.events if isinstance(e, FollowUpDue)]
        assert len(due) == len(set(due))
        closed = [e.follow_up_id for e in self.events if isinstance(e, FollowUpRecorded | FollowUpMissed)]
        assert len(closed) == len(set(closed)) and set(closed) <= set(due)


PlacementLifecycle.TestCase.settings = settings(max_examples=150, stateful_step_count=60, deadline=None)
TestPlacementLifecycle = PlacementLifecycle.TestCase
