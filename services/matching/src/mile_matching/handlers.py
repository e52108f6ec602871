"""Matching's command and event handlers: each runs in the caller's transaction and writes
its events to the outbox, never publishing directly.

Commands take the proposal lock themselves; the event handlers (``forget_participant`` to
``placement_ended``, and ``mile_matching.profiles`` for runs of profile events) rely on the
consumer having taken it once for its whole batch."""

import uuid
from datetime import UTC, datetime

import asyncpg
from pydantic import ValidationError

from mile_matching import proposals, repository, withdrawals
from mile_matching.commands import CloseVacancy, DecideMatch, OpenVacancy, RegisterEmployer, UpdateVacancy
from mile_matching.settings import MatchingSettings
from mile_matching.views import (
    EmployerView,
    MatchView,
    VacancyView,
    employer_view,
    match_view,
    vacancy_spec,
    vacancy_view,
)
from mile_platform.errors import Conflict, DomainError, NotFound
from mile_platform.outbox import add_events
from mile_schemas import (
    EmployerRegistered,
    MatchDecided,
    MatchDecision,
    ParticipantErased,
    PlacementEnded,
    PlacementStarted,
    VacancyClosed,
    VacancyOpened,
    VacancyUpdated,
)


async def open_vacancy(conn: asyncpg.Connection, command: OpenVacancy, settings: MatchingSettings) -> VacancyView:
    """Open the vacancy for a registered employer of its city and propose its best candidates at once."""
    await repository.lock_proposing(conn)
    employer = await repository.get_employer(conn, command.employer_id)
    if employer is None or employer["city"] != command.city:
        raise DomainError(
            f"Invalid fields: employer_id ({command.employer_id} is no registered employer of {command.city})"
        )
    event = VacancyOpened(vacancy_id=uuid.uuid4(), opened_at=datetime.now(UTC), **command.model_dump())
    await repository.insert_vacancy(
        conn,
        vacancy_id=event.vacancy_id,
        employer_id=event.employer_id,
        city=event.city,
        spec=event.model_dump(mode="json"),
        positions=event.positions,
        opened_at=event.opened_at,
    )
    await add_events(conn, [event])
    await proposals.propose_for_vacancy(conn, event.vacancy_id, settings)
    return vacancy_view(await _existing_vacancy(conn, event.vacancy_id))


async def update_vacancy(
    conn: asyncpg.Connection, vacancy_id: uuid.UUID, command: UpdateVacancy, settings: MatchingSettings, *, city: str
) -> VacancyView:
    """Change an open vacancy of the liaison's city. Waiting proposals the new requirements exclude
    are withdrawn; more room or new requirements may propose more."""
    await repository.lock_proposing(conn)
    vacancy = await repository.lock_vacancy(conn, vacancy_id)
    if vacancy is None or vacancy["city"] != city:
        raise NotFound(f"vacancy {vacancy_id} not found")
    if vacancy["status"] == "closed":
        raise Conflict(f"vacancy {vacancy_id} is closed")
    updated_at = datetime.now(UTC)
    try:
        spec = VacancyOpened.model_validate(vacancy_spec(vacancy).model_dump(mode="json") | command.changes())
    except ValidationError as exc:
        raise DomainError(f"the vacancy would be invalid: {exc.errors()[0]['msg']}") from exc
    if spec.positions < vacancy["filled"]:
        raise Conflict(f"positions {spec.positions} is below the {vacancy['filled']} already filled")
    row = await repository.update_vacancy(
        conn, vacancy_id, spec=spec.model_dump(mode="json"), positions=spec.positions, updated_at=updated_at
    )
    await add_events(
        conn,
        [
            VacancyUpdated.model_validate(
                spec.model_dump(exclude={"employer_id", "opened_at"}) | {"updated_at": updated_at}
            )
        ],
    )
    await withdrawals.of_vacancy(conn, vacancy_id, settings)
    await proposals.propose_for_vacancy(conn, vacancy_id, settings)
    return vacancy_view(row)


async def register_employer(conn: asyncpg.Connection, command: RegisterEmployer, *, city: str) -> EmployerView:
    """Register an employer of the liaison's city; only its public facts travel as an event."""
    event = EmployerRegistered(
        employer_id=uuid.uuid4(),
        city=city,
        organisation=command.name,
        nace=command.nace,
        municipality=command.municipality,
        registered_at=datetime.now(UTC),
    )
    row = await repository.insert_employer(
        conn,
        employer_id=event.employer_id,
        city=city,
        organisation=event.organisation,
        nace=event.nace,
        municipality=event.municipality,
        contact=command.contact.model_dump(mode="json"),
        registered_at=event.registered_at,
    )
    await add_events(conn, [event])
    return employer_view(row)


async def close_vacancy(
    conn: asyncpg.Connection, vacancy_id: uuid.UUID, command: CloseVacancy, *, city: str
) -> VacancyView:
    vacancy = await repository.lock_vacancy(conn, vacancy_id)
    if vacancy is None or vacancy["city"] != city:
        raise NotFound(f"vacancy {vacancy_id} not found")
    if vacancy["status"] == "closed":
        raise Conflict(f"vacancy {vacancy_id} is already closed")
    closed_at = datetime.now(UTC)
    row = await repository.close_vacancy(conn, vacancy_id, reason=command.reason, closed_at=closed_at)
    await add_events(
        conn, [VacancyClosed(vacancy_id=vacancy_id, city=row["city"], closed_at=closed_at, reason=command.reason)]
    )
    return vacancy_view(row)


async def decide_match(
    conn: asyncpg.Connection, match_id: uuid.UUID, command: DecideMatch, settings: MatchingSettings, *, city: str
) -> MatchView:
    """Record the decision of a caseworker of the participant's city; a rejection frees room for the next candidate.

    Only a rejection proposes (the refill), so only it takes the proposal lock; an acceptance
    locks just its match row, and neither waits for a consumer batch nor holds one up.
    """
    if command.decision is MatchDecision.REJECTED:
        await repository.lock_proposing(conn)
    match = await repository.lock_match(conn, match_id)
    if match is None or match["city"] != city:
        raise NotFound(f"match {match_id} not found")
    if match["status"] != "proposed":
        raise Conflict(f"match {match_id} was already {match['status']}")
    decided_at = datetime.now(UTC)
    row = await repository.decide_match(
        conn, match_id, status=command.decision.value, reason=command.reason, decided_at=decided_at
    )
    await add_events(
        conn,
        [
            MatchDecided(
                match_id=match_id,
                vacancy_id=row["vacancy_id"],
                participant_id=row["participant_id"],
                city=row["city"],
                decision=command.decision,
                reason=command.reason,
                decided_at=decided_at,
            )
        ],
    )
    if command.decision is MatchDecision.REJECTED:
        await proposals.propose_for_vacancy(conn, row["vacancy_id"], settings)
    return match_view(row, site=city)


async def forget_participant(conn: asyncpg.Connection, participant_id: uuid.UUID, settings: MatchingSettings) -> None:
    """Fail-closed: drop the candidate and its undecided proposals, then refill those vacancies."""
    for vacancy_id in await repository.delete_candidate(conn, participant_id):
        await proposals.propose_for_vacancy(conn, vacancy_id, settings)


async def erase_participant(conn: asyncpg.Connection, event: ParticipantErased, settings: MatchingSettings) -> None:
    """Forget the participant and their decided proposals too, and remember the erasure so that a
    placement of theirs started before it, arriving after, is not linked to them.

    The waiting proposals go first: an acceptance committed meanwhile turns one into a decided
    proposal, which the second delete, reading afresh, then drops."""
    await forget_participant(conn, event.participant_id, settings)
    await repository.delete_decided_matches(conn, event.participant_id)
    await repository.remember_erasure(conn, event.participant_id, event.erased_at)


async def placement_started(conn: asyncpg.Connection, event: PlacementStarted, settings: MatchingSettings) -> None:
    """The placement takes a position, and its participant counts as placed until it ends: their
    proposals waiting elsewhere are withdrawn and those vacancies refilled."""
    if await repository.mark_placement_started(conn, event.placement_id, event.vacancy_id, event.participant_id):
        await repository.take_position(conn, event.vacancy_id)
        for vacancy_id in await withdrawals.of_participant(conn, event.participant_id, settings):
            await proposals.propose_for_vacancy(conn, vacancy_id, settings)


async def placement_ended(conn: asyncpg.Connection, event: PlacementEnded, settings: MatchingSettings) -> None:
    """An early end returns the position, and the vacancy may take proposals again."""
    first_end = await repository.mark_placement_ended(conn, event.placement_id, event.vacancy_id, event.ended_at)
    if first_end and event.early:
        await repository.release_position(conn, event.vacancy_id)
        await proposals.propose_for_vacancy(conn, event.vacancy_id, settings)


async def _existing_vacancy(conn: asyncpg.Connection, vacancy_id: uuid.UUID) -> asyncpg.Record:
    row = await repository.get_vacancy(conn, vacancy_id)
    if row is None:
        raise NotFound(f"vacancy {vacancy_id} not found")
    return row
