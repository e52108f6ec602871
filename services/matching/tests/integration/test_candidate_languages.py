"""The languages kept beside each candidate's profile, by which refills choose whom to read, are those
the profile names: as matching writes candidates, as a pod of the release before wrote them beside it
during a rolling update (giving no languages: migration 0007's triggers derive them), and across that
migration."""

import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from mile_devstack.testing import delivered
from mile_matching import subscribers
from mile_matching.settings import MatchingSettings
from mile_platform.migrations import apply_migrations, load_migrations
from mile_schemas import CandidateProfile, ConsentPurpose, ParticipantProfileUpdated, ParticipantRegistered

pytestmark = pytest.mark.integration
Database = Callable[[str], Awaitable[str]]
SETTINGS = MatchingSettings(database_url="unused")
CITY = "milan"
NOW = datetime.now(UTC)

# How the release before stored candidates: no languages given (COPY of new ones, or an upsert).
BEFORE_UPSERT = """INSERT INTO candidates (participant_id, city, profile, updated_at)
    SELECT id, city, profile::jsonb, updated_at
    FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[]) AS r(id, city, profile, updated_at)
    ON CONFLICT (participant_id) DO UPDATE
    SET city = excluded.city, profile = excluded.profile, updated_at = excluded.updated_at"""


async def _insert_as_before(conn: asyncpg.Connection, profiles: dict[uuid.UUID, CandidateProfile]) -> None:
    records = [(pid, CITY, profile.model_dump_json(), NOW) for pid, profile in profiles.items()]
    await conn.copy_records_to_table(
        "candidates", records=records, columns=["participant_id", "city", "profile", "updated_at"]
    )


def _profile(*languages: str) -> CandidateProfile:
    return CandidateProfile.model_validate(
        {
            "legal_status": "refugee",
            "work_permit": {"scope": "full"},
            "languages": [
                dict.fromkeys(("listening", "reading", "speaking", "writing"), "B1") | {"language": code}
                for code in languages
            ],
            "municipality": "Milano",
        }
    )


async def _stored(conn: asyncpg.Connection) -> dict[uuid.UUID, tuple[CandidateProfile, list[str]]]:
    """Each candidate's profile, as matching reads it back, and the languages kept beside it."""
    rows = await conn.fetch("SELECT participant_id, profile, languages FROM candidates")
    return {
        row["participant_id"]: (CandidateProfile.model_validate_json(row["profile"]), json.loads(row["languages"]))
        for row in rows
    }


def _expected(profiles: dict[uuid.UUID, CandidateProfile]) -> dict[uuid.UUID, tuple[CandidateProfile, list[str]]]:
    return {pid: (profile, [entry.language for entry in profile.languages]) for pid, profile in profiles.items()}


async def _migrated(fresh_database: Database, name: str, *, before: str | None = None) -> asyncpg.Pool:
    """A fresh database with matching's migrations, those before ``before`` only when given."""
    pool = await asyncpg.create_pool(await fresh_database(name), min_size=1, max_size=2)
    if before is None:
        await apply_migrations(pool, ["mile_platform", "mile_matching"])
    else:
        await apply_migrations(pool, ["mile_platform"])
        for migration in load_migrations("mile_matching"):
            if migration.version < before:
                await pool.execute(migration.sql)
    return pool


async def test_matching_keeps_the_languages_each_profile_names(fresh_database: Database) -> None:
    """New candidates (stored by COPY) and changed profiles (stored by upsert), languages added and dropped."""
    first = {uuid.uuid4(): _profile("it"), uuid.uuid4(): _profile("it", "de"), uuid.uuid4(): _profile()}
    ids = list(first)
    then = {ids[0]: _profile("de", "en"), ids[1]: _profile(), ids[2]: _profile("ti")}
    pool = await _migrated(fresh_database, "matching_languages_kept")
    try:
        apply = subscribers.consumer(SETTINGS).handler
        registrations = [
            ParticipantRegistered(
                participant_id=pid, city=CITY, registered_at=NOW, consents=(ConsentPurpose.MATCHING,), profile=profile
            )
            for pid, profile in first.items()
        ]
        later = NOW + timedelta(days=1)
        updates = [
            ParticipantProfileUpdated(participant_id=pid, city=CITY, updated_at=later, profile=profile)
            for pid, profile in then.items()
        ]
        async with pool.acquire() as conn:
            async with conn.transaction():
                await apply(conn, [delivered(event, i) for i, event in enumerate(registrations)])
            assert await _stored(conn) == _expected(first)
            async with conn.transaction():
                await apply(conn, [delivered(event, 10 + i) for i, event in enumerate(updates)])
            assert await _stored(conn) == _expected(then)
    finally:
        await pool.close()


async def test_candidates_stored_as_the_release_before_did_get_their_languages(fresh_database: Database) -> None:
    """New ones by COPY, then changed profiles by upsert: one whose languages change, one whose do not."""
    first = {uuid.uuid4(): _profile("it"), uuid.uuid4(): _profile("el")}
    ids = list(first)
    then = {ids[0]: _profile("it", "fr"), ids[1]: _profile("el").model_copy(update={"municipality": "Sesto"})}
    pool = await _migrated(fresh_database, "matching_languages_before")
    try:
        async with pool.acquire() as conn:
            await _insert_as_before(conn, first)
            assert await _stored(conn) == _expected(first)
            await conn.execute(
                BEFORE_UPSERT,
                list(then),
                [CITY] * len(then),
                [profile.model_dump_json() for profile in then.values()],
                [NOW] * len(then),
            )
            assert await _stored(conn) == _expected(then)
    finally:
        await pool.close()


async def test_the_migration_keeps_every_profile_and_its_languages(fresh_database: Database) -> None:
    profiles = {uuid.uuid4(): _profile("it"), uuid.uuid4(): _profile("prs", "de"), uuid.uuid4(): _profile()}
    pool = await _migrated(fresh_database, "matching_languages_migrated", before="mile_matching:0007")
    try:
        async with pool.acquire() as conn:
            await _insert_as_before(conn, profiles)
        for migration in load_migrations("mile_matching"):
            if migration.version >= "mile_matching:0007":
                await pool.execute(migration.sql)
        async with pool.acquire() as conn:
            assert await _stored(conn) == _expected(profiles)
            kind = await conn.fetchval("SELECT pg_typeof(profile)::text FROM candidates LIMIT 1")
            assert kind == "json"
    finally:
        await pool.close()
