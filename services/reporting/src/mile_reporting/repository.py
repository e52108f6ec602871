"""SQL writing the funnel projection: set-based statements per batch (never one per event), no decisions."""

from collections.abc import Collection, Sequence
from uuid import UUID

import asyncpg

from mile_reporting.domain import StageReached
from mile_reporting.facts import DropOut, LanguageLevel, StatisticsSnapshot
from mile_reporting.measures import FOLLOW_UP_STATES, FollowUpState, MeasureReceived, TrainingEnding

_NOT_ERASED = "NOT EXISTS (SELECT 1 FROM erased_participants e WHERE e.id_digest = sha256(uuid_send(r.participant_id)))"


async def record_stages(conn: asyncpg.Connection, rows: Sequence[StageReached]) -> None:
    """Upsert stages keeping the earliest time; rows of erased participants are ignored.

    ``rows`` must hold each (participant, stage) once: one INSERT cannot update a row twice.
    """
    await conn.execute(
        f"""INSERT INTO funnel_stages (participant_id, city, stage, reached_at)
            SELECT r.participant_id, r.city, r.stage, r.reached_at
            FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[])
                 AS r(participant_id, city, stage, reached_at)
            WHERE {_NOT_ERASED}
            ON CONFLICT (participant_id, stage)
            DO UPDATE SET reached_at = least(funnel_stages.reached_at, excluded.reached_at)""",
        [r.participant_id for r in rows],
        [r.city for r in rows],
        [r.stage.value for r in rows],
        [r.reached_at for r in rows],
    )


async def unlink_participants(conn: asyncpg.Connection, participant_ids: Collection[UUID]) -> None:
    """Give each erased participant's rows one fresh random id and remember the erasure.

    The stages keep counting (as one person, under the new id) but no longer carry the id
    other systems know; the digest lets later copies of their events be recognised.
    """
    ids = list(participant_ids)
    await conn.execute(
        """INSERT INTO erased_participants (id_digest)
            SELECT sha256(uuid_send(id)) FROM unnest($1::uuid[]) AS id
            ON CONFLICT DO NOTHING""",
        ids,
    )
    # MATERIALIZED: one new id per erased participant, shared by all of their rows in every table.
    await conn.execute(
        """WITH fresh AS MATERIALIZED (
               SELECT old_id, gen_random_uuid() AS new_id FROM (SELECT DISTINCT unnest($1::uuid[]) AS old_id) AS erased
           ),
           stages AS (
               UPDATE funnel_stages f SET participant_id = fresh.new_id FROM fresh WHERE f.participant_id = fresh.old_id
           ),
           statistics AS (
               UPDATE participant_statistics s SET participant_id = fresh.new_id
               FROM fresh WHERE s.participant_id = fresh.old_id
           ),
           levels AS (
               UPDATE language_levels l SET participant_id = fresh.new_id
               FROM fresh WHERE l.participant_id = fresh.old_id
           ),
           measures AS (
               UPDATE support_measures m SET participant_id = fresh.new_id
               FROM fresh WHERE m.participant_id = fresh.old_id
           ),
           trainings AS (
               UPDATE training_endings t SET participant_id = fresh.new_id
               FROM fresh WHERE t.participant_id = fresh.old_id
           ),
           follow_ups AS (
               UPDATE follow_ups u SET participant_id = fresh.new_id
               FROM fresh WHERE u.participant_id = fresh.old_id
           )
           UPDATE drop_outs d SET participant_id = fresh.new_id FROM fresh WHERE d.participant_id = fresh.old_id""",
        ids,
    )


async def record_statistics(conn: asyncpg.Connection, rows: Sequence[StatisticsSnapshot]) -> None:
    """Keep the newest snapshot per participant; ``rows`` holds each participant once."""
    stats = [row.attributes for row in rows]
    await conn.execute(
        f"""INSERT INTO participant_statistics (participant_id, city, sex, age_band, legal_status, recognition, as_of)
            SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $7::text[],
                                 $6::timestamptz[])
                 AS r(participant_id, city, sex, age_band, legal_status, recognition, as_of)
            WHERE {_NOT_ERASED}
            ON CONFLICT (participant_id) DO UPDATE SET
                sex = excluded.sex, age_band = excluded.age_band, legal_status = excluded.legal_status,
                recognition = excluded.recognition, as_of = excluded.as_of
            WHERE participant_statistics.as_of <= excluded.as_of""",
        [row.participant_id for row in rows],
        [row.city for row in rows],
        [s.sex if s else None for s in stats],
        [s.age_band if s else None for s in stats],
        [s.legal_status if s else None for s in stats],
        [row.as_of for row in rows],
        [s.recognition if s else None for s in stats],
    )


async def record_language_levels(conn: asyncpg.Connection, rows: Sequence[LanguageLevel]) -> None:
    await conn.execute(
        f"""INSERT INTO language_levels (participant_id, city, language, assessed_at, level_rank)
            SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::smallint[])
                 AS r(participant_id, city, language, assessed_at, level_rank)
            WHERE {_NOT_ERASED}
            ON CONFLICT DO NOTHING""",
        [row.participant_id for row in rows],
        [row.city for row in rows],
        [row.language for row in rows],
        [row.assessed_at for row in rows],
        [row.rank for row in rows],
    )


async def record_drop_outs(conn: asyncpg.Connection, rows: Sequence[DropOut]) -> None:
    await conn.execute(
        f"""INSERT INTO drop_outs (placement_id, participant_id, city, reason, ended_at)
            SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[])
                 AS r(placement_id, participant_id, city, reason, ended_at)
            WHERE {_NOT_ERASED}
            ON CONFLICT DO NOTHING""",
        [row.placement_id for row in rows],
        [row.participant_id for row in rows],
        [row.city for row in rows],
        [row.reason for row in rows],
        [row.ended_at for row in rows],
    )


async def record_measures(conn: asyncpg.Connection, rows: Sequence[MeasureReceived]) -> None:
    """Keep the first time per participant and measure; ``rows`` holds each pair once."""
    await conn.execute(
        f"""INSERT INTO support_measures (participant_id, city, measure, received_at)
            SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[])
                 AS r(participant_id, city, measure, received_at)
            WHERE {_NOT_ERASED}
            ON CONFLICT (participant_id, measure)
            DO UPDATE SET received_at = least(support_measures.received_at, excluded.received_at)""",
        [row.participant_id for row in rows],
        [row.city for row in rows],
        [row.measure for row in rows],
        [row.received_at for row in rows],
    )


async def record_training_endings(conn: asyncpg.Connection, rows: Sequence[TrainingEnding]) -> None:
    """An enrolment ends once: the first ending recorded stays."""
    await conn.execute(
        f"""INSERT INTO training_endings
                (enrolment_id, participant_id, city, course_type, outcome, hours_attended, drop_out_reason, ended_at)
            SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::integer[],
                                 $7::text[], $8::timestamptz[])
                 AS r(enrolment_id, participant_id, city, course_type, outcome, hours_attended, drop_out_reason,
                      ended_at)
            WHERE {_NOT_ERASED}
            ON CONFLICT DO NOTHING""",
        [row.enrolment_id for row in rows],
        [row.participant_id for row in rows],
        [row.city for row in rows],
        [row.course_type for row in rows],
        [row.outcome for row in rows],
        [row.hours_attended for row in rows],
        [row.drop_out_reason for row in rows],
        [row.ended_at for row in rows],
    )


async def record_follow_ups(conn: asyncpg.Connection, rows: Sequence[FollowUpState]) -> None:
    """A follow-up's state only moves forward (``FOLLOW_UP_STATES``); its due time, once known, stays."""
    await conn.execute(
        f"""INSERT INTO follow_ups (follow_up_id, participant_id, city, offset_months, state, due_at, settled_at)
            SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::smallint[], $5::text[],
                                 $6::timestamptz[], $7::timestamptz[])
                 AS r(follow_up_id, participant_id, city, offset_months, state, due_at, settled_at)
            WHERE {_NOT_ERASED}
            ON CONFLICT (follow_up_id) DO UPDATE SET
                due_at = coalesce(follow_ups.due_at, excluded.due_at),
                state = CASE WHEN array_position($8::text[], excluded.state)
                                  > array_position($8::text[], follow_ups.state)
                             THEN excluded.state ELSE follow_ups.state END,
                settled_at = CASE WHEN array_position($8::text[], excluded.state)
                                       > array_position($8::text[], follow_ups.state)
                                  THEN excluded.settled_at ELSE follow_ups.settled_at END""",
        [row.follow_up_id for row in rows],
        [row.participant_id for row in rows],
        [row.city for row in rows],
        [row.offset_months for row in rows],
        [row.state for row in rows],
        [row.due_at for row in rows],
        [row.settled_at for row in rows],
        list(FOLLOW_UP_STATES),
    )
