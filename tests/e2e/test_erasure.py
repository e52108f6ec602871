"""Erasure across the platform: after a city erases its people, nothing anywhere names them.

Participants with unique marker names, e-mails and notes are registered at two cities with
matching and statistics consent; one is proposed for a vacancy and accepted. Once matching
holds their candidate profiles and reporting counts them, each is erased at their intake.
Then matching has dropped the profiles, placement holds nothing for them but a cancelled
placement, reporting's counts are unchanged, and no topic, dead-letter topic, service log or
intake database dump holds a marker. In each intake database (read as its owner, past row-level
security) no row of theirs is left, their data keys are gone, and what was sealed for them before
the erasure (and opened with the service's keys then) opens with none of the keys left.
"""

import asyncio
import subprocess
import uuid
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from cryptography.exceptions import InvalidTag

from mile_devstack.demo import PLUMBER, Person, employer_request, participant_request, vacancy_request
from mile_devstack.offsets import group_lag
from mile_devstack.postgres import postgres_bin_dir
from mile_intake.crypto import Keyring, decrypt_json
from mile_platform.broker import topic_partitions

from .conftest import Platform
from .kit import CONSUMING, post, run_language, until

pytestmark = pytest.mark.e2e


def _marked(marker: str, language: str) -> dict[str, Any]:
    """A registration whose names, e-mail, needs note and appraisal all carry ``marker``."""
    person = Person(f"Erase{marker}", f"Marker{marker}", "1991-09-09", "female", "SY", "refugee", PLUMBER, 3)
    body = participant_request(person, host_language=language)
    body["personal"]["email"] = f"erase.{marker}@example.org"
    body["needs"] = {"codes": ["childcare"], "note": f"note {marker}"}
    body["appraisal"] = {"summary": f"appraisal {marker}"}
    return body


async def _every_record(bootstrap: str) -> list[bytes]:
    """Keys, values and headers of every record of every topic (dead letters included)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        partitions = await topic_partitions({"bootstrap_servers": bootstrap}, r"(?!__).*")
        assert any(tp.topic.endswith(".dlt") for tp in partitions)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        seen: list[bytes] = []
        async with asyncio.timeout(120):
            while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for record in records:
                        seen += [record.key or b"", record.value or b"", *(v or b"" for _, v in record.headers)]
        return seen
    finally:
        await consumer.stop()


INTAKE_TABLES = {
    "participants": "id",
    "participant_keys": "participant_id",
    "participant_consents": "participant_id",
    "consent_expiries": "participant_id",
    "assessments": "participant_id",
    "training_enrolments": "participant_id",
    "guidance_sessions": "participant_id",
}
"""Every intake table holding something of a participant, with the column naming them."""


async def _sealed(database_url: str, ids: list[str]) -> list[tuple[uuid.UUID, bytes]]:
    """What intake holds encrypted for these participants: personal data, casework, session notes."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            """SELECT id, personal AS sealed FROM participants WHERE id = ANY($1::uuid[])
               UNION ALL SELECT id, casework FROM participants WHERE id = ANY($1::uuid[])
               UNION ALL SELECT participant_id, notes FROM guidance_sessions WHERE participant_id = ANY($1::uuid[])""",
            ids,
        )
        return [(row["id"], row["sealed"]) for row in rows]
    finally:
        await conn.close()


async def _opens(database_url: str, keyring: Keyring, participant_id: uuid.UUID, sealed: bytes) -> str | None:
    """The plaintext, if any data key the service holds (unsealed with its master key) opens it."""
    conn = await asyncpg.connect(database_url)
    try:
        keys = await conn.fetch("SELECT participant_id, wrapped_key FROM participant_keys")
    finally:
        await conn.close()
    for key in keys:
        try:
            data_key = keyring.open_data_key(key["wrapped_key"], key["participant_id"])
            return str(decrypt_json(data_key, sealed, participant_id))
        except InvalidTag:
            continue
    return None


async def _left_of(database_url: str, ids: list[str]) -> dict[str, int]:
    """Rows naming these participants, per table, read as the owner (row-level security does not hide any)."""
    conn = await asyncpg.connect(database_url)
    try:
        left = {
            table: await conn.fetchval(f"SELECT count(*) FROM {table} WHERE {column} = ANY($1::uuid[])", ids)
            for table, column in INTAKE_TABLES.items()
        }
        left["mile_idempotency"] = await conn.fetchval(
            "SELECT count(*) FROM mile_idempotency WHERE body->>'participant_id' = ANY($1::text[])", ids
        )
        return left
    finally:
        await conn.close()


def _dump(database_url: str) -> bytes:
    return subprocess.run(
        [str(postgres_bin_dir() / "pg_dump"), "--no-owner", f"--dbname={database_url}"],
        check=True,
        capture_output=True,
        timeout=120,
    ).stdout


async def test_erased_participants_vanish_everywhere_while_the_counts_stay(platform: Platform) -> None:
    city_a, city_b = platform.cities
    language = run_language()
    markers = {city_a: [uuid.uuid4().hex[:16] for _ in range(2)], city_b: [uuid.uuid4().hex[:16]]}
    matching, placement, reporting = (platform.url(s) for s in ("matching", "placement", "reporting"))
    async with httpx.AsyncClient(timeout=10.0) as client:
        people: dict[str, list[str]] = {city_a: [], city_b: []}
        for city, city_markers in markers.items():
            intake = platform.url(f"intake-{city}")
            for marker in city_markers:
                body = await post(client, f"{intake}/participants", _marked(marker, language), platform.auth(city))
                people[city].append(participant_id := body["participant_id"])
                session = {"kind": "tutoring", "held_on": "2026-01-20", "minutes": 30, "notes": f"session {marker}"}
                await post(
                    client, f"{intake}/participants/{participant_id}/guidance-sessions", session, platform.auth(city)
                )
                course = {
                    "course_type": "host_language",
                    "language": language,
                    "planned_hours": 40,
                    "starts_on": "2026-02-01",
                }
                await post(client, f"{intake}/participants/{participant_id}/training", course, platform.auth(city))
                assessment = {"assessor": "E2E", "completed_at": "2026-01-15T09:00:00Z", "sections": ["skills"]}
                await post(
                    client,
                    f"{intake}/participants/{participant_id}/assessments/skills",
                    assessment,
                    platform.auth(city),
                )
                until_2099 = {
                    "purpose": "case_management",
                    "status": "given",
                    "notice_version": "2026-01",
                    "expires_on": "2099-12-31",
                }
                await post(client, f"{intake}/participants/{participant_id}/consents", until_2099, platform.auth(city))

        async def candidate(city: str, participant_id: str) -> int:
            url = f"{matching}/candidates/{participant_id}/vacancies"
            return (await client.get(url, headers=platform.auth(city))).status_code

        async def held_by_matching() -> list[int]:
            return [await candidate(city, pid) for city, ids in people.items() for pid in ids]

        await until(held_by_matching, lambda codes: codes == [200, 200, 200])

        async def funnels() -> dict[str, dict[str, Any]]:
            url = f"{reporting}/reports/funnel"
            return {
                c: (await client.get(url, params={"city": c}, headers=platform.auth(c, "programme_manager"))).json()
                for c in (city_a, city_b)
            }

        await until(funnels, lambda f: f[city_a].get("registered") == 2 and f[city_b].get("registered") == 1)

        # one of city A's people is proposed for a vacancy and accepted: placement holds a placement for them
        liaison = platform.auth(city_a, "employer_liaison")
        employer = await post(client, f"{matching}/employers", employer_request("Idraulica Erasure"), liaison)
        vacancy = await post(
            client,
            f"{matching}/vacancies",
            vacancy_request(
                city_a, employer_id=employer["employer_id"], title="Plumber", isco08=PLUMBER, language=language
            ),
            liaison,
        )

        async def proposals() -> list[dict[str, Any]]:
            params = {"vacancy_id": vacancy["vacancy_id"]}
            found = await client.get(f"{matching}/matches", params=params, headers=platform.auth(city_a))
            return [m for m in found.json() if m["participant_id"] in people[city_a]]

        match = (await until(proposals, lambda ms: len(ms) >= 1))[0]
        placed_city, placed = city_a, match["participant_id"]
        decision = {"decision": "accepted"}
        await post(client, f"{matching}/matches/{match['match_id']}/decision", decision, platform.auth(city_a))

        async def placements_of(city: str, participant_id: str) -> list[dict[str, Any]]:
            url = f"{placement}/placements"
            return (
                await client.get(url, params={"participant_id": participant_id}, headers=platform.auth(city))
            ).json()

        await until(lambda: placements_of(placed_city, placed), lambda ps: len(ps) == 1)
        counted = await until(funnels, lambda f: f[placed_city].get("matched") == 1)

        database = {city: platform.specs[f"intake-{city}"].env["INTAKE_DATABASE_URL"] for city in people}
        keyring = {city: Keyring(platform.specs[f"intake-{city}"].env["INTAKE_MASTER_KEY"]) for city in people}
        sealed = {city: await _sealed(database[city], ids) for city, ids in people.items()}
        for city, ids in people.items():
            assert len(sealed[city]) == 3 * len(ids)  # personal data, casework and a session's notes each
            held = await _left_of(database[city], ids)
            assert all(held[table] > 0 for table in INTAKE_TABLES), held  # the check below has rows to miss
            for participant_id, ciphertext in sealed[city]:  # the service's keys open them before the erasure
                opened = await _opens(database[city], keyring[city], participant_id, ciphertext)
                assert opened is not None and any(m in opened for m in markers[city])

        for city, ids in people.items():
            for participant_id in ids:
                url = f"{platform.url(f'intake-{city}')}/participants/{participant_id}"
                assert (await client.delete(url, headers=platform.auth(city))).status_code == 204

        for city, ids in people.items():
            assert set((await _left_of(database[city], ids)).values()) == {0}, city
            for participant_id, ciphertext in sealed[city]:
                assert await _opens(database[city], keyring[city], participant_id, ciphertext) is None

        await until(held_by_matching, lambda codes: codes == [404, 404, 404])
        # a placement that never started is cancelled; nothing else is held for any of them
        await until(lambda: placements_of(placed_city, placed), lambda ps: [p["state"] for p in ps] == ["cancelled"])
        for city, ids in people.items():
            for participant_id in ids:
                if participant_id != placed:
                    assert await placements_of(city, participant_id) == []
        for service in ("matching", "placement", "reporting"):
            await until(
                lambda s=service: group_lag(platform.bootstrap, platform.group(s), CONSUMING[s]), lambda lag: lag == 0
            )
        after = await funnels()
        for city in (city_a, city_b):
            assert after[city]["registered"] == counted[city]["registered"]  # erasure does not rewrite history
            assert after[city]["matched"] == counted[city]["matched"]

    records = await _every_record(platform.bootstrap)
    dumps = [
        await asyncio.to_thread(_dump, platform.specs[f"intake-{city}"].env["INTAKE_DATABASE_URL"])
        for city in (city_a, city_b)
    ]
    assert all(b"guidance_sessions" in dump for dump in dumps)  # the dumps hold the tables
    logs = b"\n".join(path.read_bytes() for path in platform.log_dir.glob("*.log"))
    for marker in (m for city_markers in markers.values() for m in city_markers):
        needle = marker.encode()
        assert not [part for part in records if needle in part.lower()], f"marker {marker} on a topic"
        assert not [dump for dump in dumps if needle in dump.lower()], f"marker {marker} in an intake database"
        assert needle not in logs.lower(), f"marker {marker} in a service log"
