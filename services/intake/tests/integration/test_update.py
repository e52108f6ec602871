"""Partial updates with optimistic concurrency, emitting what consent allows."""

import json

import httpx
import pytest

from mile_devstack.demo import COOK, PLUMBER, Person
from mile_devstack.topics import read_topic
from mile_schemas import participants_topic

from .conftest import Intake

pytestmark = pytest.mark.integration

OMAR = Person("Omar", "Haddad", "1991-01-30", "male", "SY", "asylum_seeker", PLUMBER, 4)
LINA = Person("Lina", "Mansour", "2001-05-09", "female", None, "work_permit_holder", COOK, 1, consents=("statistics",))


async def test_a_partial_update_needs_the_current_etag_and_changes_only_what_was_sent(
    intake: Intake, kafka_bootstrap: str
) -> None:
    async with httpx.AsyncClient(base_url=intake.url) as client:
        participant_id = (await intake.register(client, OMAR))["participant_id"]
        url = f"/participants/{participant_id}"
        read = await client.get(url, headers=intake.auth())
        assert read.headers["etag"] == '"1"'
        held = read.json()["profile"]
        profile = {**held, "municipality": "Nord", "expectations": {**held["expectations"], "hours_per_week": 20}}
        change = {"personal": {"email": "omar.h@example.org"}, "profile": profile}

        missing = await client.patch(url, json=change, headers=intake.auth())
        assert missing.status_code == 428, missing.text
        stale = await client.patch(url, json=change, headers={**intake.auth(), "If-Match": '"7"'})
        assert stale.status_code == 412, stale.text
        updated = await client.patch(url, json=change, headers={**intake.auth(), "If-Match": read.headers["etag"]})
        assert updated.status_code == 200, updated.text
        assert updated.headers["etag"] == '"2"'
        body = updated.json()
        assert body["personal"]["email"] == "omar.h@example.org"
        assert body["personal"]["given_name"] == "Omar"  # untouched
        assert body["profile"]["municipality"] == "Nord" and body["statistics"]["sex"] == "male"
        again = await client.patch(url, json=change, headers={**intake.auth(), "If-Match": read.headers["etag"]})
        assert again.status_code == 412  # a second writer with the old ETag loses

        lina = (await intake.register(client, LINA))["participant_id"]
        lina_change = {"nationality": "UA"}
        response = await client.patch(
            f"/participants/{lina}", json=lina_change, headers={**intake.auth(), "If-Match": "*"}
        )
        assert response.status_code == 200 and response.json()["statistics"]["nationality"] == "UA"

        renamed = await client.patch(
            f"/participants/{lina}",
            json={"personal": {"given_name": "Omar", "family_name": "Haddad", "birth_date": "1991-01-30"}},
            headers={**intake.auth(), "If-Match": "*"},
        )
        assert renamed.status_code == 409 and renamed.json()["existing_participant_id"] == participant_id

        trail = await client.get("/audit", params={"participant_id": participant_id}, headers=intake.auth("auditor"))
        assert [r["action"] for r in trail.json()["items"]] == [
            "participant.register",
            "participant.read",
            "participant.update",
        ]

    records = await read_topic(kafka_bootstrap, participants_topic(intake.city), expect=4)
    updates = {
        r.key.decode(): json.loads(r.value)
        for r in records
        if dict(r.headers)["ce_type"] == b"eu.mile.intake.participant_profile_updated.v1"
    }
    assert updates[participant_id]["profile"]["municipality"] == "Nord"  # matching consent: the profile travels
    assert updates[participant_id]["profile"]["hours_per_week"] == 20  # expectations reach matching
    assert updates[lina]["profile"] is None  # no matching consent: fail-closed
    assert updates[lina]["statistics"]["nationality"] == "UA"
    assert all(b"Omar" not in r.value and b"omar.h" not in r.value for r in records)
