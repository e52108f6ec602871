"""Assessments, training and guidance: recorded, listed, exported, erased, and each announced."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from mile_devstack.demo import CLEANER, Person
from mile_devstack.topics import read_topic
from mile_schemas import participants_topic

from .conftest import Intake

pytestmark = pytest.mark.integration


def _someone(consents: tuple[str, ...]) -> Person:
    return Person(
        f"Yonas{uuid.uuid4().hex[:6]}", "Tesfay", "1996-08-08", "male", "ER", "refugee", CLEANER, 1, "A1", consents
    )


async def test_measures_are_recorded_announced_without_matching_consent_and_erased(
    intake: Intake, kafka_bootstrap: str
) -> None:
    marker = uuid.uuid4().hex
    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    async with httpx.AsyncClient(base_url=intake.url) as client:
        participant_id = (await intake.register(client, _someone(("case_management",))))["participant_id"]
        base = f"/participants/{participant_id}"

        async def post(path: str, body: dict, expect: int = 201, key: str | None = None) -> httpx.Response:
            headers = {**intake.auth(), **({"Idempotency-Key": key} if key else {})}
            response = await client.post(f"{base}{path}", json=body, headers=headers)
            assert response.status_code == expect, response.text
            return response

        skills = {"assessor": "N. Rossi", "completed_at": yesterday, "sections": ["languages", "work_experience"]}
        first = await post("/assessments/skills", skills, key="s-1")
        assert (await post("/assessments/skills", skills, key="s-1")).json() == first.json()  # a repeat: same answer
        level = {"listening": "B1", "reading": "A2", "speaking": "B1", "writing": "A2"}
        language = {"assessor": "N. Rossi", "completed_at": yesterday, "languages": [{"language": "it", **level}]}
        await post("/assessments/language", language)
        held = (await client.get(base, headers=intake.auth())).json()
        assert held["profile"]["languages"] == [{"language": "it", **level, "tested": True}]  # A1 self-declared before

        enrolment = (
            await post(
                "/training",
                {"course_type": "host_language", "language": "it", "planned_hours": 80, "starts_on": "2026-09-01"},
            )
        ).json()
        dropped = (
            await post("/training", {"course_type": "digital", "planned_hours": 20, "starts_on": "2026-09-01"})
        ).json()
        end = f"/training/{enrolment['enrolment_id']}/end"
        ended = (await post(end, {"outcome": "completed", "hours_attended": 76, "certificate": True}, 200)).json()
        assert ended["outcome"] == "completed" and ended["ended_at"] is not None
        conflict = await post(
            end, {"outcome": "dropped_out", "hours_attended": 3, "drop_out_reason": "moved_away"}, 409
        )
        assert conflict.headers["content-type"] == "application/problem+json"
        await post(f"/training/{dropped['enrolment_id']}/end", {"outcome": "dropped_out", "hours_attended": 3}, 422)
        await post(
            f"/training/{dropped['enrolment_id']}/end",
            {"outcome": "dropped_out", "hours_attended": 3, "drop_out_reason": "found_work"},
            200,
        )
        await post(f"/training/{uuid.uuid4()}/end", {"outcome": "completed", "hours_attended": 1}, 404)
        await post(
            "/training",
            {"course_type": "digital", "language": "it", "planned_hours": 5, "starts_on": "2026-09-01"},
            422,
        )
        await post("/training", {"course_type": "knitting", "planned_hours": 5, "starts_on": "2026-09-01"}, 422)

        session = {
            "kind": "tutoring",
            "held_on": datetime.now(UTC).date().isoformat(),
            "minutes": 45,
            "notes": f"notes {marker}",
        }
        recorded = await post("/guidance-sessions", session, key="g-1")
        assert marker not in recorded.text  # nor in the stored first response
        future = {**session, "held_on": (datetime.now(UTC).date() + timedelta(days=30)).isoformat()}
        assert "held_on" in (await post("/guidance-sessions", future, 422)).json()["detail"]

        lists = {
            path: (await client.get(f"{base}{path}", headers=intake.auth("auditor"))).json()
            for path in ("/assessments", "/training", "/guidance-sessions")
        }
        assert [a["kind"] for a in lists["/assessments"]] == ["skills", "language"]
        assert [e["outcome"] for e in lists["/training"]] == ["completed", "dropped_out"]
        assert lists["/guidance-sessions"][0]["notes"] == f"notes {marker}"
        export = (await client.get(f"{base}/export", headers=intake.auth())).json()
        assert len(export["assessments"]) == 2 and len(export["training"]) == 2
        assert export["guidance_sessions"][0]["notes"] == f"notes {marker}"
        trail = await client.get("/audit", params={"participant_id": participant_id}, headers=intake.auth("auditor"))
        actions = [r["action"] for r in trail.json()["items"]]
        for action in ("assessment.skills", "assessment.language", "training.enrol", "training.end", "guidance.record"):
            assert action in actions
        assert {"assessments.read", "training.read", "guidance.read"} <= set(actions)

        assert (await client.delete(base, headers=intake.auth())).status_code == 204
        assert (await client.get(f"{base}/training", headers=intake.auth())).status_code == 404
        await post("/training", {"course_type": "digital", "planned_hours": 5, "starts_on": "2026-09-01"}, 404)

    conn = await asyncpg.connect(intake.database_url)
    try:
        pid = uuid.UUID(participant_id)
        for table in ("assessments", "training_enrolments", "guidance_sessions"):
            assert await conn.fetchval(f"SELECT count(*) FROM {table} WHERE participant_id = $1", pid) == 0
        blanked = await conn.fetchrow("SELECT fingerprint, status, body FROM mile_idempotency WHERE key = 'g-1'")
        assert tuple(blanked) == ("", 410, "null")  # the session's response and its request's hash are gone
    finally:
        await conn.close()

    # registered, 2 assessments + 1 profile snapshot, 2 enrolled, 2 ended, 1 session, erased
    records = await read_topic(kafka_bootstrap, participants_topic(intake.city), expect=10)
    events = [
        (dict(r.headers)["ce_type"].decode().split(".")[3], json.loads(r.value))
        for r in records
        if r.key == participant_id.encode()
    ]
    assert [kind for kind, _ in events] == [
        "participant_registered",
        "assessment_completed",
        "assessment_completed",
        "participant_profile_updated",
        "training_enrolled",
        "training_enrolled",
        "training_ended",
        "training_ended",
        "guidance_session_recorded",
        "participant_erased",
    ]
    payloads = [payload for _, payload in events]
    assert payloads[1]["sections"] == ["languages", "work_experience"]
    assert payloads[2]["kind"] == "language" and payloads[2]["languages"] == []  # levels only with statistics consent
    assert payloads[3]["profile"] is None  # the snapshot is fail-closed: no matching consent
    assert payloads[4]["course_type"] == "host_language" and payloads[4]["language"] == "it"
    assert (payloads[6]["outcome"], payloads[6]["certificate"], payloads[6]["hours_attended"]) == (
        "completed",
        True,
        76,
    )
    assert (payloads[7]["outcome"], payloads[7]["drop_out_reason"]) == ("dropped_out", "found_work")
    assert payloads[8]["minutes"] == 45
    assert not [r for r in records if marker.encode() in r.value]  # notes never travel


async def test_a_language_reassessment_reaches_matching_and_reporting_with_consent(
    intake: Intake, kafka_bootstrap: str
) -> None:
    consents = ("case_management", "matching", "statistics")
    async with httpx.AsyncClient(base_url=intake.url) as client:
        participant_id = (await intake.register(client, _someone(consents)))["participant_id"]
        levels = {"listening": "B2", "reading": "B1", "speaking": "B2", "writing": "B1"}
        body = {
            "assessor": "L. Bianchi",
            "completed_at": datetime.now(UTC).isoformat(),
            "languages": [{"language": "en", **levels}, {"language": "it", **levels}],
        }
        response = await client.post(
            f"/participants/{participant_id}/assessments/language", json=body, headers=intake.auth()
        )
        assert response.status_code == 201, response.text
        repeated = {**body, "languages": [body["languages"][0], body["languages"][0]]}
        again = await client.post(
            f"/participants/{participant_id}/assessments/language", json=repeated, headers=intake.auth()
        )
        assert again.status_code == 422, again.text

    records = await read_topic(kafka_bootstrap, participants_topic(intake.city), expect=3)
    completed = next(
        json.loads(r.value)
        for r in records
        if r.key == participant_id.encode() and dict(r.headers)["ce_type"].endswith(b"assessment_completed.v1")
    )
    assert [(e["language"], e["speaking"]) for e in completed["languages"]] == [("en", "B2"), ("it", "B2")]
    snapshot = next(
        json.loads(r.value)
        for r in records
        if r.key == participant_id.encode() and dict(r.headers)["ce_type"].endswith(b"participant_profile_updated.v1")
    )
    assert [(e["language"], e["speaking"], e["tested"]) for e in snapshot["profile"]["languages"]] == [
        ("it", "B2", True),
        ("en", "B2", True),
    ]


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "1899-12-31T23:00:00Z"])
async def test_a_time_out_of_bounds_is_a_422_naming_the_field(intake: Intake, when: str) -> None:
    """Converting such a time to UTC would overflow: refused as input, never a 500."""
    async with httpx.AsyncClient(base_url=intake.url) as client:
        participant_id = (await intake.register(client, _someone(("case_management",))))["participant_id"]
        base = f"/participants/{participant_id}/assessments"
        level = {"listening": "B1", "reading": "A2", "speaking": "B1", "writing": "A2"}
        for path, body in (
            ("skills", {"assessor": "N. Rossi", "completed_at": when, "sections": ["skills"]}),
            ("language", {"assessor": "N. Rossi", "completed_at": when, "languages": [{"language": "it", **level}]}),
        ):
            response = await client.post(f"{base}/{path}", json=body, headers=intake.auth())
            assert response.status_code == 422, response.text
            assert "completed_at" in response.json()["detail"]
        for name in ("created_from", "created_before"):
            listed = await client.get("/participants", params={name: when}, headers=intake.auth())
            assert listed.status_code == 422 and name in listed.json()["detail"], listed.text


async def test_a_time_with_an_offset_is_held_and_announced_in_utc(intake: Intake, kafka_bootstrap: str) -> None:
    async with httpx.AsyncClient(base_url=intake.url) as client:
        participant_id = (await intake.register(client, _someone(("case_management",))))["participant_id"]
        body = {"assessor": "N. Rossi", "completed_at": "2026-01-10T23:30:00-02:00", "sections": ["skills"]}
        response = await client.post(
            f"/participants/{participant_id}/assessments/skills", json=body, headers=intake.auth()
        )
        assert response.status_code == 201, response.text
    assert datetime.fromisoformat(response.json()["completed_at"]) == datetime(2026, 1, 11, 1, 30, tzinfo=UTC)
    records = await read_topic(kafka_bootstrap, participants_topic(intake.city), expect=2)
    completed = next(
        json.loads(r.value) for r in records if dict(r.headers)["ce_type"].endswith(b"assessment_completed.v1")
    )
    assert datetime.fromisoformat(completed["completed_at"]) == datetime(2026, 1, 11, 1, 30, tzinfo=UTC)
