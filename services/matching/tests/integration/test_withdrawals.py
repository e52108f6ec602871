"""A waiting proposal that a change makes ineligible is withdrawn: decided ``rejected`` with
reason ``no_longer_eligible`` by matching itself and published as ``MatchDecided`` on the real
broker, whether the vacancy's requirements changed, the participant's profile changed, or the
participant was placed elsewhere. Proposals that still qualify stay."""

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from mile_schemas import MATCHES, CandidateProfile, MatchDecided, ParticipantProfileUpdated, PlacementStarted

from .conftest import CITY, Publish
from .helpers import eventually, find_event
from .test_matching_flow import _proposal, _registered, _skill, _vacancy

pytestmark = pytest.mark.integration


async def _withdrawn(http: httpx.AsyncClient, match_id: str, headers: dict[str, str], bootstrap: str) -> None:
    """The match shows as withdrawn, and its ``MatchDecided`` is on the matches topic."""

    async def decided() -> dict[str, Any] | None:
        match = (await http.get(f"/matches/{match_id}", headers=headers)).json()
        return match if match["status"] != "proposed" else None

    match = await eventually(decided)
    assert (match["status"], match["decision_reason"]) == ("rejected", "no_longer_eligible")
    event = await find_event(bootstrap, MATCHES, lambda e: isinstance(e, MatchDecided) and str(e.match_id) == match_id)
    assert isinstance(event, MatchDecided)
    assert (event.decision, event.reason, str(event.vacancy_id)) == (
        "rejected",
        "no_longer_eligible",
        match["vacancy_id"],
    )


async def test_a_vacancy_change_withdraws_the_proposals_it_excludes(
    matching_url: str,
    publish: Publish,
    kafka_bootstrap: str,
    employer: str,
    liaison: dict[str, str],
    caseworker: dict[str, str],
) -> None:
    participant, skill = uuid.uuid4(), _skill()
    await publish(_registered(participant, skill))
    async with httpx.AsyncClient(base_url=matching_url) as http:
        vacancy = (await http.post("/vacancies", json=_vacancy(employer, skill), headers=liaison)).json()
        match = await _proposal(http, vacancy["vacancy_id"], participant, caseworker)
        path = f"/vacancies/{vacancy['vacancy_id']}"

        # A change the participant still qualifies for leaves the proposal waiting.
        assert (await http.patch(path, json={"hours_per_week": 25}, headers=liaison)).status_code == 200
        assert (await http.get(f"/matches/{match['match_id']}", headers=caseworker)).json()["status"] == "proposed"

        # Tigrinya C1 now required; the participant has B1.
        stricter = {"languages": [{"language": "ti", "min_level": "C1"}]}
        assert (await http.patch(path, json=stricter, headers=liaison)).status_code == 200
        await _withdrawn(http, match["match_id"], caseworker, kafka_bootstrap)
        # Withdrawn is decided: a caseworker can no longer accept it.
        late = await http.post(
            f"/matches/{match['match_id']}/decision", json={"decision": "accepted"}, headers=caseworker
        )
        assert late.status_code == 409


async def test_a_profile_update_withdraws_the_proposals_it_no_longer_qualifies_for(
    matching_url: str,
    publish: Publish,
    kafka_bootstrap: str,
    employer: str,
    liaison: dict[str, str],
    caseworker: dict[str, str],
) -> None:
    participant, skill = uuid.uuid4(), _skill()
    registered = _registered(participant, skill)
    await publish(registered)
    async with httpx.AsyncClient(base_url=matching_url) as http:
        vacancy = (await http.post("/vacancies", json=_vacancy(employer, skill), headers=liaison)).json()
        match = await _proposal(http, vacancy["vacancy_id"], participant, caseworker)

        assert registered.profile is not None
        expired = CandidateProfile.model_validate(
            registered.profile.model_dump(mode="json") | {"work_permit": {"scope": "none"}}
        )
        await publish(
            ParticipantProfileUpdated(
                participant_id=participant, city=CITY, updated_at=datetime.now(UTC), profile=expired
            )
        )
        await _withdrawn(http, match["match_id"], caseworker, kafka_bootstrap)


async def test_a_placement_elsewhere_withdraws_the_participants_other_proposals(
    matching_url: str,
    publish: Publish,
    kafka_bootstrap: str,
    employer: str,
    liaison: dict[str, str],
    caseworker: dict[str, str],
) -> None:
    participant, skill = uuid.uuid4(), _skill()
    await publish(_registered(participant, skill))
    async with httpx.AsyncClient(base_url=matching_url) as http:
        here = (await http.post("/vacancies", json=_vacancy(employer, skill), headers=liaison)).json()
        there = (await http.post("/vacancies", json=_vacancy(employer, skill), headers=liaison)).json()
        taken = await _proposal(http, here["vacancy_id"], participant, caseworker)
        waiting = await _proposal(http, there["vacancy_id"], participant, caseworker)
        accepted = await http.post(
            f"/matches/{taken['match_id']}/decision", json={"decision": "accepted"}, headers=caseworker
        )
        assert accepted.status_code == 200

        await publish(
            PlacementStarted(
                placement_id=uuid.uuid4(),
                match_id=uuid.UUID(taken["match_id"]),
                vacancy_id=uuid.UUID(here["vacancy_id"]),
                participant_id=participant,
                city=CITY,
                kind="work_experience",
                started_at=datetime.now(UTC),
            )
        )
        await _withdrawn(http, waiting["match_id"], caseworker, kafka_bootstrap)
        assert (await http.get(f"/matches/{taken['match_id']}", headers=caseworker)).json()["status"] == "accepted"
