"""Consent per purpose: given, withdrawn, expired, against a notice version; fail-closed publishing."""

import json

import httpx
import pytest

from mile_devstack.demo import PLUMBER, Person
from mile_devstack.topics import read_topic
from mile_schemas import participants_topic

from .conftest import Intake

pytestmark = pytest.mark.integration

FARIDA = Person("Farida", "Rahimi", "1999-07-14", "female", "AF", "refugee", PLUMBER, 2, "A2")


async def test_consent_lifecycle_is_recorded_and_published_fail_closed(intake: Intake, kafka_bootstrap: str) -> None:
    async with httpx.AsyncClient(base_url=intake.url) as client:
        participant_id = (await intake.register(client, FARIDA))["participant_id"]
        url = f"/participants/{participant_id}/consents"

        async def decide(purpose: str, status: str, key: str, notice: str = "2026-02") -> dict:
            body = {"purpose": purpose, "status": status, "notice_version": notice}
            response = await client.post(url, json=body, headers={**intake.auth(), "Idempotency-Key": key})
            assert response.status_code == 201, response.text
            return response.json()

        withdrawn = await decide("matching", "withdrawn", "c1")
        assert withdrawn["consents"] == ["case_management", "statistics"]
        assert await decide("matching", "withdrawn", "c1") == withdrawn  # a repeat returns the first answer
        expired = await decide("statistics", "expired", "c2")
        assert expired["consents"] == ["case_management"]
        given = await decide("matching", "given", "c3", notice="2026-03")
        assert given["consents"] == ["case_management", "matching"] and given["notice_version"] == "2026-03"
        assert [(h["purpose"], h["status"]) for h in given["history"]] == [
            ("case_management", "given"),
            ("matching", "given"),
            ("statistics", "given"),
            ("matching", "withdrawn"),
            ("statistics", "expired"),
            ("matching", "given"),
        ]
        bad = await client.post(
            url, json={"purpose": "marketing", "status": "given", "notice_version": "x"}, headers=intake.auth()
        )
        assert bad.status_code == 422 and "purpose" in bad.json()["detail"]

        export = (await client.get(f"/participants/{participant_id}/export", headers=intake.auth())).json()
        assert len(export["consent_history"]) == 6
        trail = await client.get("/audit", params={"participant_id": participant_id}, headers=intake.auth("auditor"))
        assert [r["action"] for r in trail.json()["items"]][1:4] == [
            "consent.withdrawn",
            "consent.expired",
            "consent.given",
        ]

    records = await read_topic(kafka_bootstrap, participants_topic(intake.city), expect=4)
    changes = [
        json.loads(r.value)
        for r in records
        if r.key == participant_id.encode() and dict(r.headers)["ce_type"] == b"eu.mile.intake.consent_changed.v1"
    ]
    assert [(c["purpose"], c["status"]) for c in changes] == [
        ("matching", "withdrawn"),
        ("statistics", "expired"),
        ("matching", "given"),
    ]
    assert changes[0]["profile"] is None and changes[1]["statistics"] is None  # withdrawal carries nothing
    assert changes[2]["profile"]["experience"][0]["isco08"] == PLUMBER and changes[2]["notice_version"] == "2026-03"
