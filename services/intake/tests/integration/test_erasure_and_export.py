"""Duplicates refused without storing names; erasure for good; the Art. 15 export."""

import asyncio
import uuid

import asyncpg
import httpx
import pytest

from mile_devstack.demo import COOK, Person, participant_request
from mile_devstack.topics import read_topic
from mile_schemas import participants_topic

from .conftest import Intake

pytestmark = pytest.mark.integration

TESFAYE = Person("Tesfaye", "Bekele", "1988-11-20", "male", "ER", "subsidiary_protection", COOK, 6)


async def test_the_same_person_twice_is_a_409_naming_the_first(intake: Intake) -> None:
    async with httpx.AsyncClient(base_url=intake.url) as client:
        first = (await intake.register(client, TESFAYE))["participant_id"]
        for variant in (TESFAYE, Person("TÉSFAYE", "bekele", "1988-11-20", "male", "ER", "refugee", COOK, 1)):
            again = await client.post("/participants", json=participant_request(variant), headers=intake.auth())
            assert again.status_code == 409, again.text
            assert again.headers["content-type"] == "application/problem+json"
            assert again.json()["existing_participant_id"] == first
        other_birthday = Person("Tesfaye", "Bekele", "1988-11-21", "male", "ER", "refugee", COOK, 1)
        assert (await intake.register(client, other_birthday))["participant_id"] != first


async def test_the_same_person_registered_at_once_is_one_201_and_409s_naming_it(intake: Intake) -> None:
    """Concurrent registrations of one person queue on the identity: one is created, the others see it."""
    async with httpx.AsyncClient(base_url=intake.url) as client:
        answers = await asyncio.gather(
            *(client.post("/participants", json=participant_request(TESFAYE), headers=intake.auth()) for _ in range(8))
        )
    created = [answer for answer in answers if answer.status_code == 201]
    assert len(created) == 1, [answer.text for answer in answers]
    first = created[0].json()["participant_id"]
    refused = [answer for answer in answers if answer is not created[0]]
    assert all(answer.status_code == 409 for answer in refused), [answer.text for answer in refused]
    assert {answer.json()["existing_participant_id"] for answer in refused} == {first}


async def test_the_registration_answer_and_stored_replay_hold_no_personal_data(intake: Intake) -> None:
    async with httpx.AsyncClient(base_url=intake.url) as client:
        created = await intake.register(client, TESFAYE, **{"Idempotency-Key": "k-1"})
        assert "personal" not in created
        replay = await client.post(
            "/participants",
            json=participant_request(TESFAYE),
            headers={**intake.auth(), "Idempotency-Key": "k-1"},
        )
        assert replay.status_code == 201 and replay.json() == created


async def test_export_returns_everything_held_and_is_audited(intake: Intake) -> None:
    async with httpx.AsyncClient(base_url=intake.url) as client:
        participant_id = (await intake.register(client, TESFAYE))["participant_id"]
        response = await client.get(f"/participants/{participant_id}/export", headers=intake.auth())
        assert response.status_code == 200, response.text
        export = response.json()
        assert export["participant"]["personal"]["family_name"] == "Bekele"
        assert export["participant"]["profile"]["experience"][0]["isco08"] == COOK
        assert [r["action"] for r in export["audit_trail"]] == ["participant.register", "participant.export"]


async def test_erasure_shreds_the_key_deletes_the_rows_and_tells_shared_services(
    intake: Intake, kafka_bootstrap: str
) -> None:
    async with httpx.AsyncClient(base_url=intake.url) as client:
        participant_id = (await intake.register(client, TESFAYE, **{"Idempotency-Key": "erase-me"}))["participant_id"]
        erased = await client.delete(f"/participants/{participant_id}", headers=intake.auth())
        assert erased.status_code == 204, erased.text
        assert (await client.get(f"/participants/{participant_id}", headers=intake.auth())).status_code == 404
        assert (await client.delete(f"/participants/{participant_id}", headers=intake.auth())).status_code == 404
        trail = await client.get("/audit", params={"participant_id": participant_id}, headers=intake.auth("auditor"))
        assert [r["action"] for r in trail.json()["items"]] == ["participant.register", "participant.erase"]
        # the same person may be registered again afterwards: nothing of them is left to match
        assert (await intake.register(client, TESFAYE))["participant_id"] != participant_id
        # but a repeat of the erased registration is refused, not run again
        repeat = await client.post(
            "/participants",
            json=participant_request(TESFAYE),
            headers={**intake.auth("caseworker"), "Idempotency-Key": "erase-me"},
        )
        assert repeat.status_code == 410, repeat.text

    conn = await asyncpg.connect(intake.database_url)
    try:
        pid = uuid.UUID(participant_id)
        assert await conn.fetchval("SELECT count(*) FROM participant_keys WHERE participant_id = $1", pid) == 0
        assert await conn.fetchval("SELECT count(*) FROM participants WHERE id = $1", pid) == 0
        blanked = await conn.fetchrow("SELECT fingerprint, status, body FROM mile_idempotency WHERE key = 'erase-me'")
        assert tuple(blanked) == ("", 410, "null")  # nor the hash of the request, their personal data
    finally:
        await conn.close()

    records = await read_topic(kafka_bootstrap, participants_topic(intake.city), expect=3)
    types = [dict(r.headers)["ce_type"] for r in records if r.key == participant_id.encode()]
    assert types == [b"eu.mile.intake.participant_registered.v1", b"eu.mile.intake.participant_erased.v1"]
