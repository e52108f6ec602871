"""Consent given until a day expires by itself on that day: once, announced, and fail-closed after.

Time is the service's injected clock, moved by the test. The replica test runs two expiry
tasks on separate connection pools (as two intake processes would) against the same rows.
"""

import asyncio
import json
import logging
import uuid
from collections import Counter
from datetime import timedelta

import asyncpg
import httpx
import pytest

from mile_devstack.demo import COOK, Person
from mile_devstack.topics import read_topic
from mile_intake.expiry import ConsentExpiry
from mile_schemas import participants_topic

from .conftest import Intake, ShiftedClock

pytestmark = pytest.mark.integration


def _someone() -> Person:
    return Person(f"Nadia{uuid.uuid4().hex[:6]}", "Saleh", "1993-12-12", "female", "SY", "refugee", COOK, 2)


async def _give(client: httpx.AsyncClient, intake: Intake, participant_id: str, purpose: str, days: int) -> dict:
    expires_on = (intake.clock() + timedelta(days=days)).date().isoformat()
    body = {"purpose": purpose, "status": "given", "notice_version": "2026-04", "expires_on": expires_on}
    response = await client.post(f"/participants/{participant_id}/consents", json=body, headers=intake.auth())
    assert response.status_code == 201, response.text
    return response.json()


async def test_matching_consent_expires_on_its_day_and_the_profile_stops_travelling(
    intake: Intake, kafka_bootstrap: str
) -> None:
    async with httpx.AsyncClient(base_url=intake.url) as client:
        participant_id = (await intake.register(client, _someone()))["participant_id"]
        url = f"/participants/{participant_id}"
        given = await _give(client, intake, participant_id, "matching", days=3)
        assert given["history"][-1]["expires_on"] is not None

        for body in (
            {"purpose": "matching", "status": "withdrawn", "notice_version": "x", "expires_on": "2030-01-01"},
            {"purpose": "matching", "status": "given", "notice_version": "x", "expires_on": "2001-01-01"},
        ):
            refused = await client.post(f"{url}/consents", json=body, headers=intake.auth())
            assert refused.status_code == 422 and "expires_on" in refused.json()["detail"], refused.text

        intake.clock.advance(timedelta(days=2))
        await asyncio.sleep(1.0)  # the task looks several times; nothing is due yet
        assert "matching" in (await client.get(url, headers=intake.auth())).json()["consents"]

        intake.clock.advance(timedelta(days=1))  # the expiry day

        async def consents() -> list[str]:
            return (await client.get(url, headers=intake.auth())).json()["consents"]

        async with asyncio.timeout(30):
            while "matching" in await consents():
                await asyncio.sleep(0.2)
        assert await consents() == ["case_management", "statistics"]
        patched = await client.patch(url, json={"nationality": "LB"}, headers={**intake.auth(), "If-Match": "*"})
        assert patched.status_code == 200, patched.text
        history = (await client.get(f"{url}/export", headers=intake.auth())).json()["consent_history"]
        assert [(h["purpose"], h["status"], h["recorded_by"]) for h in history[-2:]] == [
            ("matching", "given", f"dev-caseworker@{intake.city}"),
            ("matching", "expired", "system:consent-expiry"),
        ]
        trail = await client.get("/audit", params={"participant_id": participant_id}, headers=intake.auth("auditor"))
        assert "consent.expired" in [r["action"] for r in trail.json()["items"]]

    records = await read_topic(kafka_bootstrap, participants_topic(intake.city), expect=4)
    events = [
        (dict(r.headers)["ce_type"].decode().split(".")[3], json.loads(r.value))
        for r in records
        if r.key == participant_id.encode()
    ]
    assert [kind for kind, _ in events] == [
        "participant_registered",
        "consent_changed",
        "consent_changed",
        "participant_profile_updated",
    ]
    assert events[1][1]["status"] == "given" and events[1][1]["profile"] is not None
    assert (events[2][1]["purpose"], events[2][1]["status"], events[2][1]["profile"]) == ("matching", "expired", None)
    assert events[3][1]["profile"] is None  # fail-closed after expiry
    assert events[3][1]["statistics"]["nationality"] == "LB"


async def test_two_replicas_expire_each_consent_exactly_once(intake: Intake, kafka_bootstrap: str) -> None:
    """Twelve people with two expiring consents each; two replicas tick together each day."""
    async with httpx.AsyncClient(base_url=intake.url) as client:
        ids = [(await intake.register(client, _someone()))["participant_id"] for _ in range(12)]
        for index, participant_id in enumerate(ids):
            await _give(client, intake, participant_id, "matching", days=1 + index % 3)
            await _give(client, intake, participant_id, "statistics", days=2 + index % 4)
        erased = ids.pop()  # an erased participant's consent never expires: nothing of them is left
        assert (await client.delete(f"/participants/{erased}", headers=intake.auth())).status_code == 204

    clock = ShiftedClock(intake.clock.offset)  # the served app's own task keeps today's date
    pools = [await asyncpg.create_pool(intake.database_url, min_size=1, max_size=2) for _ in range(2)]
    try:
        replicas = [ConsentExpiry(pool=pool, city=intake.city, clock=clock, batch_size=3) for pool in pools]
        expired = 0
        for _ in range(7):
            clock.advance(timedelta(days=1))
            expired += sum(await asyncio.gather(*(replica.tick() for replica in replicas)))

        async with asyncio.timeout(30):  # the service's relay publishes what the replicas wrote
            while await pools[0].fetchval("SELECT count(*) FROM mile_outbox"):
                await asyncio.sleep(0.2)
        # registered, two consents given, each; one erased; then each expiry
        records = await read_topic(kafka_bootstrap, participants_topic(intake.city), expect=3 * 12 + 1 + 2 * len(ids))
        expiries: dict[uuid.UUID, tuple[str, str]] = {}  # by event id: a re-sent record is the same event
        for record in records:
            headers = dict(record.headers)
            payload = json.loads(record.value)
            if headers["ce_type"].endswith(b"consent_changed.v1") and payload["status"] == "expired":
                expiries[uuid.UUID(headers["ce_id"].decode())] = (payload["participant_id"], payload["purpose"])
        changes = Counter(expiries.values())
        assert changes == Counter({(pid, purpose): 1 for pid in ids for purpose in ("matching", "statistics")})
        assert expired == 2 * len(ids)
        held = await pools[0].fetch("SELECT id, consents FROM participants WHERE id = ANY($1::uuid[])", ids)
        assert {tuple(r["consents"]) for r in held} == {("case_management",)}
        assert await pools[0].fetchval("SELECT count(*) FROM consent_expiries") == 0
    finally:
        for pool in pools:
            await pool.close()


async def test_a_consent_that_fails_to_expire_holds_up_no_other(
    intake: Intake, caplog: pytest.LogCaptureFixture
) -> None:
    """The failing one (first in line, batches of one) is rolled back alone, logged by its error's
    class only (a database message can quote stored values), and expires once the fault is gone."""
    marker = uuid.uuid4().hex
    async with httpx.AsyncClient(base_url=intake.url) as client:
        ids = [(await intake.register(client, _someone()))["participant_id"] for _ in range(3)]
        for index, participant_id in enumerate(ids):
            await _give(client, intake, participant_id, "matching", days=1 if index == 0 else 2)
    faulty = ids[0]
    pool = await asyncpg.create_pool(intake.database_url, min_size=1, max_size=2)
    try:
        await pool.execute(
            f"""CREATE FUNCTION refuse_one() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.participant_id = '{faulty}' AND NEW.status = 'expired' THEN
                        RAISE EXCEPTION 'refused {marker}';
                    END IF;
                    RETURN NEW;
                END $$;
                CREATE TRIGGER refuse_one BEFORE INSERT ON participant_consents
                    FOR EACH ROW EXECUTE FUNCTION refuse_one();"""
        )
        clock = ShiftedClock(intake.clock.offset + timedelta(days=2))  # the served app's task keeps today
        expiry = ConsentExpiry(pool=pool, city=intake.city, clock=clock, batch_size=1)
        with caplog.at_level(logging.ERROR, logger="mile_intake.expiry"):
            assert await expiry.tick() == 2
        failures = [r.getMessage() for r in caplog.records if r.name == "mile_intake.expiry"]
        assert len(failures) == 1 and "RaiseError" in failures[0] and faulty in failures[0]
        assert marker not in caplog.text

        async def held(participant_id: str) -> tuple[str, ...]:
            return tuple(await pool.fetchval("SELECT consents FROM participants WHERE id = $1::uuid", participant_id))

        assert "matching" in await held(faulty)
        assert ["matching" in await held(pid) for pid in ids[1:]] == [False, False]
        assert await pool.fetchval("SELECT count(*) FROM consent_expiries") == 1

        await pool.execute("DROP TRIGGER refuse_one ON participant_consents")
        assert await expiry.tick() == 1  # tried again on the next tick
        assert "matching" not in await held(faulty)
    finally:
        await pool.close()
