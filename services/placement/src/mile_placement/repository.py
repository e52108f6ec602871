"""SQL for placement's tables; no decisions here."""

import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from mile_placement.domain import Placement, PlacementState, Terms, TutoringSession
from mile_placement.followups import FollowUp, FollowUpState, Outcome
from mile_schemas import ContractType, PlacementOutcome, VacancyKind


async def remember_vacancy(conn: asyncpg.Connection, vacancy_id: uuid.UUID, city: str, kind: VacancyKind) -> None:
    await conn.execute(
        "INSERT INTO vacancies (vacancy_id, city, kind) VALUES ($1, $2, $3) ON CONFLICT (vacancy_id) DO NOTHING",
        vacancy_id,
        city,
        kind.value,
    )


async def vacancy_kinds(conn: asyncpg.Connection, vacancy_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, VacancyKind]:
    """The kinds of those of these vacancies that are known."""
    rows = await conn.fetch(
        "SELECT vacancy_id, kind FROM vacancies WHERE vacancy_id = ANY($1::uuid[])", list(vacancy_ids)
    )
    return {row["vacancy_id"]: VacancyKind(row["kind"]) for row in rows}


async def fill_in_kind(conn: asyncpg.Connection, vacancy_id: uuid.UUID, kind: VacancyKind) -> None:
    """Give placements proposed before their vacancy was known the vacancy's kind."""
    await conn.execute(
        """UPDATE placements SET kind = $2, version = version + 1, updated_at = now()
           WHERE vacancy_id = $1 AND kind IS NULL""",
        vacancy_id,
        kind.value,
    )


async def insert_placements(conn: asyncpg.Connection, placements: Sequence[tuple[Placement, datetime]]) -> None:
    """Insert new placements (each with when it was proposed); one that exists for its match already stays as it is.

    One statement over arrays, so a backlog's batch of decisions costs one round trip and one plan.
    """
    await conn.execute(
        """INSERT INTO placements (placement_id, match_id, vacancy_id, participant_id, city, kind, proposed_at)
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[],
                                $7::timestamptz[])
           ON CONFLICT DO NOTHING""",
        [placement.placement_id for placement, _ in placements],
        [placement.match_id for placement, _ in placements],
        [placement.vacancy_id for placement, _ in placements],
        [placement.participant_id for placement, _ in placements],
        [placement.city for placement, _ in placements],
        [placement.kind.value if placement.kind else None for placement, _ in placements],
        [proposed_at for _, proposed_at in placements],
    )


async def lock_placement(conn: asyncpg.Connection, placement_id: uuid.UUID) -> Placement | None:
    row = await conn.fetchrow("SELECT * FROM placements WHERE placement_id = $1 FOR UPDATE", placement_id)
    return None if row is None else _placement(row)


async def lock_not_started_of(conn: asyncpg.Connection, participant_id: uuid.UUID, city: str) -> list[Placement]:
    rows = await conn.fetch(
        """SELECT * FROM placements WHERE participant_id = $1 AND city = $2 AND state IN ('proposed', 'confirmed')
           ORDER BY placement_id FOR UPDATE""",
        participant_id,
        city,
    )
    return [_placement(row) for row in rows]


async def lock_placement_ids_of(conn: asyncpg.Connection, participant_id: uuid.UUID, city: str) -> list[uuid.UUID]:
    """Every placement of the participant, whatever its state, locked until the transaction ends."""
    rows = await conn.fetch(
        "SELECT placement_id FROM placements WHERE participant_id = $1 AND city = $2 ORDER BY placement_id FOR UPDATE",
        participant_id,
        city,
    )
    return [row["placement_id"] for row in rows]


async def save_placement(conn: asyncpg.Connection, placement: Placement) -> asyncpg.Record:
    """Store a placement's new state; returns the whole row."""
    terms = placement.terms
    return await conn.fetchrow(
        """UPDATE placements
           SET state = $2, outcome = $3, reason = $4, started_at = $5, ended_at = $6, kind = $7,
               contract_type = $8, start_date = $9, weekly_hours = $10, tutor_ref = $11, confirmed_at = $12,
               version = version + 1, updated_at = now()
           WHERE placement_id = $1
           RETURNING *""",
        placement.placement_id,
        placement.state.value,
        placement.outcome.value if placement.outcome else None,
        placement.reason,
        placement.started_at,
        placement.ended_at,
        placement.kind.value if placement.kind else None,
        terms.contract_type.value if terms else None,
        terms.start_date if terms else None,
        terms.weekly_hours if terms else None,
        terms.tutor_ref if terms else None,
        terms.confirmed_at if terms else None,
    )


async def hold_off_erasures(conn: asyncpg.Connection) -> None:
    """Until the transaction ends, erasures wait, after those already under way: the erasures read next
    stay all there are until the placements proposed on them commit. Replicas apply decisions and
    erasures side by side (other topics), and each would otherwise miss the other's uncommitted rows."""
    await conn.execute("LOCK TABLE erased_participants IN SHARE MODE")


async def remember_erasure(conn: asyncpg.Connection, participant_id: uuid.UUID, erased_at: datetime) -> None:
    """Its insert waits for decisions holding off erasures (``hold_off_erasures``), so the placements
    read after it include theirs."""
    await conn.execute(
        "INSERT INTO erased_participants (participant_id, erased_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        participant_id,
        erased_at,
    )


async def erased_among(conn: asyncpg.Connection, participant_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
    """Those of these participants known to be erased."""
    rows = await conn.fetch(
        "SELECT participant_id FROM erased_participants WHERE participant_id = ANY($1::uuid[])", list(participant_ids)
    )
    return {row["participant_id"] for row in rows}


def _placement(row: Mapping[str, Any]) -> Placement:
    return Placement(
        placement_id=row["placement_id"],
        match_id=row["match_id"],
        vacancy_id=row["vacancy_id"],
        participant_id=row["participant_id"],
        city=row["city"],
        kind=None if row["kind"] is None else VacancyKind(row["kind"]),
        state=PlacementState(row["state"]),
        outcome=None if row["outcome"] is None else PlacementOutcome(row["outcome"]),
        reason=row["reason"],
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        terms=_terms(row),
    )


def _terms(row: Mapping[str, Any]) -> Terms | None:
    if row["confirmed_at"] is None:
        return None
    return Terms(
        kind=VacancyKind(row["kind"]),
        contract_type=ContractType(row["contract_type"]),
        start_date=row["start_date"],
        weekly_hours=float(row["weekly_hours"]),
        tutor_ref=row["tutor_ref"],
        confirmed_at=row["confirmed_at"],
    )


# --- tutoring and feedback ------------------------------------------------------------------


async def insert_tutoring_session(
    conn: asyncpg.Connection, placement_id: uuid.UUID, session: TutoringSession
) -> asyncpg.Record:
    return await conn.fetchrow(
        """INSERT INTO tutoring_sessions (session_id, placement_id, held_on, tutor_ref, topics, issues_raised,
                                          recorded_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *""",
        session.session_id,
        placement_id,
        session.held_on,
        session.tutor_ref,
        list(session.topics),
        list(session.issues_raised),
        session.recorded_at,
    )


async def insert_feedback(
    conn: asyncpg.Connection, placement_id: uuid.UUID, values: Mapping[str, Any]
) -> asyncpg.Record:
    return await conn.fetchrow(
        """INSERT INTO employer_feedback (feedback_id, placement_id, punctuality, teamwork, technical_skills,
                                          language, would_hire, note, given_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *""",
        uuid.uuid4(),
        placement_id,
        values["punctuality"],
        values["teamwork"],
        values["technical_skills"],
        values["language"],
        values["would_hire"],
        values["note"],
        values["given_at"],
    )


async def forget_feedback_notes(conn: asyncpg.Connection, participant_id: uuid.UUID, city: str) -> None:
    """Free text about an erased participant goes; the ratings stay, as numbers about no one."""
    await conn.execute(
        """UPDATE employer_feedback f SET note = NULL FROM placements p
           WHERE f.placement_id = p.placement_id AND p.participant_id = $1 AND p.city = $2""",
        participant_id,
        city,
    )


# --- follow-ups -----------------------------------------------------------------------------


async def insert_follow_ups(conn: asyncpg.Connection, follow_ups: list[FollowUp]) -> None:
    await conn.executemany(
        """INSERT INTO follow_ups (follow_up_id, placement_id, offset_months, due_at, window_closes_at)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING""",
        [(f.follow_up_id, f.placement.placement_id, f.offset_months, f.due_at, f.window_closes_at) for f in follow_ups],
    )


_FOLLOW_UP_COLUMNS = """f.follow_up_id, f.offset_months, f.due_at, f.window_closes_at, f.state AS follow_up_state,
                        p.*"""


async def lock_follow_up(conn: asyncpg.Connection, follow_up_id: uuid.UUID) -> FollowUp | None:
    row = await conn.fetchrow(
        f"""SELECT {_FOLLOW_UP_COLUMNS} FROM follow_ups f JOIN placements p USING (placement_id)
            WHERE f.follow_up_id = $1 FOR UPDATE OF f""",
        follow_up_id,
    )
    return None if row is None else _follow_up(row)


async def claim_falling_due(conn: asyncpg.Connection, now: datetime, limit: int) -> list[FollowUp]:
    """Scheduled follow-ups whose time has come, locked; rows another replica holds are skipped."""
    rows = await conn.fetch(
        f"""SELECT {_FOLLOW_UP_COLUMNS} FROM follow_ups f JOIN placements p USING (placement_id)
            WHERE f.state = 'scheduled' AND f.due_at <= $1
            ORDER BY f.due_at, f.follow_up_id LIMIT $2 FOR UPDATE OF f SKIP LOCKED""",
        now,
        limit,
    )
    return [_follow_up(row) for row in rows]


async def claim_missed(conn: asyncpg.Connection, now: datetime, limit: int) -> list[FollowUp]:
    """Due follow-ups whose window closed unrecorded, locked; rows another replica holds are skipped."""
    rows = await conn.fetch(
        f"""SELECT {_FOLLOW_UP_COLUMNS} FROM follow_ups f JOIN placements p USING (placement_id)
            WHERE f.state = 'due' AND f.window_closes_at <= $1
            ORDER BY f.window_closes_at, f.follow_up_id LIMIT $2 FOR UPDATE OF f SKIP LOCKED""",
        now,
        limit,
    )
    return [_follow_up(row) for row in rows]


async def mark_due(conn: asyncpg.Connection, follow_up_ids: list[uuid.UUID], now: datetime) -> None:
    await conn.execute(
        "UPDATE follow_ups SET state = 'due', fell_due_at = $2 WHERE follow_up_id = ANY($1::uuid[])",
        follow_up_ids,
        now,
    )


async def mark_missed(conn: asyncpg.Connection, follow_up_ids: list[uuid.UUID], now: datetime) -> None:
    await conn.execute(
        "UPDATE follow_ups SET state = 'missed', missed_at = $2 WHERE follow_up_id = ANY($1::uuid[])",
        follow_up_ids,
        now,
    )


async def save_record(
    conn: asyncpg.Connection, follow_up_id: uuid.UUID, outcome: Outcome, recorded_at: datetime
) -> None:
    await conn.execute(
        """UPDATE follow_ups SET state = 'recorded', employed = $2, same_employer = $3, contract_type = $4,
               hours_band = $5, in_education_or_training = $6, recorded_at = $7
           WHERE follow_up_id = $1""",
        follow_up_id,
        outcome.employed,
        outcome.same_employer,
        outcome.contract_type.value if outcome.contract_type else None,
        outcome.hours_band.value if outcome.hours_band else None,
        outcome.in_education_or_training,
        recorded_at,
    )


async def withdraw_follow_ups_of(conn: asyncpg.Connection, participant_id: uuid.UUID, city: str) -> None:
    """An erased participant is never followed up again."""
    await conn.execute(
        """UPDATE follow_ups f SET state = 'withdrawn' FROM placements p
           WHERE f.placement_id = p.placement_id AND p.participant_id = $1 AND p.city = $2
             AND f.state IN ('scheduled', 'due')""",
        participant_id,
        city,
    )


def _follow_up(row: Mapping[str, Any]) -> FollowUp:
    return FollowUp(
        follow_up_id=row["follow_up_id"],
        placement=_placement(row),
        offset_months=row["offset_months"],
        due_at=row["due_at"],
        window_closes_at=row["window_closes_at"],
        state=FollowUpState(row["follow_up_state"]),
    )
