"""A placement's whole life over HTTP: terms, tutoring, feedback, end, and a year of follow-ups
on the service's clock; the due list per city; erasure stops follow-ups and drops notes."""

import asyncio
import uuid
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from mile_schemas import (
    FollowUpDue,
    FollowUpMissed,
    FollowUpRecorded,
    ParticipantErased,
    PlacementConfirmed,
    TutoringSessionRecorded,
    VacancyKind,
)

from .running import RunningPlacement
from .test_placements import (
    _accepted,
    _assert_problem,
    _events_of,
    _eventually,
    _kind_known,
    _placement_for,
    _vacancy,
)

pytestmark = pytest.mark.integration
TUTOR = "7d1e4a2b-6c3f-4b8e-9a5d-0e2f1c3b4a6d"
EMPLOYED = {
    "employed": True,
    "same_employer": True,
    "contract_type": "fixed_term",
    "hours_band": "30_or_more",
    "in_education_or_training": False,
}


async def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def _started(placement: RunningPlacement, participant: uuid.UUID | None = None) -> dict[str, Any]:
    vacancy = _vacancy(placement.city, VacancyKind.WORK_EXPERIENCE)
    decision = _accepted(vacancy.vacancy_id, placement.city, participant)
    await placement.publish(vacancy)
    await placement.publish(decision)
    placement_id = (await _placement_for(placement.http, decision.match_id, ready=_kind_known))["placement_id"]
    terms = {"contract_type": "traineeship", "start_date": "2026-04-01", "weekly_hours": 30, "tutor_ref": TUTOR}
    await _ok(await placement.http.post(f"/placements/{placement_id}/confirm", json=terms))
    started_at = (placement.clock() - timedelta(days=60)).isoformat()
    return await _ok(await placement.http.post(f"/placements/{placement_id}/start", json={"started_at": started_at}))


async def _due_list(placement: RunningPlacement, expect: int, city: str | None = None) -> list[dict[str, Any]]:
    async def probe() -> list[dict[str, Any]] | None:
        found = await _ok(await placement.http.get("/follow-ups", params={"city": city or placement.city}))
        return found if len(found) == expect else None

    return await _eventually(probe, f"{expect} due follow-ups")


async def test_a_placement_from_terms_to_its_last_follow_up(placement: RunningPlacement) -> None:
    http = placement.http
    started = await _started(placement)
    placement_id = started["placement_id"]
    assert (started["state"], started["contract_type"], started["weekly_hours"], started["tutor_ref"]) == (
        "started",
        "traineeship",
        30.0,
        TUTOR,
    )

    held_on = (placement.clock() - timedelta(days=30)).date().isoformat()
    session = await _ok(
        await http.post(
            f"/placements/{placement_id}/tutoring-sessions",
            json={"held_on": held_on, "tutor_ref": TUTOR, "topics": ["workplace_safety"], "issues_raised": []},
        ),
        201,
    )
    assert [s["session_id"] for s in await _ok(await http.get(f"/placements/{placement_id}/tutoring-sessions"))] == [
        session["session_id"]
    ]
    rating = {"punctuality": 5, "teamwork": 4, "technical_skills": 3, "language": 3, "would_hire": True}
    feedback = await _ok(
        await http.post(f"/placements/{placement_id}/feedback", json={**rating, "note": "Quick learner."}), 201
    )
    assert feedback["note"] == "Quick learner."
    out_of_range = _assert_problem(
        await http.post(f"/placements/{placement_id}/feedback", json={**rating, "teamwork": 6}), 422
    )
    assert [e["field"] for e in out_of_range["errors"]] == ["teamwork"]

    await _ok(await http.post(f"/placements/{placement_id}/end", json={"outcome": "converted_to_employment"}))
    assert await _ok(await http.get("/follow-ups", params={"city": placement.city})) == []
    planned = await _ok(
        await http.get(
            "/follow-ups", params={"city": placement.city, "state": "scheduled", "placement_id": placement_id}
        )
    )
    assert [f["offset_months"] for f in planned] == [1, 3, 6, 12]
    after_end = _assert_problem(
        await http.post(f"/placements/{placement_id}/tutoring-sessions", json={"held_on": held_on, "tutor_ref": TUTOR}),
        409,
    )
    assert "allowed: give feedback" in after_end["detail"]
    too_early = _assert_problem(await http.post(f"/follow-ups/{planned[0]['follow_up_id']}/record", json=EMPLOYED), 409)
    assert "until it falls due" in too_early["detail"]

    placement.clock.advance(timedelta(days=32))  # one month on: the first follow-up is due
    [due] = await _due_list(placement, 1)
    assert (due["offset_months"], due["state"], due["participant_id"]) == (1, "due", started["participant_id"])
    assert await _ok(await http.get("/follow-ups", headers=placement.auth("elsewhere"))) == []
    recorded = await _ok(await http.post(f"/follow-ups/{due['follow_up_id']}/record", json=EMPLOYED))
    assert (recorded["state"], recorded["employed"], recorded["hours_band"]) == ("recorded", True, "30_or_more")
    inconsistent = _assert_problem(
        await http.post(
            f"/follow-ups/{planned[1]['follow_up_id']}/record",
            json={"employed": False, "same_employer": True, "in_education_or_training": False},
        ),
        422,
    )
    assert [e["field"] for e in inconsistent["errors"]] == ["same_employer"]

    placement.clock.advance(timedelta(days=370))  # a year later every window has closed
    missed = await _eventually(lambda: _missed(http, placement.city, placement_id, expect=3), "three missed follow-ups")
    assert [f["offset_months"] for f in missed] == [3, 6, 12]
    assert await _ok(await http.get("/follow-ups", params={"city": placement.city})) == []

    events = [event for _, event in await _events_of(placement.bootstrap, placement_id, expect=12)]
    assert isinstance(events[0], PlacementConfirmed) and events[0].tutor_ref == uuid.UUID(TUTOR)
    assert isinstance(events[2], TutoringSessionRecorded) and events[2].topics == ("workplace_safety",)
    follow_up_events = [type(e) for e in events[4:]]
    assert follow_up_events.count(FollowUpDue) == 4
    assert follow_up_events.count(FollowUpRecorded) == 1
    assert follow_up_events.count(FollowUpMissed) == 3


async def _missed(http: httpx.AsyncClient, city: str, placement_id: str, expect: int) -> list[dict[str, Any]] | None:
    params = {"city": city, "state": "missed", "placement_id": placement_id}
    found: list[dict[str, Any]] = (await http.get("/follow-ups", params=params)).json()
    return found if len(found) == expect else None


async def test_placements_by_participant_vacancy_state_and_city(placement: RunningPlacement) -> None:
    participant = uuid.uuid4()
    started = await _started(placement, participant)
    http = placement.http
    for params in (
        {"participant_id": str(participant)},
        {"vacancy_id": started["vacancy_id"]},
        {"state": "started", "city": placement.city},
    ):
        assert [p["placement_id"] for p in await _ok(await http.get("/placements", params=params))] == [
            started["placement_id"]
        ]
    other = placement.auth("other")
    assert await _ok(await http.get("/placements", params={"participant_id": str(participant)}, headers=other)) == []


async def test_erasure_withdraws_follow_ups_and_drops_employer_notes(placement: RunningPlacement) -> None:
    """The note goes from the feedback and from the response stored for the Idempotency-Key it was given
    with; a repeat with that key is refused, and later feedback keeps no note."""
    participant = uuid.uuid4()
    started = await _started(placement, participant)
    placement_id = started["placement_id"]
    http = placement.http
    rating = {"punctuality": 2, "teamwork": 3, "technical_skills": 3, "language": 2, "would_hire": False}
    key = {"Idempotency-Key": str(uuid.uuid4())}
    feedback = f"/placements/{placement_id}/feedback"
    await _ok(await http.post(feedback, json={**rating, "note": "Often late."}, headers=key), 201)
    await _ok(await http.post(f"/placements/{placement_id}/end", json={"outcome": "completed"}))
    assert await _stored_responses_quoting(placement, "Often late.") == 1

    await placement.publish(
        ParticipantErased(participant_id=participant, city=placement.city, erased_at=placement.clock())
    )

    async def withdrawn() -> list[dict[str, Any]] | None:
        params = {"city": placement.city, "state": "withdrawn", "placement_id": placement_id}
        found: list[dict[str, Any]] = (await http.get("/follow-ups", params=params)).json()
        return found if len(found) == 4 else None

    await _eventually(withdrawn, "withdrawn follow-ups")
    [kept] = await _ok(await http.get(f"/placements/{placement_id}/feedback"))
    assert (kept["note"], kept["punctuality"]) == (None, 2)
    assert await _stored_responses_quoting(placement, "Often late.") == 0
    repeat = await http.post(feedback, json={**rating, "note": "Often late."}, headers=key)
    assert repeat.status_code == 410, repeat.text  # not run again on someone erased
    later = await _ok(await http.post(feedback, json={**rating, "note": "Still late."}), 201)
    assert later["note"] is None  # a note about someone erased is never stored
    placement.clock.advance(timedelta(days=40))
    await asyncio.sleep(1)  # several scheduler ticks
    assert await _ok(await http.get("/follow-ups", params={"city": placement.city})) == []
    assert (await _ok(await http.get(f"/placements/{placement_id}")))["state"] == "ended"
    assert date.fromisoformat(started["start_date"]) == date(2026, 4, 1)


async def _stored_responses_quoting(placement: RunningPlacement, text: str) -> int:
    conn = await asyncpg.connect(placement.database)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM mile_idempotency WHERE strpos(body::text, $1) > 0", text))
    finally:
        await conn.close()


async def test_a_city_sees_and_changes_only_its_own_placements(placement: RunningPlacement) -> None:
    started = await _started(placement)
    placement_id = started["placement_id"]
    http = placement.http
    other = placement.auth("elsewhere")
    _assert_problem(await http.get(f"/placements/{placement_id}", headers=other), 404)
    _assert_problem(
        await http.post(f"/placements/{placement_id}/end", json={"outcome": "completed"}, headers=other), 404
    )
    assert (
        await _ok(await http.get("/placements", params={"participant_id": started["participant_id"]}, headers=other))
        == []
    )
    _assert_problem(await http.get("/placements", params={"city": placement.city}, headers=other), 403)
    _assert_problem(await http.get("/follow-ups", params={"city": placement.city}, headers=other), 403)

    liaison = placement.auth(placement.city, "employer_liaison")
    rating = {"punctuality": 4, "teamwork": 4, "technical_skills": 4, "language": 4, "would_hire": True}
    await _ok(await http.post(f"/placements/{placement_id}/feedback", json=rating, headers=liaison), 201)
    _assert_problem(
        await http.post(f"/placements/{placement_id}/end", json={"outcome": "completed"}, headers=liaison), 403
    )
    anonymous = await http.get(f"/placements/{placement_id}", headers={"Authorization": ""})
    assert anonymous.status_code == 401
