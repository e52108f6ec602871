"""SQL for intake's tables; no decisions here."""

import json
import uuid
from typing import Any

import asyncpg


async def insert_participant(
    conn: asyncpg.Connection,
    *,
    participant_id: uuid.UUID,
    city: str,
    wrapped_key: bytes,
    personal: bytes,
    statistics: dict[str, Any],
    profile: dict[str, Any],
    consents: list[str],
    notice_version: str,
) -> asyncpg.Record:
    await conn.execute(
        "INSERT INTO participant_keys (participant_id, wrapped_key) VALUES ($1, $2)", participant_id, wrapped_key
    )
    return await conn.fetchrow(
        """INSERT INTO participants (id, city, personal, statistics, profile, consents, notice_version)
           VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7)
           RETURNING *""",
        participant_id,
        city,
        personal,
        json.dumps(statistics),
        json.dumps(profile),
        consents,
        notice_version,
    )


async def get_participant(conn: asyncpg.Connection, city: str, participant_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT p.*, k.wrapped_key FROM participants p
           JOIN participant_keys k ON k.participant_id = p.id
           WHERE p.city = $1 AND p.id = $2""",
        city,
        participant_id,
    )
