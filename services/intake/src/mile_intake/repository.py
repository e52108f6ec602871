"""SQL for intake's tables; no decisions here."""

import json
import uuid
from datetime import datetime
from typing import Any

import asyncpg

APP_ROLE = "mile_intake_app"


async def act_for_city(conn: asyncpg.Connection, city: str) -> None:
    """Work as the non-owner role, confined by row-level security to ``city``, until the transaction ends."""
    await conn.execute(f"SET LOCAL ROLE {APP_ROLE}")
    await conn.execute("SELECT set_config('mile.city', $1, true)", city)


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
    identity_hash: bytes,
) -> asyncpg.Record:
    row = await conn.fetchrow(
        """INSERT INTO participants (id, city, personal, statistics, profile, consents, notice_version, identity_hash)
           VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7, $8)
           RETURNING *""",
        participant_id,
        city,
        personal,
        json.dumps(statistics),
        json.dumps(profile),
        consents,
        notice_version,
        identity_hash,
    )
    await conn.execute(
        "INSERT INTO participant_keys (participant_id, city, wrapped_key) VALUES ($1, $2, $3)",
        participant_id,
        city,
        wrapped_key,
    )
    return row


async def get_participant(
    conn: asyncpg.Connection, city: str, participant_id: uuid.UUID, *, for_update: bool = False
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"""SELECT p.*, k.wrapped_key FROM participants p
            JOIN participant_keys k ON k.participant_id = p.id
            WHERE p.city = $1 AND p.id = $2{" FOR UPDATE OF p" if for_update else ""}""",
        city,
        participant_id,
    )


async def update_participant(
    conn: asyncpg.Connection,
    *,
    city: str,
    participant_id: uuid.UUID,
    personal: bytes,
    statistics: dict[str, Any],
    profile: dict[str, Any],
    identity_hash: bytes,
) -> asyncpg.Record:
    return await conn.fetchrow(
        """UPDATE participants
           SET personal = $3, statistics = $4::jsonb, profile = $5::jsonb, identity_hash = $6,
               version = version + 1, updated_at = now()
           WHERE city = $1 AND id = $2
           RETURNING *""",
        city,
        participant_id,
        personal,
        json.dumps(statistics),
        json.dumps(profile),
        identity_hash,
    )


async def insert_audit(
    conn: asyncpg.Connection,
    *,
    city: str,
    actor: str,
    roles: list[str],
    action: str,
    participant_id: uuid.UUID | None,
    request_id: str,
) -> None:
    await conn.execute(
        """INSERT INTO intake_audit (city, actor, roles, action, participant_id, request_id)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        city,
        actor,
        roles,
        action,
        participant_id,
        request_id,
    )


async def audit_records(
    conn: asyncpg.Connection, *, participant_id: uuid.UUID | None, after: int, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT * FROM intake_audit
           WHERE ($1::uuid IS NULL OR participant_id = $1) AND id > $2
           ORDER BY id LIMIT $3""",
        participant_id,
        after,
        limit,
    )


async def find_by_identity(
    conn: asyncpg.Connection, city: str, identity_hash: bytes, *, other_than: uuid.UUID | None = None
) -> uuid.UUID | None:
    """The participant with this identity hash; concurrent registrations of one person queue here."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(encode($1, 'hex'), 0))", identity_hash)
    return await conn.fetchval(
        "SELECT id FROM participants WHERE city = $1 AND identity_hash = $2 AND id IS DISTINCT FROM $3",
        city,
        identity_hash,
        other_than,
    )


async def erase_participant(conn: asyncpg.Connection, city: str, participant_id: uuid.UUID) -> bool:
    """Delete the data key first (crypto-shredding), then the rows and stored responses naming the person."""
    keys = await conn.execute(
        "DELETE FROM participant_keys WHERE city = $1 AND participant_id = $2", city, participant_id
    )
    rows = await conn.execute("DELETE FROM participants WHERE city = $1 AND id = $2", city, participant_id)
    await conn.execute("DELETE FROM participant_consents WHERE city = $1 AND participant_id = $2", city, participant_id)
    await conn.execute("DELETE FROM mile_idempotency WHERE body->>'participant_id' = $1", str(participant_id))
    return keys != "DELETE 0" or rows != "DELETE 0"


async def list_participants(
    conn: asyncpg.Connection,
    *,
    city: str,
    status: str | None,
    legal_status: str | None,
    language: str | None,
    created_from: datetime | None,
    created_before: datetime | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    """One page in (created_at, id) order, starting after the cursor."""
    return await conn.fetch(
        """SELECT id, status, profile, version, created_at, updated_at FROM participants
           WHERE city = $1
             AND ($2::text IS NULL OR status = $2)
             AND ($3::text IS NULL OR profile->>'legal_status' = $3)
             AND ($4::text IS NULL OR profile->'languages' @> jsonb_build_array(jsonb_build_object('language', $4)))
             AND ($5::timestamptz IS NULL OR created_at >= $5)
             AND ($6::timestamptz IS NULL OR created_at < $6)
             AND ($7::timestamptz IS NULL OR (created_at, id) > ($7, $8::uuid))
           ORDER BY created_at, id
           LIMIT $9""",
        city,
        status,
        legal_status,
        language,
        created_from,
        created_before,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )


async def add_consent_record(
    conn: asyncpg.Connection,
    *,
    city: str,
    participant_id: uuid.UUID,
    purpose: str,
    status: str,
    notice_version: str,
    recorded_by: str,
) -> None:
    await conn.execute(
        """INSERT INTO participant_consents (participant_id, city, purpose, status, notice_version, recorded_by)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        participant_id,
        city,
        purpose,
        status,
        notice_version,
        recorded_by,
    )


async def set_consents(
    conn: asyncpg.Connection, *, city: str, participant_id: uuid.UUID, consents: list[str], notice_version: str
) -> asyncpg.Record:
    return await conn.fetchrow(
        """UPDATE participants SET consents = $3, notice_version = $4, version = version + 1, updated_at = now()
           WHERE city = $1 AND id = $2 RETURNING *""",
        city,
        participant_id,
        consents,
        notice_version,
    )


async def consent_history(conn: asyncpg.Connection, participant_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM participant_consents WHERE participant_id = $1 ORDER BY id", participant_id)
