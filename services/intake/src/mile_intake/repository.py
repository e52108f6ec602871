"""SQL for intake's tables; no decisions here."""

import json
import uuid
from datetime import date, datetime
from typing import Any

import asyncpg

from mile_platform import idempotency

APP_ROLE = "mile_intake_app"


_IDENTITY_LOCK = "pg_advisory_xact_lock(hashtextextended(encode({}, 'hex'), 0))"
"""Taken before looking for an identity hash, so that concurrent registrations of one person queue."""


async def act_for_city(conn: asyncpg.Connection, city: str, *, queue_on_identity: bytes | None = None) -> None:
    """Work as the non-owner role, confined by row-level security to ``city``, until the transaction ends.

    With ``queue_on_identity`` it first waits for any other transaction registering or renaming a
    person to that identity hash (``find_by_identity``'s lock), in the same round trip.
    """
    # ``role`` set locally is SET LOCAL ROLE (membership checked alike); one statement, one round trip.
    if queue_on_identity is None:
        await conn.execute("SELECT set_config('role', $1, true), set_config('mile.city', $2, true)", APP_ROLE, city)
    else:
        await conn.execute(
            f"SELECT set_config('role', $1, true), set_config('mile.city', $2, true), {_IDENTITY_LOCK.format('$3')}",
            APP_ROLE,
            city,
            queue_on_identity,
        )


async def insert_participant(
    conn: asyncpg.Connection,
    *,
    participant_id: uuid.UUID,
    city: str,
    wrapped_key: bytes,
    personal: bytes,
    casework: bytes,
    statistics: dict[str, Any],
    profile: dict[str, Any],
    consents: list[str],
    notice_version: str,
    identity_hash: bytes,
    recorded_by: str,
    created_at: datetime,
) -> asyncpg.Record:
    """The participant, their sealed key and the consents given at registration (no expiries yet),
    unless someone with this identity hash is registered already: then nothing is written and
    ``existing_id`` names them.

    One statement, one round trip. The caller holds the identity's lock (``act_for_city``), so a
    registration of the same person committed while it waited is seen here. The key and consents
    are written in the same statement (their foreign keys are checked at the statement's end).
    """
    return await conn.fetchrow(
        """WITH existing AS (
               SELECT id FROM participants WHERE city = $2 AND identity_hash = $9
           ), person AS (
               INSERT INTO participants
                   (id, city, personal, casework, statistics, profile, consents, notice_version, identity_hash,
                    created_at, updated_at)
               SELECT $1, $2, $3, $4, $5::jsonb, $6::jsonb, $7::text[], $8, $9, $10, $10
               WHERE NOT EXISTS (SELECT FROM existing)
               RETURNING id, city, status, version, created_at
           ), sealed AS (
               INSERT INTO participant_keys (participant_id, city, wrapped_key) SELECT id, city, $11 FROM person
           ), consented AS (
               INSERT INTO participant_consents
                   (participant_id, city, purpose, status, notice_version, recorded_by, expires_on, recorded_at)
               SELECT person.id, person.city, given.purpose, 'given', $8, $12, NULL, $10
               FROM person, unnest($7::text[]) WITH ORDINALITY AS given(purpose, n)
               ORDER BY given.n
           )
           SELECT (SELECT id FROM existing) AS existing_id, person.status, person.version, person.created_at
           FROM (VALUES (1)) AS one LEFT JOIN person ON true""",
        participant_id,
        city,
        personal,
        casework,
        json.dumps(statistics),
        json.dumps(profile),
        consents,
        notice_version,
        identity_hash,
        created_at,
        wrapped_key,
        recorded_by,
    )


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
    casework: bytes,
    statistics: dict[str, Any],
    profile: dict[str, Any],
    identity_hash: bytes,
    updated_at: datetime,
) -> asyncpg.Record:
    return await conn.fetchrow(
        """UPDATE participants
           SET personal = $3, casework = $4, statistics = $5::jsonb, profile = $6::jsonb, identity_hash = $7,
               version = version + 1, updated_at = $8
           WHERE city = $1 AND id = $2
           RETURNING *""",
        city,
        participant_id,
        personal,
        casework,
        json.dumps(statistics),
        json.dumps(profile),
        identity_hash,
        updated_at,
    )


async def update_profile(
    conn: asyncpg.Connection,
    *,
    city: str,
    participant_id: uuid.UUID,
    statistics: dict[str, Any],
    profile: dict[str, Any],
    updated_at: datetime,
) -> asyncpg.Record:
    return await conn.fetchrow(
        """UPDATE participants
           SET statistics = $3::jsonb, profile = $4::jsonb, version = version + 1, updated_at = $5
           WHERE city = $1 AND id = $2
           RETURNING *""",
        city,
        participant_id,
        json.dumps(statistics),
        json.dumps(profile),
        updated_at,
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
    """Another participant with this identity hash (for a rename); queues behind any registration
    or rename to the same hash (the lock ``act_for_city`` takes for registrations)."""
    await conn.execute(f"SELECT {_IDENTITY_LOCK.format('$1')}", identity_hash)
    return await conn.fetchval(
        "SELECT id FROM participants WHERE city = $1 AND identity_hash = $2 AND id IS DISTINCT FROM $3",
        city,
        identity_hash,
        other_than,
    )


async def erase_participant(conn: asyncpg.Connection, city: str, participant_id: uuid.UUID) -> bool:
    """Delete the data key first (crypto-shredding), then the person's row, which takes consents,
    pending expiries, assessments, enrolments and sessions with it (ON DELETE CASCADE, migration
    0006), and the stored responses naming the person."""
    keys = await conn.execute(
        "DELETE FROM participant_keys WHERE city = $1 AND participant_id = $2", city, participant_id
    )
    rows = await conn.execute("DELETE FROM participants WHERE city = $1 AND id = $2", city, participant_id)
    await idempotency.forget_responses_naming(conn, [participant_id])
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
    recorded_at: datetime,
    expires_on: date | None = None,
) -> None:
    await conn.execute(
        """INSERT INTO participant_consents
               (participant_id, city, purpose, status, notice_version, recorded_by, expires_on, recorded_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        participant_id,
        city,
        purpose,
        status,
        notice_version,
        recorded_by,
        expires_on,
        recorded_at,
    )
    await conn.execute(
        "DELETE FROM consent_expiries WHERE city = $1 AND participant_id = $2 AND purpose = $3",
        city,
        participant_id,
        purpose,
    )
    if expires_on is not None:
        await conn.execute(
            "INSERT INTO consent_expiries (participant_id, city, purpose, expires_on) VALUES ($1, $2, $3, $4)",
            participant_id,
            city,
            purpose,
            expires_on,
        )


async def set_consents(
    conn: asyncpg.Connection,
    *,
    city: str,
    participant_id: uuid.UUID,
    consents: list[str],
    notice_version: str,
    updated_at: datetime,
) -> asyncpg.Record:
    return await conn.fetchrow(
        """UPDATE participants SET consents = $3, notice_version = $4, version = version + 1, updated_at = $5
           WHERE city = $1 AND id = $2 RETURNING *""",
        city,
        participant_id,
        consents,
        notice_version,
        updated_at,
    )


async def consent_history(conn: asyncpg.Connection, participant_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM participant_consents WHERE participant_id = $1 ORDER BY id", participant_id)


async def claim_expired_consents(
    conn: asyncpg.Connection, *, city: str, today: date, limit: int, passed_over: list[str]
) -> list[asyncpg.Record]:
    """Consents whose expiry day has come, with their participant locked; rows another replica
    holds (or a request changing the same participant) are skipped, not waited for, and so are
    those ``passed_over`` (``participant_id:purpose``) because they failed earlier in this tick."""
    return await conn.fetch(
        """SELECT e.participant_id, e.purpose
           FROM consent_expiries e JOIN participants p ON p.id = e.participant_id
           WHERE e.city = $1 AND p.city = $1 AND e.expires_on <= $2
             AND e.participant_id::text || ':' || e.purpose <> ALL($4::text[])
           ORDER BY e.expires_on, e.participant_id, e.purpose
           LIMIT $3
           FOR UPDATE OF e, p SKIP LOCKED""",
        city,
        today,
        limit,
        passed_over,
    )


async def insert_assessment(
    conn: asyncpg.Connection,
    *,
    assessment_id: uuid.UUID,
    participant_id: uuid.UUID,
    city: str,
    kind: str,
    assessor: str,
    completed_at: datetime,
    sections: list[str],
    languages: list[dict[str, Any]],
    recorded_by: str,
    recorded_at: datetime,
) -> asyncpg.Record:
    return await conn.fetchrow(
        """INSERT INTO assessments (id, participant_id, city, kind, assessor, completed_at, sections, languages,
                                    recorded_by, recorded_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10)
           RETURNING *""",
        assessment_id,
        participant_id,
        city,
        kind,
        assessor,
        completed_at,
        sections,
        json.dumps(languages),
        recorded_by,
        recorded_at,
    )


async def assessments_of(conn: asyncpg.Connection, participant_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM assessments WHERE participant_id = $1 ORDER BY completed_at, recorded_at, id", participant_id
    )


async def insert_enrolment(
    conn: asyncpg.Connection,
    *,
    enrolment_id: uuid.UUID,
    participant_id: uuid.UUID,
    city: str,
    course_type: str,
    language: str | None,
    planned_hours: int,
    starts_on: date,
    enrolled_at: datetime,
) -> asyncpg.Record:
    return await conn.fetchrow(
        """INSERT INTO training_enrolments
               (id, participant_id, city, course_type, language, planned_hours, starts_on, enrolled_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           RETURNING *""",
        enrolment_id,
        participant_id,
        city,
        course_type,
        language,
        planned_hours,
        starts_on,
        enrolled_at,
    )


async def get_enrolment(
    conn: asyncpg.Connection, participant_id: uuid.UUID, enrolment_id: uuid.UUID
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM training_enrolments WHERE participant_id = $1 AND id = $2 FOR UPDATE",
        participant_id,
        enrolment_id,
    )


async def end_enrolment(
    conn: asyncpg.Connection,
    *,
    enrolment_id: uuid.UUID,
    outcome: str,
    hours_attended: int,
    certificate: bool,
    drop_out_reason: str | None,
    ended_at: datetime,
) -> asyncpg.Record:
    return await conn.fetchrow(
        """UPDATE training_enrolments
           SET outcome = $2, hours_attended = $3, certificate = $4, drop_out_reason = $5, ended_at = $6
           WHERE id = $1
           RETURNING *""",
        enrolment_id,
        outcome,
        hours_attended,
        certificate,
        drop_out_reason,
        ended_at,
    )


async def enrolments_of(conn: asyncpg.Connection, participant_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM training_enrolments WHERE participant_id = $1 ORDER BY enrolled_at, id", participant_id
    )


async def insert_guidance_session(
    conn: asyncpg.Connection,
    *,
    session_id: uuid.UUID,
    participant_id: uuid.UUID,
    city: str,
    kind: str,
    held_on: date,
    minutes: int,
    notes: bytes | None,
    recorded_by: str,
    recorded_at: datetime,
) -> asyncpg.Record:
    return await conn.fetchrow(
        """INSERT INTO guidance_sessions
               (id, participant_id, city, kind, held_on, minutes, notes, recorded_by, recorded_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           RETURNING *""",
        session_id,
        participant_id,
        city,
        kind,
        held_on,
        minutes,
        notes,
        recorded_by,
        recorded_at,
    )


async def guidance_sessions_of(conn: asyncpg.Connection, participant_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM guidance_sessions WHERE participant_id = $1 ORDER BY held_on, recorded_at, id", participant_id
    )
