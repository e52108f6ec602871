"""Placement's command and event handlers: each runs in the caller's transaction and
writes the events it causes to the outbox, never to the broker.

``now`` comes from the service's clock (``mile_platform.clock``), never from the system
directly, so tests can move time.
"""

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

import asyncpg

from mile_placement import domain, followups, repository
from mile_placement.commands import (
    ConfirmPlacement,
    EndPlacement,
    GiveFeedback,
    RecordFollowUp,
    RecordTutoringSession,
    StartPlacement,
)
from mile_placement.domain import Placement, TutoringSession
from mile_placement.settings import PlacementSettings
from mile_placement.views import (
    FeedbackView,
    FollowUpView,
    PlacementView,
    TutoringSessionView,
    find_follow_up,
    placement_view,
)
from mile_platform import idempotency
from mile_platform.errors import NotFound
from mile_platform.outbox import add_events
from mile_schemas import MatchDecided, ParticipantErased, VacancyOpened


async def remember_vacancy(conn: asyncpg.Connection, event: VacancyOpened) -> None:
    """Keep the vacancy's kind; placements that arrived before it get it now."""
    await repository.remember_vacancy(conn, event.vacancy_id, event.city, event.kind)
    await repository.fill_in_kind(conn, event.vacancy_id, event.kind)


async def record_decisions(conn: asyncpg.Connection, events: Sequence[MatchDecided]) -> None:
    """Propose the placements of a run of decisions, with one query per table rather than per decision.

    Sound because a decision changes neither the vacancies nor the erasures the others read.
    """
    kinds = await repository.vacancy_kinds(conn, {event.vacancy_id for event in events})
    await repository.hold_off_erasures(conn)
    erased = await repository.erased_among(conn, {event.participant_id for event in events})
    proposed = [
        (placement, event.decided_at)
        for event in events
        if (
            placement := domain.propose(
                event, kinds.get(event.vacancy_id), participant_erased=event.participant_id in erased
            )
        )
        is not None
    ]
    if proposed:
        await repository.insert_placements(conn, proposed)


async def forget_participant(conn: asyncpg.Connection, event: ParticipantErased) -> None:
    """Cancel the erased participant's placements that have not started, stop their follow-ups
    and drop employers' notes about them, and blank the stored responses to writes about them or
    their placements (feedback's response holds its note).

    Started and ended placements stay: they hold nothing personal and are facts funders audit.
    Remembered first: that waits for decisions being applied beside it, so their placements are cancelled too.
    """
    await repository.remember_erasure(conn, event.participant_id, event.erased_at)
    # Every placement of theirs, locked: feedback being given on one is applied before this goes on.
    placements = await repository.lock_placement_ids_of(conn, event.participant_id, event.city)
    cancelled = [
        domain.cancel_for_erasure(placement, event.erased_at)
        for placement in await repository.lock_not_started_of(conn, event.participant_id, event.city)
    ]
    for placement, _ in cancelled:
        await repository.save_placement(conn, placement)
    await repository.withdraw_follow_ups_of(conn, event.participant_id, event.city)
    await repository.forget_feedback_notes(conn, event.participant_id, event.city)
    await idempotency.forget_responses_naming(conn, [event.participant_id, *placements])
    await add_events(conn, [event for _, event in cancelled])


async def confirm_placement(
    conn: asyncpg.Connection, placement_id: uuid.UUID, command: ConfirmPlacement, now: datetime
) -> PlacementView:
    confirmed, event = domain.confirm(
        await _locked(conn, placement_id),
        kind=command.kind,
        contract_type=command.contract_type,
        start_date=command.start_date,
        weekly_hours=command.weekly_hours,
        tutor_ref=command.tutor_ref,
        confirmed_at=now,
    )
    row = await repository.save_placement(conn, confirmed)
    await add_events(conn, [event])
    return placement_view(row)


async def start_placement(
    conn: asyncpg.Connection, placement_id: uuid.UUID, command: StartPlacement, now: datetime
) -> PlacementView:
    started, event = domain.start(await _locked(conn, placement_id), command.started_at or now)
    row = await repository.save_placement(conn, started)
    await add_events(conn, [event])
    return placement_view(row)


async def end_placement(
    conn: asyncpg.Connection,
    placement_id: uuid.UUID,
    command: EndPlacement,
    now: datetime,
    settings: PlacementSettings,
) -> PlacementView:
    """End (or cancel) a placement; an ended one gets its follow-ups planned in the same transaction."""
    placement = await _locked(conn, placement_id)
    ended, event = domain.end(placement, command.outcome, command.reason, command.ended_at or now)
    row = await repository.save_placement(conn, ended)
    await repository.insert_follow_ups(
        conn,
        followups.plan(ended, settings.follow_up_offsets_months, timedelta(days=settings.follow_up_window_days)),
    )
    await add_events(conn, [event])
    return placement_view(row)


async def record_tutoring(
    conn: asyncpg.Connection, placement_id: uuid.UUID, command: RecordTutoringSession, now: datetime
) -> TutoringSessionView:
    session = TutoringSession(
        session_id=uuid.uuid4(),
        held_on=command.held_on,
        tutor_ref=command.tutor_ref,
        topics=command.topics,
        issues_raised=command.issues_raised,
        recorded_at=now,
    )
    event = domain.record_tutoring(await _locked(conn, placement_id), session)
    row = await repository.insert_tutoring_session(conn, placement_id, session)
    await add_events(conn, [event])
    return TutoringSessionView.model_validate(dict(row))


async def give_feedback(
    conn: asyncpg.Connection, placement_id: uuid.UUID, command: GiveFeedback, now: datetime
) -> FeedbackView:
    """Stored only: the ratings and the note are the employer's view, not a shared fact. A note about
    someone erased is dropped: the erasure locks their placements, so it is either applied already
    (and seen here) or waits for this and then drops the note with the others."""
    placement = await _locked(conn, placement_id)
    domain.check_feedback(placement)
    feedback = {**command.model_dump(), "given_at": now}
    if await repository.erased_among(conn, [placement.participant_id]):
        feedback["note"] = None
    row = await repository.insert_feedback(conn, placement_id, feedback)
    return FeedbackView.model_validate(dict(row))


async def record_follow_up(
    conn: asyncpg.Connection, follow_up_id: uuid.UUID, command: RecordFollowUp, now: datetime
) -> FollowUpView:
    follow_up = await repository.lock_follow_up(conn, follow_up_id)
    if follow_up is None:
        raise NotFound(f"follow-up {follow_up_id} not found")
    outcome = followups.Outcome(**command.model_dump())
    _, event = followups.record(follow_up, outcome, now)
    await repository.save_record(conn, follow_up_id, outcome, now)
    await add_events(conn, [event])
    view = await find_follow_up(conn, follow_up_id)
    if view is None:
        raise NotFound(f"follow-up {follow_up_id} not found")
    return view


async def _locked(conn: asyncpg.Connection, placement_id: uuid.UUID) -> Placement:
    placement = await repository.lock_placement(conn, placement_id)
    if placement is None:
        raise NotFound(f"placement {placement_id} not found")
    return placement
