"""Candidates stored before migration 0005 keep their profiles, and refills still find them by language."""

import json
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
import pytest

from mile_matching import repository
from mile_matching.views import candidate_profile
from mile_platform.migrations import apply_migrations, load_migrations

from .test_batches import _speaking

pytestmark = pytest.mark.integration


async def test_profiles_stored_as_jsonb_read_back_the_same_and_keep_their_languages(
    fresh_database: Callable[[str], Awaitable[str]],
) -> None:
    pool = await asyncpg.create_pool(await fresh_database("matching_migration"), min_size=1, max_size=2)
    profiles = {uuid.uuid4(): _speaking(spoken) for spoken in ({"it": "B1", "de": "A2"}, {"it": "B2"}, {})}
    try:
        await apply_migrations(pool, ["mile_platform"])
        migrations = load_migrations("mile_matching")
        for migration in (m for m in migrations if m.version < "mile_matching:0005"):
            await pool.execute(migration.sql)
        for participant_id, profile in profiles.items():
            await pool.execute(
                """INSERT INTO candidates (participant_id, city, profile, updated_at)
                   VALUES ($1, 'milan', $2::jsonb, now())""",
                participant_id,
                profile.model_dump_json(),
            )
        for migration in (m for m in migrations if m.version >= "mile_matching:0005"):
            await pool.execute(migration.sql)
        rows = {row["participant_id"]: row for row in await pool.fetch("SELECT * FROM candidates")}
        async with pool.acquire() as conn:
            italian = await repository.candidates_without_match(conn, uuid.uuid4(), ["it"])
            both = await repository.candidates_without_match(conn, uuid.uuid4(), ["de", "it"])
            anyone = await repository.candidates_without_match(conn, uuid.uuid4(), [])
    finally:
        await pool.close()
    assert {pid: candidate_profile(row) for pid, row in rows.items()} == profiles
    assert {pid: sorted(row["languages"]) for pid, row in rows.items()} == {
        pid: sorted(entry.language for entry in profile.languages) for pid, profile in profiles.items()
    }
    first, second, silent = profiles
    assert {row["participant_id"] for row in italian} == {first, second}
    assert {row["participant_id"] for row in both} == {first}
    assert {row["participant_id"] for row in anyone} == {first, second, silent}
    assert json.loads(rows[silent]["profile"])["languages"] == []
