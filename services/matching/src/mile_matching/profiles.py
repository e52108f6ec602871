"""A run of consecutive profile events (registered, profile updated, matching consent) applied
set-wise: a few statements per run instead of several per event, with the outcome of applying
the events one at a time.

The run is planned in memory against the open vacancies its participants could take (those
with room, requiring no language none of them speaks: locked once, their open proposals counted
once) and the run's participants as stored. Each event in order upserts its candidate
(or drops it when no profile is shared any more), withdraws their waiting proposals the new
profile no longer fits, and proposes them for every open vacancy in id order that has room,
fits and never had them proposed, consuming that room as it goes. What was planned is then
written at once: candidates, proposals, withdrawals, and the events in the order made, each
continuing the trace of the event that caused it (its producer's; no consumer span is made per event).

Two steps need every candidate, not only the run's, so they run against the database and the
plan stops there: refilling the vacancies a withdrawal freed (after the event that withdrew),
and dropping a candidate who has proposals waiting (instead of its event). Planning resumes
after that event from the database as it then is.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg
from pydantic_core import to_json

from mile_matching import domain, handlers, proposals, repository, withdrawals
from mile_matching.settings import MatchingSettings
from mile_matching.views import vacancy_spec
from mile_platform.outbox import add_events
from mile_platform.subscriber import Delivery
from mile_schemas import (
    CandidateProfile,
    ConsentChanged,
    Event,
    MatchDecided,
    MatchProposed,
    ParticipantProfileUpdated,
    ParticipantRegistered,
    VacancyOpened,
)

ProfileEvent = ParticipantRegistered | ParticipantProfileUpdated | ConsentChanged


async def apply(
    conn: asyncpg.Connection,
    deliveries: Sequence[Delivery],
    settings: MatchingSettings,
    stored: dict[uuid.UUID, repository.RunParticipant] | None = None,
) -> None:
    """Apply the run's events in order, in the caller's transaction (which holds the proposal lock),
    starting from its participants as ``stored`` when the caller has just read them."""
    start = 0
    while start < len(deliveries):
        plan = await _Plan.load(conn, deliveries[start:], settings, stored)
        stored = None  # the next plan starts after this one's writes
        start += plan.run()
        await plan.write(conn)
        if plan.freed:  # the last event planned withdrew proposals: refill their vacancies
            with deliveries[start - 1].traced():
                for vacancy_id in plan.freed:
                    await proposals.propose_for_vacancy(conn, vacancy_id, settings)
        elif start < len(deliveries):  # the next event drops a candidate who has proposals waiting
            with deliveries[start].traced():
                participant_id = _profile_event(deliveries[start].event).participant_id
                await handlers.forget_participant(conn, participant_id, settings)
            start += 1


@dataclass
class _Vacancy:
    id: uuid.UUID
    spec: VacancyOpened
    positions: int
    filled: int
    open_proposals: int
    languages: frozenset[str] = frozenset()  # required: a candidate lacking one is ineligible

    def room(self, settings: MatchingSettings) -> int:
        return domain.proposal_room(
            positions=self.positions,
            filled=self.filled,
            open_proposals=self.open_proposals,
            per_position=settings.proposals_per_position,
        )


@dataclass
class _Participant:
    was_candidate: bool  # when the plan was loaded: whether their row is there to update, or new
    is_candidate: bool
    placed: bool
    erased: bool  # then their events apply nothing: one arriving after the erasure must not bring them back
    proposed_for: set[uuid.UUID] = field(default_factory=set)  # vacancies, whatever became of the proposal
    waiting: dict[uuid.UUID, withdrawals.Waiting] = field(default_factory=dict)  # by match id


@dataclass
class _Plan:
    deliveries: Sequence[Delivery]
    settings: MatchingSettings
    vacancies: dict[uuid.UUID, _Vacancy]  # the open ones the run could take, in id order
    participants: dict[uuid.UUID, _Participant]
    # city, profile, its languages (JSON text both), updated at
    candidates: dict[uuid.UUID, tuple[str, str, str, datetime]] = field(default_factory=dict)
    forgotten: set[uuid.UUID] = field(default_factory=set)
    events: list[MatchProposed | MatchDecided] = field(default_factory=list)  # in the order made
    causes: list[Delivery] = field(default_factory=list)  # of each event, the delivery whose trace it continues
    freed: list[uuid.UUID] = field(default_factory=list)  # by the last planned event's withdrawals

    @classmethod
    async def load(
        cls,
        conn: asyncpg.Connection,
        deliveries: Sequence[Delivery],
        settings: MatchingSettings,
        stored: dict[uuid.UUID, repository.RunParticipant] | None,
    ) -> "_Plan":
        events: list[ProfileEvent] = []
        spoken: set[str] = set()
        for delivery in deliveries:  # one pass: on a backlog's batch each costs more in memory reads than in work
            events.append(event := _profile_event(delivery.event))
            for entry in event.profile.languages if event.profile is not None else ():
                spoken.add(entry.language)
        vacancies = {
            row["id"]: _Vacancy(
                row["id"],
                spec := vacancy_spec(row),
                row["positions"],
                row["filled"],
                row["open_proposals"],
                frozenset(requirement.language for requirement in spec.languages),
            )
            for row in await repository.lock_open_vacancies(
                conn, spoken=sorted(spoken), per_position=settings.proposals_per_position
            )
        }
        if stored is None:
            stored = await repository.run_participants(conn, list({event.participant_id for event in events}))
        participants = {
            pid: _Participant(
                was_candidate=s.is_candidate, is_candidate=s.is_candidate, placed=s.placed, erased=s.erased
            )
            for pid, s in stored.items()
        }
        if proposed := [pid for pid, s in stored.items() if s.proposed]:  # on a backlog of registrations, none
            for row in await repository.matched_vacancies(conn, proposed):
                participants[row["participant_id"]].proposed_for.add(row["vacancy_id"])
            for row in await repository.lock_waiting_matches_of_participants(conn, proposed):
                participants[row["participant_id"]].waiting[row["id"]] = withdrawals.Waiting.of(row)
        return cls(deliveries, settings, vacancies, participants)

    def run(self) -> int:
        """Plan the events in order; returns how many were planned. The plan stops after an event
        whose withdrawals freed vacancies, or before dropping a candidate with proposals waiting."""
        now = datetime.now(UTC)
        for planned, delivery in enumerate(self.deliveries):
            event = _profile_event(delivery.event)
            participant = self.participants[event.participant_id]
            if participant.erased:
                continue
            if event.profile is None:
                if participant.waiting:
                    return planned
                self._forget(event.participant_id, participant)
                continue
            self.candidates[event.participant_id] = (
                event.city,
                _stored_json(event.profile),
                _languages(event.profile),
                event.occurred_at,
            )
            if participant.is_candidate:
                self._withdraw(participant, event.profile, delivery, now)
            participant.is_candidate = True
            self._propose(event, event.profile, participant, delivery, now)
            if self.freed:
                return planned + 1
        return len(self.deliveries)

    def _forget(self, participant_id: uuid.UUID, participant: _Participant) -> None:
        """Drop the candidate, who has nothing waiting, and unlink their placements (so not placed)."""
        self.candidates.pop(participant_id, None)
        self.forgotten.add(participant_id)
        participant.is_candidate = participant.placed = False

    def _withdraw(self, participant: _Participant, profile: CandidateProfile, cause: Delivery, now: datetime) -> None:
        """Withdraw, in match id order, the waiting proposals the new profile no longer fits."""
        for match_id in sorted(participant.waiting):
            waiting = participant.waiting[match_id]
            withdrawn = withdrawals.withdrawal(
                waiting, profile, placed=participant.placed, settings=self.settings, at=now
            )
            if withdrawn is None:
                continue
            del participant.waiting[match_id]
            if (vacancy := self.vacancies.get(waiting.vacancy_id)) is not None:
                vacancy.open_proposals -= 1
            if waiting.vacancy_id not in self.freed:
                self.freed.append(waiting.vacancy_id)
            self._emit(withdrawn, cause)
        self.freed.sort()

    def _propose(
        self,
        event: ProfileEvent,
        profile: CandidateProfile,
        participant: _Participant,
        cause: Delivery,
        now: datetime,
    ) -> None:
        """Propose the candidate for each open vacancy, in id order, that has room and fits."""
        settings = self.settings
        spoken = {entry.language for entry in profile.languages}
        for vacancy in self.vacancies.values():
            if not vacancy.languages <= spoken:  # ineligible: not worth assessing (refills skip them in SQL)
                continue
            room = vacancy.room(settings)
            if room == 0 or vacancy.id in participant.proposed_for:
                continue
            assessment = domain.assess(
                vacancy.spec, profile, weights=settings.weights, rules=settings.rules, placed=participant.placed
            )
            chosen = domain.choose_proposals(
                [(event.participant_id, assessment)], min_score=settings.min_score, room=room
            )
            for participant_id, fit in chosen:
                proposed = proposals.proposal(vacancy.id, participant_id, event.city, fit, now)
                participant.proposed_for.add(vacancy.id)
                participant.waiting[proposed.match_id] = withdrawals.Waiting(
                    proposed.match_id, vacancy.id, participant_id, event.city, vacancy.spec
                )
                vacancy.open_proposals += 1
                self._emit(proposed, cause)

    def _emit(self, event: MatchProposed | MatchDecided, cause: Delivery) -> None:
        self.events.append(event)
        self.causes.append(cause)

    async def write(self, conn: asyncpg.Connection) -> None:
        """Store what was planned: candidates, proposals, withdrawals, then the events in the order made."""
        if self.forgotten:
            await repository.forget_candidates(
                conn, dropped=list(self.forgotten - self.candidates.keys()), unlinked=list(self.forgotten)
            )
        stored = {pid: c for pid, c in self.candidates.items() if self.participants[pid].was_candidate}
        if new := [(pid, *c) for pid, c in self.candidates.items() if pid not in stored]:
            await repository.insert_candidates(conn, new)
        if stored:
            cities, profiles, languages, updated = zip(*stored.values(), strict=True)
            await repository.upsert_candidates(
                conn,
                participant_ids=list(stored),
                cities=list(cities),
                profiles=list(profiles),
                languages=list(languages),
                updated_at=list(updated),
            )
        proposed = {
            p.match_id for p in await proposals.store(conn, [e for e in self.events if isinstance(e, MatchProposed)])
        }
        await withdrawals.store(conn, [e for e in self.events if isinstance(e, MatchDecided)])
        kept = [
            (event, cause)
            for event, cause in zip(self.events, self.causes, strict=True)
            if not isinstance(event, MatchProposed) or event.match_id in proposed
        ]
        await add_events(conn, [event for event, _ in kept], traceparents=[cause.traceparent for _, cause in kept])


def _stored_json(profile: CandidateProfile) -> str:
    """The profile as the JSON text stored: by its serializer, without ``model_dump_json``'s Python
    wrapper, which cost each registration half a microsecond."""
    return CandidateProfile.__pydantic_serializer__.to_json(profile).decode()


def _languages(profile: CandidateProfile) -> str:
    """The languages the profile names, as the JSON array stored beside it (``candidates.languages``)."""
    return to_json([entry.language for entry in profile.languages]).decode()


def _profile_event(event: Event) -> ProfileEvent:
    if not isinstance(event, ParticipantRegistered | ParticipantProfileUpdated | ConsentChanged):
        raise TypeError(f"{type(event).__name__} is no profile event")
    return event
