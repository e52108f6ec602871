"""A write about a participant racing their erasure: it waits for the erasure and then answers
404, leaving nothing behind; and the service's role can only do what intake does to measures.

The erasure is held open in a transaction of the test's own (as the table owner), so the
request is seen waiting on it before the erasure commits: no timing is assumed.
"""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from mile_devstack.demo import COOK, Person

from .conftest import Intake

pytestmark = pytest.mark.integration

MEASURE_TABLES = ("assessments", "training_enrolments", "guidance_sessions", "participant_consents", "consent_expiries")
LEVELS = {"listening": "B1", "reading": "A2", "speaking": "B1", "writing": "A2"}


def _someone() -> Person:
    return Person(f"Race{uuid.uuid4().hex[:6]}", "Erasure", "1990-02-02", "male", "AF", "refugee", COOK, 2)


async def _waiting_on_a_lock(conn: asyncpg.Connection) -> None:
    """Polled on a connection outside any transaction: inside one, pg_stat_activity is read once and cached."""
    async with asyncio.timeout(30):
        while not await conn.fetchval(
            """SELECT count(*) FROM pg_stat_activity
               WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"""
        ):
            await asyncio.sleep(0.05)


async def test_a_measure_written_during_an_erasure_is_404_and_leaves_no_row(intake: Intake) -> None:
    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    writes: list[tuple[str, Callable[[str], Awaitable[str]] | None, dict]] = []
    async with httpx.AsyncClient(base_url=intake.url) as client:

        async def enrolled(base: str) -> str:
            course = {"course_type": "digital", "planned_hours": 10, "starts_on": "2026-09-01"}
            response = await client.post(f"{base}/training", json=course, headers=intake.auth())
            return f"/training/{response.json()['enrolment_id']}/end"

        writes = [
            ("/assessments/skills", None, {"assessor": "A", "completed_at": yesterday, "sections": ["skills"]}),
            (
                "/assessments/language",
                None,
                {"assessor": "A", "completed_at": yesterday, "languages": [{"language": "it", **LEVELS}]},
            ),
            ("/training", None, {"course_type": "digital", "planned_hours": 10, "starts_on": "2026-09-01"}),
            (
                "/guidance-sessions",
                None,
                {"kind": "tutoring", "held_on": "2026-01-05", "minutes": 30, "notes": "private"},
            ),
            ("", enrolled, {"outcome": "completed", "hours_attended": 10}),
            ("/consents", None, {"purpose": "matching", "status": "given", "notice_version": "v"}),
        ]
        eraser = await asyncpg.connect(intake.database_url)
        watcher = await asyncpg.connect(intake.database_url)
        try:
            for path, prepare, body in writes:
                participant_id = (await intake.register(client, _someone()))["participant_id"]
                base = f"/participants/{participant_id}"
                url = base + (await prepare(base) if prepare else path)
                erasure = eraser.transaction()
                await erasure.start()
                pid = uuid.UUID(participant_id)
                await eraser.execute("DELETE FROM participant_keys WHERE participant_id = $1", pid)
                await eraser.execute("DELETE FROM participants WHERE id = $1", pid)
                request = asyncio.create_task(client.post(url, json=body, headers=intake.auth()))
                await _waiting_on_a_lock(watcher)
                await erasure.commit()
                response = await request
                assert response.status_code == 404, (url, response.text)
                for table in MEASURE_TABLES:
                    left = await eraser.fetchval(f"SELECT count(*) FROM {table} WHERE participant_id = $1", pid)
                    assert left == 0, (url, table)
        finally:
            await eraser.close()
            await watcher.close()


async def test_the_service_role_cannot_rewrite_or_delete_recorded_measures(intake: Intake) -> None:
    async with httpx.AsyncClient(base_url=intake.url) as client:
        participant_id = (await intake.register(client, _someone()))["participant_id"]
    conn = await asyncpg.connect(intake.database_url)
    try:
        for statement in (
            "UPDATE assessments SET assessor = 'x'",
            "DELETE FROM assessments",
            "UPDATE guidance_sessions SET minutes = 1",
            "DELETE FROM guidance_sessions",
            "DELETE FROM training_enrolments",
            "DELETE FROM participant_consents",
        ):
            async with conn.transaction():
                await conn.execute("SET LOCAL ROLE mile_intake_app")
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await conn.execute(statement)
        async with conn.transaction():  # what the service does is still allowed
            await conn.execute("SET LOCAL ROLE mile_intake_app")
            await conn.execute(
                "UPDATE training_enrolments SET hours_attended = 1 WHERE participant_id = $1", uuid.UUID(participant_id)
            )
            await conn.execute("DELETE FROM consent_expiries WHERE participant_id = $1", uuid.UUID(participant_id))
    finally:
        await conn.close()
