"""Employers and vacancy updates over real HTTP: liaisons only, each city sees its own."""

import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from mile_devstack.tokens import DevIssuer
from mile_schemas import VACANCIES, EmployerRegistered, VacancyUpdated

from .conftest import CITY
from .helpers import find_event

pytestmark = pytest.mark.integration


def _auth(issuer: DevIssuer, site: str = CITY, *roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issuer.token(site=site, roles=roles or ('employer_liaison',))}"}


def _employer(**fields: Any) -> dict[str, Any]:
    return {
        "name": "Idraulica Lombarda S.r.l.",
        "nace": "F43.2",
        "municipality": "Sesto San Giovanni",
        "contact": {"person": "Giulia Rossi", "email": "giulia@idraulica.example", "phone": "+39 02 1234567"},
    } | fields


def _vacancy(employer_id: str, skill: str) -> dict[str, Any]:
    return {
        "employer_id": employer_id,
        "city": CITY,
        "kind": "job",
        "title": "Plumber",
        "isco08": "7126",
        "essential_skills": [skill],
        "municipality": "Sesto San Giovanni",
        "positions": 1,
        "hours_per_week": 30,
        "start_date": "2026-04-01",
    }


async def test_a_liaison_registers_an_employer_whose_contact_never_leaves_matching(
    matching_url: str, issuer: DevIssuer, kafka_bootstrap: str
) -> None:
    async with httpx.AsyncClient(base_url=matching_url) as http:
        created = await http.post("/employers", json=_employer(), headers=_auth(issuer))
        assert created.status_code == 201, created.text
        employer = created.json()
        assert employer["city"] == CITY and employer["contact"]["person"] == "Giulia Rossi"

        read = await http.get(f"/employers/{employer['employer_id']}", headers=_auth(issuer))
        assert read.json() == employer
        listed = await http.get("/employers", headers=_auth(issuer))
        assert employer in listed.json()

        # Another city's liaison neither reads nor lists it.
        other = _auth(issuer, "athens")
        assert (await http.get(f"/employers/{employer['employer_id']}", headers=other)).status_code == 404
        assert employer not in (await http.get("/employers", headers=other)).json()

    event = await find_event(
        kafka_bootstrap,
        VACANCIES,
        lambda e: isinstance(e, EmployerRegistered) and str(e.employer_id) == employer["employer_id"],
    )
    assert event.model_dump(mode="json") == {
        "employer_id": employer["employer_id"],
        "city": CITY,
        "organisation": "Idraulica Lombarda S.r.l.",
        "nace": "F43.2",
        "municipality": "Sesto San Giovanni",
        "registered_at": event.model_dump(mode="json")["registered_at"],
    }


async def test_employers_need_a_liaison_token_and_valid_fields(matching_url: str, issuer: DevIssuer) -> None:
    async with httpx.AsyncClient(base_url=matching_url) as http:
        assert (await http.post("/employers", json=_employer())).status_code == 401
        caseworker = _auth(issuer, CITY, "caseworker")
        assert (await http.post("/employers", json=_employer(), headers=caseworker)).status_code == 403
        bad = await http.post("/employers", json=_employer(nace="43.2"), headers=_auth(issuer))
        assert bad.status_code == 422
        assert bad.headers["content-type"].startswith("application/problem+json")
        assert "nace" in bad.text


async def test_a_liaison_updates_an_open_vacancy_and_the_change_is_published(
    matching_url: str, issuer: DevIssuer, kafka_bootstrap: str, employer: str
) -> None:
    skill = f"skill-{uuid.uuid4()}"
    async with httpx.AsyncClient(base_url=matching_url) as http:
        opened = (await http.post("/vacancies", json=_vacancy(employer, skill), headers=_auth(issuer))).json()
        path = f"/vacancies/{opened['vacancy_id']}"

        changed = await http.patch(path, json={"positions": 3, "hours_per_week": 25}, headers=_auth(issuer))
        assert changed.status_code == 200, changed.text
        body = changed.json()
        assert (body["positions"], body["hours_per_week"], body["title"]) == (3, 25, "Plumber")
        assert body["updated_at"] is not None
        assert (await http.get(path, headers=_auth(issuer))).json() == body

        # Coordinates still travel together, required fields cannot be cleared, unknown fields are refused.
        half = await http.patch(path, json={"latitude": 45.5}, headers=_auth(issuer))
        assert half.status_code == 422 and "latitude" in half.text
        assert (await http.patch(path, json={"title": None}, headers=_auth(issuer))).status_code == 422
        assert (await http.patch(path, json={"filled": 2}, headers=_auth(issuer))).status_code == 422

        # Only a liaison of the vacancy's city may change it.
        assert (await http.patch(path, json={"positions": 1}, headers=_auth(issuer, "athens"))).status_code == 404
        assert (await http.patch(path, json={"positions": 1})).status_code == 401

        closed = await http.post(f"{path}/close", json={"reason": "withdrawn_by_employer"}, headers=_auth(issuer))
        assert closed.status_code == 200
        assert (await http.patch(path, json={"positions": 1}, headers=_auth(issuer))).status_code == 409

    event = await find_event(
        kafka_bootstrap,
        VACANCIES,
        lambda e: isinstance(e, VacancyUpdated) and str(e.vacancy_id) == opened["vacancy_id"],
    )
    assert (event.positions, event.hours_per_week, event.essential_skills) == (3, 25, (skill,))


async def test_positions_never_drop_below_those_filled(
    matching_url: str, issuer: DevIssuer, matching_database: str, employer: str
) -> None:
    async with httpx.AsyncClient(base_url=matching_url, headers=_auth(issuer)) as http:
        opened = (await http.post("/vacancies", json=_vacancy(employer, "x") | {"positions": 2})).json()
        conn = await asyncpg.connect(matching_database)
        try:
            await conn.execute("UPDATE vacancies SET filled = 2 WHERE id = $1", uuid.UUID(opened["vacancy_id"]))
        finally:
            await conn.close()
        refused = await http.patch(f"/vacancies/{opened['vacancy_id']}", json={"positions": 1}, headers=_auth(issuer))
        assert refused.status_code == 409
        assert "below the 2 already filled" in refused.text
