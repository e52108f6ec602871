"""Participants registered before the profile had sections read back the same after migration 0005."""

import json
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
import pytest

from mile_intake.profile import ParticipantProfile, candidate_profile
from mile_platform.migrations import apply_migrations, load_migrations

pytestmark = pytest.mark.integration

OLD_PROFILE = {
    "legal_status": "refugee",
    "work_permit": {"scope": "full"},
    "languages": [{"language": "it", "listening": "B1", "reading": "A2", "speaking": "B1", "writing": "A2"}],
    "isced_level": 4,
    "experience": [{"isco08": "7126", "years": 3}],
    "skills": [],
    "desired_isco08": ["7126"],
    "municipality": "Centro",
    "latitude": None,
    "longitude": None,
    "hours_per_week": 30,
    "available_from": None,
    "max_commute_km": 25,
}


async def test_a_flat_profile_gets_its_expectations_and_education_sections(
    fresh_database: Callable[[str], Awaitable[str]],
) -> None:
    pool = await asyncpg.create_pool(await fresh_database("intake_migration"), min_size=1, max_size=2)
    try:
        await apply_migrations(pool, ["mile_platform"])
        migrations = load_migrations("mile_intake")
        for migration in (m for m in migrations if m.version < "mile_intake:0005"):
            await pool.execute(migration.sql)
        participant_id = uuid.uuid4()
        await pool.execute(
            """INSERT INTO participants (id, city, personal, statistics, profile, consents, notice_version)
               VALUES ($1, 'milan', '\\x00', '{}', $2::jsonb, '{}', '1')""",
            participant_id,
            json.dumps(OLD_PROFILE),
        )
        for migration in (m for m in migrations if m.version >= "mile_intake:0005"):
            await pool.execute(migration.sql)
        held = ParticipantProfile.model_validate(
            json.loads(await pool.fetchval("SELECT profile FROM participants WHERE id = $1", participant_id))
        )
    finally:
        await pool.close()
    assert [q.isced_level for q in held.education] == [4]
    assert (held.expectations.desired_isco08, held.expectations.hours_per_week) == (("7126",), 30)
    assert candidate_profile(held).model_dump(mode="json") == {  # what matching received before, it still does
        **OLD_PROFILE,
        "languages": [{**OLD_PROFILE["languages"][0], "tested": False}],
        "experience": [{"isco08": "7126", "esco_uri": None, "years": 3.0}],
        "work_permit": {"scope": "full", "valid_until": None},
    }
