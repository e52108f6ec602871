"""Batch assignment over real HTTP: one proposal per participant, no vacancy past its room,
each proposal published as MatchProposed."""

import random
import uuid

import httpx
import pycountry
import pytest

from mile_devstack.tokens import DevIssuer
from mile_schemas import MATCHES, MatchProposed, ParticipantRegistered

from .conftest import CITY, Publish
from .helpers import eventually, find_event
from .test_matching_flow import _registered, _skill, _token, _vacancy


def _speaking(person: uuid.UUID, language: str) -> ParticipantRegistered:
    """A candidate who speaks only ``language`` (B1), a language of this run only."""
    event = _registered(person, _skill())
    assert event.profile is not None
    spoken = event.profile.languages[0].model_copy(update={"language": language})
    return event.model_copy(update={"profile": event.profile.model_copy(update={"languages": (spoken,)})})


pytestmark = pytest.mark.integration


async def test_a_batch_proposes_each_participant_once_within_capacity(
    matching_url: str, publish: Publish, issuer: DevIssuer, kafka_bootstrap: str, employer: str, liaison: dict[str, str]
) -> None:
    manager = _token(issuer, CITY, "programme_manager")
    # Candidates other runs left on a shared broker never speak this run's language.
    language = random.choice(sorted(lang.alpha_2 for lang in pycountry.languages if hasattr(lang, "alpha_2")))
    speaks = {"languages": [{"language": language, "min_level": "A2"}]}
    async with httpx.AsyncClient(base_url=matching_url) as http:
        # Essential skills nobody has: the candidates stay below the automatic proposals' threshold.
        one = (
            await http.post("/vacancies", json=_vacancy(employer, _skill(), positions=1, **speaks), headers=liaison)
        ).json()
        two = (
            await http.post(
                "/vacancies", json=_vacancy(employer, _skill(), positions=2, isco08="7127", **speaks), headers=liaison
            )
        ).json()
        people = [uuid.uuid4() for _ in range(5)]
        for person in people:
            await publish(_speaking(person, language))

        async def all_arrived() -> bool | None:
            response = await http.get(
                f"/vacancies/{one['vacancy_id']}/candidates", params={"limit": 200, "city": CITY}, headers=manager
            )
            seen = {c["participant_id"] for c in response.json()}
            return True if {str(p) for p in people} <= seen else None

        await eventually(all_arrived)

        forbidden = await http.post("/assignments", json={"cities": [CITY]}, headers=_token(issuer, CITY))
        assert forbidden.status_code == 403
        other = await http.post(
            "/assignments", json={"cities": [CITY]}, headers=_token(issuer, "athens", "programme_manager")
        )
        assert other.status_code == 403
        bad = await http.post("/assignments", json={"cities": [CITY], "min_refugee_share": 2}, headers=manager)
        assert bad.status_code == 422 and "min_refugee_share" in bad.text

        done = await http.post("/assignments", json={"cities": [CITY], "min_score": 0.0}, headers=manager)
        assert done.status_code == 200, done.text
        plan = done.json()
        assert plan["proposed"] == 3 == len(plan["proposals"])
        chosen = [p["participant_id"] for p in plan["proposals"]]
        assert len(set(chosen)) == 3 and set(chosen) <= {str(p) for p in people}
        per_vacancy = {
            v: sum(p["vacancy_id"] == v for p in plan["proposals"]) for v in (one["vacancy_id"], two["vacancy_id"])
        }
        assert per_vacancy == {one["vacancy_id"]: 1, two["vacancy_id"]: 2}

        # Every position now has a proposal waiting: a second batch proposes nobody.
        again = await http.post("/assignments", json={"cities": [CITY], "min_score": 0.0}, headers=manager)
        assert again.json()["proposed"] == 0

    first = plan["proposals"][0]
    event = await find_event(
        kafka_bootstrap, MATCHES, lambda e: isinstance(e, MatchProposed) and str(e.match_id) == first["match_id"]
    )
    assert str(event.participant_id) == first["participant_id"] and event.reasons
