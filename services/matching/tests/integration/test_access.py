"""Who may call what in matching: every endpoint refuses a missing token (401), a role it does
not serve (403), and answers another city's employer, vacancy, candidate or proposal as absent
(404), leaving it unchanged."""

import uuid
from typing import Any

import httpx
import pytest

from mile_devstack.tokens import DevIssuer

from .conftest import CITY, Publish
from .test_matching_flow import _proposal, _registered, _skill, _vacancy

pytestmark = pytest.mark.integration

OTHER = "athens"


def _as(issuer: DevIssuer, site: str, *roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issuer.token(site=site, roles=list(roles))}"}


async def test_every_endpoint_checks_the_token_its_role_and_its_city(
    matching_url: str,
    publish: Publish,
    issuer: DevIssuer,
    employer: str,
    liaison: dict[str, str],
    caseworker: dict[str, str],
) -> None:
    participant, skill = uuid.uuid4(), _skill()
    await publish(_registered(participant, skill))
    async with httpx.AsyncClient(base_url=matching_url) as http:
        vacancy = (await http.post("/vacancies", json=_vacancy(employer, skill), headers=liaison)).json()
        match = await _proposal(http, vacancy["vacancy_id"], participant, caseworker)
        v, m = vacancy["vacancy_id"], match["match_id"]

        no_role = _as(issuer, CITY)
        other_liaison = _as(issuer, OTHER, "employer_liaison")
        other_caseworker = _as(issuer, OTHER, "caseworker")
        other_admin = _as(issuer, OTHER, "admin")
        close = {"reason": "withdrawn_by_employer"}
        employer_body = {"name": "Other S.A.", "nace": "I56", "municipality": "Milano"}
        # (method, path, body, a token of the tests' city without the right role, status for another city's token)
        cases: list[tuple[str, str, dict[str, Any] | None, dict[str, str], tuple[dict[str, str], int] | None]] = [
            ("POST", "/vacancies", _vacancy(employer, skill), caseworker, (other_liaison, 403)),
            ("GET", f"/vacancies/{v}", None, no_role, None),
            ("PATCH", f"/vacancies/{v}", {"positions": 2}, caseworker, (other_liaison, 404)),
            ("PATCH", f"/vacancies/{v}", {"positions": 2}, caseworker, (other_admin, 404)),
            ("POST", f"/vacancies/{v}/close", close, caseworker, (other_liaison, 404)),
            ("GET", f"/vacancies/{v}/candidates", None, no_role, None),
            ("GET", f"/candidates/{participant}/vacancies", None, no_role, (other_caseworker, 404)),
            ("GET", "/matches", None, no_role, None),
            ("GET", f"/matches/{m}", None, no_role, (other_caseworker, 404)),
            ("POST", f"/matches/{m}/decision", {"decision": "accepted"}, liaison, (other_caseworker, 404)),
            ("POST", f"/matches/{m}/decision", {"decision": "accepted"}, liaison, (other_admin, 404)),
            ("POST", "/employers", employer_body, caseworker, None),
            ("GET", "/employers", None, caseworker, None),
            ("GET", f"/employers/{employer}", None, caseworker, (other_liaison, 404)),
            ("POST", "/assignments", {"cities": [CITY]}, caseworker, (_as(issuer, OTHER, "programme_manager"), 403)),
        ]
        for method, path, body, wrong_role, elsewhere in cases:
            unauthenticated = await http.request(method, path, json=body)
            assert unauthenticated.status_code == 401, (method, path)
            assert unauthenticated.headers["content-type"] == "application/problem+json"
            assert unauthenticated.headers["www-authenticate"].startswith("Bearer")
            forged = await http.request(method, path, json=body, headers={"Authorization": "Bearer not-a-jwt"})
            assert forged.status_code == 401, (method, path)
            refused = await http.request(method, path, json=body, headers=wrong_role)
            assert refused.status_code == 403, (method, path, refused.text)
            if elsewhere is not None:
                headers, expected = elsewhere
                answered = await http.request(method, path, json=body, headers=headers)
                assert answered.status_code == expected, (method, path, answered.text)

        # Another city's caller sees none of Milan's proposals in a list either.
        assert (await http.get("/matches", params={"vacancy_id": v}, headers=other_caseworker)).json() == []
        # Nothing above changed anything.
        assert (await http.get(f"/vacancies/{v}", headers=liaison)).json() == vacancy
        assert (await http.get(f"/matches/{m}", headers=caseworker)).json() == match


async def test_a_vacancy_needs_a_registered_employer_of_its_city(
    matching_url: str, issuer: DevIssuer, employer: str, liaison: dict[str, str]
) -> None:
    other_liaison = _as(issuer, OTHER, "employer_liaison")
    async with httpx.AsyncClient(base_url=matching_url) as http:
        theirs = await http.post(
            "/employers", json={"name": "Taverna", "nace": "I56", "municipality": "Athina"}, headers=other_liaison
        )
        for unknown in (str(uuid.uuid4()), theirs.json()["employer_id"]):
            refused = await http.post("/vacancies", json=_vacancy(unknown, _skill()), headers=liaison)
            assert refused.status_code == 422, refused.text
            assert refused.headers["content-type"] == "application/problem+json"
            assert "employer_id" in refused.json()["detail"]
        # The other city's liaison cannot open a place for a Milan employer under Athens either.
        crossed = await http.post(
            "/vacancies", json=_vacancy(employer, _skill()) | {"city": OTHER}, headers=other_liaison
        )
        assert crossed.status_code == 422 and "employer_id" in crossed.json()["detail"]
        assert (await http.post("/vacancies", json=_vacancy(employer, _skill()), headers=liaison)).status_code == 201
