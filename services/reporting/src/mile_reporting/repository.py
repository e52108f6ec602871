"""SQL writing the funnel projection: set-based statements per batch (never one per event), no decisions."""

from collections.abc import Collection, Sequence
from uuid import UUID

import asyncpg

from mile_reporting.domain import StageReached


async def record_stages(conn: asyncpg.Connection, rows: Sequence[StageReached]) -> None:
    """Upsert stages keeping the earliest time; rows of erased participants are ignored.

    ``rows`` must hold each (participant, stage) once: one INSERT cannot update a row twice.
    """
    await conn.execute(
        """INSERT INTO funnel_stages (participant_id, city, stage, reached_at)
            SELECT r.participant_id, r.city, r.stage, r.reached_at
            FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[])
                 AS r(participant_id, city, stage, reached_at)
            WHERE NOT EXISTS (
                SELECT 1 FROM erased_participants e WHERE e.id_digest = sha256(uuid_send(r.participant_id)))
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
    # MATERIALIZED: one new id per erased participant, shared by all of their stages.
    await conn.execute(
        """WITH fresh AS MATERIALIZED (
               SELECT old_id, gen_random_uuid() AS new_id FROM (SELECT DISTINCT unnest($1::uuid[]) AS old_id) AS erased
           )
           UPDATE funnel_stages f SET participant_id = fresh.new_id
           FROM fresh WHERE f.participant_id = fresh.old_id""",
        ids,
    )
