"""Ranking both ways over real HTTP: vacancies for a participant of the caller's city, paged,
and a placed participant ranked nowhere."""

import uuid
from datetime import UTC, datetime

import httpx
import pytest

from mile_devstack.tokens import DevIssuer
from mile_schemas import PlacementStarted

from .conftest import CITY, Publish
from .helpers import eventually
from .test_matching_flow import _registered, _skill, _token, _vacancy

pytestmark = pytest.mark.integration


async def test_a_participants_vacancies_ranked_paged_and_gone_once_placed(
    matching_url: str, publish: Publish, issuer: DevIssuer, employer: str, liaison: dict[str, str]
) -> None:
    skill, participant = _skill(), uuid.uuid4()
    milan, athens = _token(issuer, CITY), _token(issuer, "athens")
    async with httpx.AsyncClient(base_url=matching_url) as http:
        exact = (await http.post("/vacancies", json=_vacancy(employer, skill), headers=liaison)).json()
        near = (
            await http.post(
                "/vacancies", json=_vacancy(employer, skill, isco08="7127", title="Fitter"), headers=liaison
            )
        ).json()
        await publish(_registered(participant, skill))
        path = f"/candidates/{participant}/vacancies"

        async def ranked() -> list[dict[str, object]] | None:
            response = await http.get(path, params={"city": CITY, "limit": 200}, headers=milan)
            if response.status_code != 200:
                return None
            ours = [v for v in response.json() if v["vacancy_id"] in {exact["vacancy_id"], near["vacancy_id"]}]
            return ours if len(ours) == 2 else None

        both = await eventually(ranked)
        assert [v["vacancy_id"] for v in both] == [exact["vacancy_id"], near["vacancy_id"]]
        assert both[0]["reasons"][0] == "ISCO 7126: exact match, 3 years"
        assert both[1]["reasons"][0] == "ISCO 7126: same minor group 712, 3 years"
        assert both[0]["score"] > both[1]["score"]

        everything = (await http.get(path, params={"limit": 200}, headers=milan)).json()
        assert [v["rank"] for v in everything] == list(range(1, len(everything) + 1))
        second = (await http.get(path, params={"limit": 1, "offset": 1}, headers=milan)).json()
        assert second == [everything[1] | {"rank": 2}]

        # Another city's caseworker cannot look at Milan's participant; nobody without a token can.
        assert (await http.get(path, headers=athens)).status_code == 404
        assert (await http.get(path)).status_code == 401
        bad = await http.get(path, params={"limit": 0}, headers=milan)
        assert bad.status_code == 422 and "limit" in bad.text

        placement = PlacementStarted(
            placement_id=uuid.uuid4(),
            match_id=uuid.uuid4(),
            vacancy_id=uuid.UUID(exact["vacancy_id"]),
            participant_id=participant,
            city=CITY,
            kind="work_experience",
            started_at=datetime.now(UTC),
        )
        await publish(placement)

        async def nothing_left() -> bool | None:
            remaining = (await http.get(path, params={"city": CITY, "limit": 200}, headers=milan)).json()
            return True if not remaining else None

        await eventually(nothing_left)
        candidates = (
            await http.get(
                f"/vacancies/{near['vacancy_id']}/candidates", params={"city": CITY, "limit": 200}, headers=milan
            )
        ).json()
        assert str(participant) not in {c["participant_id"] for c in candidates}
