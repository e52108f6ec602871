"""Placement's command and event handlers: each runs in the caller's transaction and
writes the events it causes to the outbox, never to the broker."""

import uuid
from datetime import UTC, datetime

import asyncpg

from mile_placement import domain, repository
from mile_placement.commands import EndPlacement, StartPlacement
from mile_placement.domain import Placement
from mile_placement.views import PlacementView, placement_view
from mile_platform.errors import NotFound
from mile_platform.outbox import add_events
from mile_schemas import MatchDecided, ParticipantErased, VacancyOpened


async def remember_vacancy(conn: asyncpg.Connection, event: VacancyOpened) -> None:
    """Keep the vacancy's kind; placements that arrived before it get it now."""
    await repository.remember_vacancy(conn, event.vacancy_id, event.city, event.kind)
    await repository.fill_in_kind(conn, event.vacancy_id, event.kind)


async def record_decision(conn: asyncpg.Connection, event: MatchDecided) -> None:
    placement = domain.propose(
        event,
        await repository.vacancy_kind(conn, event.vacancy_id),
        participant_erased=await repository.is_erased(conn, event.participant_id),
    )
    if placement is not None:
        await repository.insert_placement(conn, placement, proposed_at=event.decided_at)


async def forget_participant(conn: asyncpg.Connection, event: ParticipantErased) -> None:
    """Cancel the erased participant's proposed placements.

    Started and ended ones stay: they hold nothing personal and are facts funders audit.
    """
    await repository.remember_erasure(conn, event.participant_id, event.erased_at)
    cancelled = [
        domain.cancel_for_erasure(placement, event.erased_at)
        for placement in await repository.lock_proposed_of(conn, event.participant_id, event.city)
    ]
    for placement, _ in cancelled:
        await repository.save_placement(conn, placement)
    await add_events(conn, [event for _, event in cancelled])


async def start_placement(conn: asyncpg.Connection, placement_id: uuid.UUID, command: StartPlacement) -> PlacementView:
    started, event = domain.start(await _locked(conn, placement_id), command.started_at or datetime.now(UTC))
    row = await repository.save_placement(conn, started)
    await add_events(conn, [event])
    return placement_view(row)


async def end_placement(conn: asyncpg.Connection, placement_id: uuid.UUID, command: EndPlacement) -> PlacementView:
    ended, event = domain.end(
        await _locked(conn, placement_id), command.outcome, command.reason, command.ended_at or datetime.now(UTC)
    )
    row = await repository.save_placement(conn, ended)
    await add_events(conn, [event])
    return placement_view(row)


async def _locked(conn: asyncpg.Connection, placement_id: uuid.UUID) -> Placement:
    placement = await repository.lock_placement(conn, placement_id)
    if placement is None:
        raise NotFound(f"placement {placement_id} not found")
    return placement
