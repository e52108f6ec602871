"""The city's own participants, listed pseudonymously with filters and cursor pagination."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from mile_devstack.demo import CLEANER, COOK, PLUMBER, Person, participant_request

from .conftest import Intake, random_city

pytestmark = pytest.mark.integration

PEOPLE = [
    (Person("Amina", "Yusuf", "1994-03-02", "female", "NG", "refugee", PLUMBER, 3), "it"),
    (Person("Tesfaye", "Bekele", "1988-11-20", "male", "ER", "subsidiary_protection", COOK, 6), "de"),
    (Person("Omar", "Haddad", "1991-01-30", "male", "SY", "refugee", CLEANER, 4), "de"),
]


async def test_listing_pages_and_filters_without_revealing_names(intake: Intake) -> None:
    async with httpx.AsyncClient(base_url=intake.url) as client:
        ids = []
        for person, language in PEOPLE:
            body = participant_request(person, host_language=language)
            response = await client.post("/participants", json=body, headers=intake.auth())
            ids.append(response.json()["participant_id"])

        async def page(role: str = "caseworker", **params: str | int) -> dict:
            response = await client.get("/participants", params=params, headers=intake.auth(role))
            assert response.status_code == 200, response.text
            assert "Amina" not in response.text and "Yusuf" not in response.text
            return response.json()

        first = await page(limit=2)
        second = await page(limit=2, cursor=first["next_cursor"])
        assert [p["participant_id"] for p in first["items"] + second["items"]] == ids
        assert second["next_cursor"] is None
        assert [p["participant_id"] for p in (await page(legal_status="refugee"))["items"]] == [ids[0], ids[2]]
        assert [p["participant_id"] for p in (await page(language="de"))["items"]] == [ids[1], ids[2]]
        assert [p["participant_id"] for p in (await page(language="de", legal_status="refugee"))["items"]] == [ids[2]]
        tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        assert (await page(created_from=tomorrow))["items"] == []
        assert len((await page("programme_manager", created_before=tomorrow, status="registered"))["items"]) == 3

        bad = await client.get("/participants", params={"cursor": "bm90LWEtY3Vyc29y"}, headers=intake.auth())
        assert bad.status_code == 422 and "cursor" in bad.json()["detail"]
        nul = await client.get("/participants", params={"status": "regis\x00tered"}, headers=intake.auth())
        assert nul.status_code == 422 and nul.json()["detail"] == "Invalid fields: status", nul.text
        body = participant_request(PEOPLE[0][0], host_language="it")
        body["profile"]["municipality"] = "Cen\x00tro"
        refused = await client.post("/participants", json=body, headers=intake.auth())
        assert refused.status_code == 422 and refused.json()["detail"] == "Invalid fields: profile.municipality"
        assert len((await page(limit=10))["items"]) == 3  # nothing half-written
        other_city = await client.get("/participants", headers=intake.auth(site=random_city()))
        assert other_city.status_code == 403
        assert (await client.get("/participants", headers=intake.auth("employer_liaison"))).status_code == 403
        assert (await client.get("/participants")).status_code == 401
