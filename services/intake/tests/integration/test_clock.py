"""Recorded times and event times come from the service's one clock: moved a year on, every
time intake stores or announces moves with it, and what is stored equals what is announced."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from mile_devstack.demo import COOK, Person
from mile_devstack.topics import read_topic
from mile_schemas import participants_topic

from .conftest import Intake

pytestmark = pytest.mark.integration

AHEAD = timedelta(days=400)


async def test_stored_and_announced_times_follow_the_injected_clock(intake: Intake, kafka_bootstrap: str) -> None:
    intake.clock.advance(AHEAD)
    person = Person(f"Clock{uuid.uuid4().hex[:6]}", "Time", "1990-05-05", "female", "SY", "refugee", COOK, 1)
    async with httpx.AsyncClient(base_url=intake.url) as client:
        participant_id = (await intake.register(client, person))["participant_id"]
        url = f"/participants/{participant_id}"
        body = {"purpose": "employer_contact", "status": "given", "notice_version": "2027-01"}
        consent = await client.post(f"{url}/consents", json=body, headers=intake.auth())
        assert consent.status_code == 201, consent.text
        patched = await client.patch(url, json={"nationality": "LB"}, headers={**intake.auth(), "If-Match": "*"})
        assert patched.status_code == 200, patched.text
        export = (await client.get(f"{url}/export", headers=intake.auth())).json()
        assert (await client.delete(url, headers=intake.auth())).status_code == 204

    later = datetime.now(UTC) + AHEAD - timedelta(minutes=5)
    held = export["participant"]
    times = {
        "created_at": held["created_at"],
        "updated_at": held["updated_at"],
        "exported_at": export["exported_at"],
        **{f"consent {i}": record["recorded_at"] for i, record in enumerate(export["consent_history"])},
    }
    assert {name: datetime.fromisoformat(t) > later for name, t in times.items()} == dict.fromkeys(times, True)

    records = await read_topic(kafka_bootstrap, participants_topic(intake.city), expect=4)
    events = {
        dict(r.headers)["ce_type"].decode().split(".")[3]: json.loads(r.value)
        for r in records
        if r.key == participant_id.encode()
    }
    stamp = datetime.fromisoformat
    assert stamp(events["participant_registered"]["registered_at"]) == stamp(held["created_at"])
    assert stamp(events["participant_profile_updated"]["updated_at"]) == stamp(held["updated_at"])
    assert stamp(events["consent_changed"]["changed_at"]) == stamp(export["consent_history"][-1]["recorded_at"])
    assert stamp(events["participant_erased"]["erased_at"]) > later
