"""The Skills Profile Tool profile: held whole, published only as the pseudonymous parts consent allows."""

import json
import uuid

import httpx
import pytest

from mile_devstack.demo import COOK, PLUMBER, Person, participant_request
from mile_devstack.topics import read_topic
from mile_schemas import participants_topic

from .conftest import Intake

pytestmark = pytest.mark.integration


def _person(consents: tuple[str, ...] = ("case_management", "matching", "statistics")) -> Person:
    return Person(
        f"Hamid{uuid.uuid4().hex[:6]}", "Karimi", "1990-04-04", "male", "AF", "refugee", COOK, 5, "A2", consents
    )


def full_profile_request(person: Person, marker: str) -> dict:
    body = participant_request(person)
    body["profile"]["education"] = [
        {"isced_level": 3, "field": "0722", "country": "AF", "recognition": "requested"},
        {"isced_level": 6, "field": "0732", "country": "IR", "recognition": "partial"},
        {"isced_level": 2, "country": "IT"},
    ]
    body["profile"]["expectations"] = {
        "desired_isco08": [COOK, PLUMBER],
        "hours_per_week": 25,
        "available_from": "2027-02-01",
        "max_commute_km": 15,
    }
    body["needs"] = {"codes": ["childcare", "transport"], "note": f"needs {marker}"}
    body["appraisal"] = {"summary": f"appraisal {marker}", "next_steps": f"next {marker}"}
    return body


async def test_the_whole_profile_is_held_and_only_its_shareable_part_travels(
    intake: Intake, kafka_bootstrap: str
) -> None:
    marker = uuid.uuid4().hex
    async with httpx.AsyncClient(base_url=intake.url) as client:
        created = await client.post(
            "/participants", json=full_profile_request(_person(), marker), headers=intake.auth()
        )
        assert created.status_code == 201, created.text
        participant_id = created.json()["participant_id"]
        held = (await client.get(f"/participants/{participant_id}", headers=intake.auth())).json()
        assert [q["recognition"] for q in held["profile"]["education"]] == ["requested", "partial", None]
        assert held["profile"]["expectations"]["available_from"] == "2027-02-01"
        assert held["needs"] == {"codes": ["childcare", "transport"], "note": f"needs {marker}"}
        assert held["appraisal"]["summary"] == f"appraisal {marker}"
        assert held["statistics"]["recognition"] == "partial"  # the furthest across qualifications

        cleared = await client.patch(
            f"/participants/{participant_id}", json={"appraisal": None}, headers={**intake.auth(), "If-Match": "*"}
        )
        assert cleared.status_code == 200, cleared.text
        assert cleared.json()["appraisal"] is None and cleared.json()["needs"]["note"] == f"needs {marker}"

        no_stats = await client.post(
            "/participants", json=full_profile_request(_person(("matching",)), marker), headers=intake.auth()
        )
        assert no_stats.status_code == 201, no_stats.text

        for bad, field in [
            ({"needs": {"codes": ["diabetes"]}}, "needs.codes.0"),
            ({"profile": {"education": [{"isced_level": 9}]}}, "profile.education.0.isced_level"),
            ({"profile": {"education": [{"isced_level": 3, "recognition": "pending"}]}}, "recognition"),
            ({"profile": {"expectations": {"hours_per_week": 80}}}, "profile.expectations.hours_per_week"),
            ({"profile": {"hours_per_week": 30}}, "profile.hours_per_week"),  # expectations are their own section
        ]:
            body = full_profile_request(_person(), marker)
            for part, value in bad.items():
                body[part] = {**body[part], **value} if part == "profile" else value
            refused = await client.post("/participants", json=body, headers=intake.auth())
            assert refused.status_code == 422, refused.text
            assert refused.headers["content-type"] == "application/problem+json"
            assert field in refused.json()["detail"]

    records = await read_topic(kafka_bootstrap, participants_topic(intake.city), expect=3)
    published = {
        (r.key.decode(), dict(r.headers)["ce_type"].decode().split(".")[3]): json.loads(r.value) for r in records
    }
    registered = published[(participant_id, "participant_registered")]
    profile = registered["profile"]
    assert profile["isced_level"] == 6  # the highest qualification
    assert profile["desired_isco08"] == [COOK, PLUMBER]
    assert (profile["hours_per_week"], profile["available_from"], profile["max_commute_km"]) == (25, "2027-02-01", 15)
    assert registered["statistics"]["recognition"] == "partial"
    assert published[(no_stats.json()["participant_id"], "participant_registered")]["statistics"] is None
    assert published[(participant_id, "participant_profile_updated")]["statistics"]["recognition"] == "partial"
    assert not [r for r in records if marker.encode() in r.value]  # needs and appraisal never travel
