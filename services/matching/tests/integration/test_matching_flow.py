"""Matching end to end over a real broker and PostgreSQL: candidates in, proposals and decisions out."""

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest

from mile_devstack.tokens import DevIssuer
from mile_schemas import (
    MATCHES,
    CandidateProfile,
    ConsentChanged,
    ConsentPurpose,
    ConsentStatus,
    MatchDecided,
    ParticipantErased,
    ParticipantRegistered,
    PlacementEnded,
    PlacementStarted,
)

from .conftest import CITY, Publish
from .helpers import eventually, find_event

pytestmark = pytest.mark.integration


def _token(issuer: DevIssuer, site: str, role: str = "caseworker") -> dict[str, str]:
    return {"Authorization": f"Bearer {issuer.token(site=site, roles=[role])}"}


def _profile(skill: str) -> CandidateProfile:
    return CandidateProfile.model_validate(
        {
            "legal_status": "refugee",
            "work_permit": {"scope": "full", "valid_until": "2030-04-30"},
            "languages": [
                {"language": "ti", "listening": "B1", "reading": "B1", "speaking": "B1", "writing": "A2"},
            ],
            "experience": [{"isco08": "7126", "years": 3}],
            "skills": [skill],
            "municipality": "Milano",
        }
    )


def _vacancy(employer: str, skill: str, **fields: Any) -> dict[str, Any]:
    return {
        "employer_id": employer,
        "city": CITY,
        "kind": "work_experience",
        "title": "Plumber (work experience)",
        "isco08": "7126",
        "essential_skills": [skill],
        "languages": [{"language": "ti", "min_level": "A2"}],
        "municipality": "Sesto San Giovanni",
        "positions": 1,
        "hours_per_week": 30,
        "start_date": "2026-04-01",
        "accepted_legal_statuses": ["refugee", "subsidiary_protection"],
    } | fields


def _registered(participant_id: uuid.UUID, skill: str) -> ParticipantRegistered:
    return ParticipantRegistered(
        participant_id=participant_id,
        city=CITY,
        registered_at=datetime.now(UTC),
        consents=("case_management", "matching"),
        profile=_profile(skill),
    )


def _skill() -> str:
    return f"pipe welding {uuid.uuid4().hex[:8]}"


async def _proposal(
    http: httpx.AsyncClient, vacancy_id: str, participant_id: uuid.UUID, headers: dict[str, str]
) -> dict[str, Any]:
    """The participant's proposal for the vacancy, as a caller of the participant's city sees it."""

    async def probe() -> dict[str, Any] | None:
        matches = (await http.get("/matches", params={"vacancy_id": vacancy_id}, headers=headers)).json()
        return next((m for m in matches if m["participant_id"] == str(participant_id)), None)

    return await eventually(probe)


async def test_a_registered_candidate_is_proposed_and_the_decision_published(
    matching_url: str,
    publish: Publish,
    kafka_bootstrap: str,
    issuer: DevIssuer,
    employer: str,
    liaison: dict[str, str],
    caseworker: dict[str, str],
) -> None:
    participant, skill = uuid.uuid4(), _skill()
    await publish(_registered(participant, skill))
    async with httpx.AsyncClient(base_url=matching_url) as http:
        opened = await http.post(
            "/vacancies", json=_vacancy(employer, skill), headers={"Idempotency-Key": str(uuid.uuid4()), **liaison}
        )
        assert opened.status_code == 201, opened.text
        vacancy = opened.json()
        assert (vacancy["status"], vacancy["filled"], vacancy["positions"]) == ("open", 0, 1)

        match = await _proposal(http, vacancy["vacancy_id"], participant, caseworker)
        assert match["status"] == "proposed" and match["city"] == CITY
        assert match["reasons"] == [
            "ISCO 7126: exact match, 3 years",
            "1 of 1 essential skills",
            "Tigrinya A2 ≥ A2 required",
        ]

        ranked = (
            await http.get(
                f"/vacancies/{vacancy['vacancy_id']}/candidates",
                params={"limit": 200, "city": CITY},
                headers=_token(issuer, CITY),
            )
        ).json()
        ours = [c for c in ranked if c["participant_id"] == str(participant)]
        assert [(c["city"], c["score"], c["reasons"]) for c in ours] == [(CITY, match["score"], match["reasons"])]

        # Another city's caseworker sees that a candidate of Milan exists, not who or why.
        elsewhere = (
            await http.get(
                f"/vacancies/{vacancy['vacancy_id']}/candidates",
                params={"limit": 200, "city": CITY},
                headers=_token(issuer, "athens"),
            )
        ).json()
        theirs = [c for c in elsewhere if c["candidate_ref"] == ours[0]["candidate_ref"]]
        assert [(c["participant_id"], c["reasons"], c["score"]) for c in theirs] == [(None, None, match["score"])]

        # Athens' liaison sees the proposal on no vacancy of theirs; a Milan liaison sees it on theirs.
        athens_liaison = _token(issuer, "athens", "employer_liaison")
        assert (await http.get(f"/matches/{match['match_id']}", headers=athens_liaison)).status_code == 404
        assert (await http.get(f"/matches/{match['match_id']}", headers=liaison)).json() == match

        decision = f"/matches/{match['match_id']}/decision"
        decided = await http.post(decision, json={"decision": "accepted", "reason": None}, headers=caseworker)
        assert decided.status_code == 200, decided.text
        assert decided.json()["status"] == "accepted"
        again = await http.post(
            decision, json={"decision": "rejected", "reason": "participant_declined"}, headers=caseworker
        )
        assert again.status_code == 409
        assert again.headers["content-type"] == "application/problem+json"
        assert (await http.get(f"/matches/{match['match_id']}", headers=caseworker)).json()["status"] == "accepted"

    event = await find_event(
        kafka_bootstrap, MATCHES, lambda e: isinstance(e, MatchDecided) and str(e.match_id) == match["match_id"]
    )
    assert isinstance(event, MatchDecided)
    assert (event.decision, event.participant_id, event.city) == ("accepted", participant, CITY)
    assert str(event.vacancy_id) == vacancy["vacancy_id"]


async def test_bad_requests_are_named_problems(
    matching_url: str, employer: str, liaison: dict[str, str], caseworker: dict[str, str]
) -> None:
    async with httpx.AsyncClient(base_url=matching_url, headers=liaison) as http:
        bad = await http.post("/vacancies", json=_vacancy(employer, _skill(), positions=0, status="closed"))
        assert bad.status_code == 422
        assert bad.headers["content-type"] == "application/problem+json"
        assert {e["field"] for e in bad.json()["errors"]} == {"positions", "status"}

        unknown = uuid.uuid4()
        assert (await http.get(f"/vacancies/{unknown}")).status_code == 404
        decide = f"/matches/{unknown}/decision"
        assert (await http.post(decide, json={"decision": "accepted"}, headers=caseworker)).status_code == 404
        reason = await http.post(decide, json={"decision": "accepted", "reason": "Not a code"}, headers=caseworker)
        assert reason.status_code == 422 and reason.json()["errors"][0]["field"] == "reason"

        vacancy = (await http.post("/vacancies", json=_vacancy(employer, _skill()))).json()
        closing = f"/vacancies/{vacancy['vacancy_id']}/close"
        key = {"Idempotency-Key": str(uuid.uuid4())}
        first = await http.post(closing, json={"reason": "withdrawn_by_employer"}, headers=key)
        assert first.status_code == 200 and first.json()["status"] == "closed"
        repeat = await http.post(closing, json={"reason": "withdrawn_by_employer"}, headers=key)
        assert repeat.json() == first.json()
        assert (await http.post(closing, json={"reason": "withdrawn_by_employer"})).status_code == 409


async def test_an_erased_participant_leaves_no_candidate_and_no_open_proposal(
    matching_url: str,
    matching_database: str,
    publish: Publish,
    issuer: DevIssuer,
    employer: str,
    liaison: dict[str, str],
    caseworker: dict[str, str],
) -> None:
    """And their events arriving after the erasure (a dead letter redriven, a placement started
    before it, on another topic) neither bring them back nor link a placement to them."""
    participant, skill = uuid.uuid4(), _skill()
    async with httpx.AsyncClient(base_url=matching_url) as http:
        vacancy = (await http.post("/vacancies", json=_vacancy(employer, skill), headers=liaison)).json()
        await publish(_registered(participant, skill))
        await _proposal(http, vacancy["vacancy_id"], participant, caseworker)

        await publish(ParticipantErased(participant_id=participant, city=CITY, erased_at=datetime.now(UTC)))

        async def gone() -> bool | None:
            params = {"participant_id": str(participant)}
            matches = (await http.get("/matches", params=params, headers=caseworker)).json()
            return True if not matches else None

        await eventually(gone)
        ranked = (
            await http.get(
                f"/vacancies/{vacancy['vacancy_id']}/candidates", params={"limit": 200}, headers=_token(issuer, CITY)
            )
        ).json()
        assert str(participant) not in {c["participant_id"] for c in ranked}

        late_registration, late_start = uuid.uuid4(), uuid.uuid4()
        await publish(_registered(participant, skill), event_id=late_registration)
        placement = {"placement_id": uuid.uuid4(), "match_id": uuid.uuid4(), "participant_id": participant}
        started = PlacementStarted(
            **placement,
            vacancy_id=vacancy["vacancy_id"],
            city=CITY,
            kind="work_experience",
            started_at=datetime.now(UTC),
        )
        await publish(started, event_id=late_start)
        await _applied(matching_database, (late_registration, late_start))
        conn = await asyncpg.connect(matching_database)
        try:
            candidates = "SELECT count(*) FROM candidates WHERE participant_id = $1"
            assert await conn.fetchval(candidates, participant) == 0
            linked = "SELECT participant_id FROM vacancy_placements WHERE placement_id = $1"
            assert await conn.fetchrow(linked, placement["placement_id"]) == (None,)  # the position is taken, unlinked
        finally:
            await conn.close()
        assert (
            await http.get("/matches", params={"participant_id": str(participant)}, headers=caseworker)
        ).json() == []


async def test_a_withdrawn_matching_consent_keeps_what_was_decided_while_it_was_given(
    matching_url: str,
    matching_database: str,
    publish: Publish,
    employer: str,
    liaison: dict[str, str],
    caseworker: dict[str, str],
) -> None:
    """Unlike an erasure, a withdrawal drops the candidate but keeps their decided proposals."""
    participant, skill = uuid.uuid4(), _skill()
    async with httpx.AsyncClient(base_url=matching_url) as http:
        vacancy = (await http.post("/vacancies", json=_vacancy(employer, skill), headers=liaison)).json()
        await publish(_registered(participant, skill))
        match = await _proposal(http, vacancy["vacancy_id"], participant, caseworker)
        rejection = {"decision": "rejected", "reason": "participant_declined"}
        decided = await http.post(f"/matches/{match['match_id']}/decision", json=rejection, headers=caseworker)
        assert decided.status_code == 200, decided.text

        withdrawal = uuid.uuid4()
        withdrawn = ConsentChanged(
            participant_id=participant,
            city=CITY,
            purpose=ConsentPurpose.MATCHING,
            status=ConsentStatus.WITHDRAWN,
            notice_version="2026-01",
            changed_at=datetime.now(UTC),
        )
        await publish(withdrawn, event_id=withdrawal)
        await _applied(matching_database, (withdrawal,))
    conn = await asyncpg.connect(matching_database)
    try:
        assert await conn.fetchval("SELECT count(*) FROM candidates WHERE participant_id = $1", participant) == 0
        statuses = await conn.fetch("SELECT status FROM matches WHERE participant_id = $1", participant)
        assert [row["status"] for row in statuses] == ["rejected"]
    finally:
        await conn.close()


async def test_an_erasure_blanks_the_stored_responses_naming_the_participant(
    matching_url: str,
    matching_database: str,
    publish: Publish,
    employer: str,
    liaison: dict[str, str],
    caseworker: dict[str, str],
) -> None:
    """A decision's response (its proposal's reasons among it) stored for its Idempotency-Key is blanked
    by the participant's erasure, and the decided proposal dropped; another participant's stays, and
    its response still replays."""
    skill = _skill()
    erased, kept = uuid.uuid4(), uuid.uuid4()
    rejection = {"decision": "rejected", "reason": "participant_declined"}
    decided: dict[uuid.UUID, tuple[str, dict[str, str], Any]] = {}  # path, headers, first response
    async with httpx.AsyncClient(base_url=matching_url) as http:
        vacancy = (await http.post("/vacancies", json=_vacancy(employer, skill, positions=2), headers=liaison)).json()
        for participant in (erased, kept):
            await publish(_registered(participant, skill))
            match = await _proposal(http, vacancy["vacancy_id"], participant, caseworker)
            path, headers = (
                f"/matches/{match['match_id']}/decision",
                {"Idempotency-Key": str(uuid.uuid4()), **caseworker},
            )
            response = await http.post(path, json=rejection, headers=headers)
            assert response.status_code == 200, response.text
            decided[participant] = (path, headers, response.json())

        await publish(ParticipantErased(participant_id=erased, city=CITY, erased_at=datetime.now(UTC)))
        conn = await asyncpg.connect(matching_database)
        try:

            async def naming(participant: uuid.UUID) -> int:
                return await conn.fetchval(
                    "SELECT count(*) FROM mile_idempotency WHERE body::text LIKE '%' || $1 || '%'", str(participant)
                )

            async def forgotten() -> bool | None:
                return True if await naming(erased) == 0 else None

            await eventually(forgotten)
            assert await naming(kept) == 1
            matches = "SELECT count(*) FROM matches WHERE participant_id = $1"
            assert (await conn.fetchval(matches, erased), await conn.fetchval(matches, kept)) == (0, 1)
        finally:
            await conn.close()
        path, headers, first = decided[kept]
        assert (await http.post(path, json=rejection, headers=headers)).json() == first  # replayed
        path, headers, _ = decided[erased]
        refused = await http.post(path, json=rejection, headers=headers)  # not replayed, and not run again
        assert refused.status_code == 410, refused.text
        assert refused.headers["content-type"] == "application/problem+json"


async def test_a_running_service_drops_day_old_responses_and_claims_past_their_retention(
    matching_url: str, matching_database: str, employer: str, liaison: dict[str, str]
) -> None:
    """Every service applies ``mile_platform.retention`` while it runs: a stored response goes after
    24 h (its key then runs again), an inbox claim after 45 days."""
    key = {"Idempotency-Key": str(uuid.uuid4()), **liaison}
    body = _vacancy(employer, _skill())
    old_event, recent_event = uuid.uuid4(), uuid.uuid4()
    async with httpx.AsyncClient(base_url=matching_url) as http:
        first = (await http.post("/vacancies", json=body, headers=key)).json()
        assert (await http.post("/vacancies", json=body, headers=key)).json() == first
        conn = await asyncpg.connect(matching_database)
        try:
            await conn.execute("UPDATE mile_idempotency SET created_at = now() - interval '25 hours'")
            await conn.execute(
                """INSERT INTO mile_inbox (consumer, event_id, received_at)
                   VALUES ('matching', $1, now() - interval '46 days'), ('matching', $2, now() - interval '44 days')""",
                old_event,
                recent_event,
            )

            async def expired() -> bool | None:
                left = await conn.fetchval(
                    """SELECT (SELECT count(*) FROM mile_idempotency)
                              + (SELECT count(*) FROM mile_inbox WHERE event_id = $1)""",
                    old_event,
                )
                return True if left == 0 else None

            await eventually(expired)
            assert await conn.fetchval("SELECT count(*) FROM mile_inbox WHERE event_id = $1", recent_event) == 1
        finally:
            await conn.close()
        again = await http.post("/vacancies", json=body, headers=key)
        assert again.status_code == 201, again.text
        assert again.json()["vacancy_id"] != first["vacancy_id"]


async def test_placements_take_and_return_capacity_once(
    matching_url: str, matching_database: str, publish: Publish, employer: str, liaison: dict[str, str]
) -> None:
    async with httpx.AsyncClient(base_url=matching_url, headers=liaison) as http:
        vacancy_id = (await http.post("/vacancies", json=_vacancy(employer, _skill(), positions=2))).json()[
            "vacancy_id"
        ]
        ids: dict[str, Any] = {
            "placement_id": uuid.uuid4(),
            "match_id": uuid.uuid4(),
            "vacancy_id": vacancy_id,
            "participant_id": uuid.uuid4(),
            "city": CITY,
        }
        started = PlacementStarted(**ids, kind="work_experience", started_at=datetime.now(UTC))
        ended = PlacementEnded(**ids, outcome="dropped_out", ended_at=datetime.now(UTC), early=True)

        async def filled_after(*event_ids: uuid.UUID) -> int:
            await _applied(matching_database, event_ids)
            return int((await http.get(f"/vacancies/{vacancy_id}")).json()["filled"])

        first, same_fact = uuid.uuid4(), uuid.uuid4()
        await publish(started, event_id=first)
        await publish(started, event_id=first)  # a redelivery: the inbox drops it
        await publish(started, event_id=same_fact)  # the same fact under a new id: the SQL guard drops it
        assert await filled_after(first, same_fact) == 1

        end, end_again = uuid.uuid4(), uuid.uuid4()
        await publish(ended, event_id=end)
        await publish(ended, event_id=end_again)
        assert await filled_after(end, end_again) == 0


async def _applied(database_url: str, event_ids: tuple[uuid.UUID, ...]) -> None:
    """Wait until the consumer has claimed every one of ``event_ids`` in its inbox."""
    conn = await asyncpg.connect(database_url)
    try:

        async def claimed() -> bool | None:
            count = await conn.fetchval(
                "SELECT count(*) FROM mile_inbox WHERE consumer = 'matching' AND event_id = ANY($1::uuid[])",
                list(event_ids),
            )
            return True if count == len(event_ids) else None

        await eventually(claimed)
    finally:
        await conn.close()
