"""Placement end to end: events in from matching and intake, HTTP transitions, events out."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from mile_schemas import (
    PLACEMENTS,
    Event,
    EventMeta,
    MatchDecided,
    MatchDecision,
    ParticipantErased,
    PlacementConfirmed,
    PlacementEnded,
    PlacementStarted,
    VacancyKind,
    VacancyOpened,
    from_headers,
    parse_event,
)

from .running import RunningPlacement

pytestmark = pytest.mark.integration
T = TypeVar("T")
NOW = datetime.now(UTC).replace(microsecond=0)


def _vacancy(city: str, kind: VacancyKind = VacancyKind.WORK_EXPERIENCE) -> VacancyOpened:
    return VacancyOpened(
        vacancy_id=uuid.uuid4(),
        city=city,
        employer_id=uuid.uuid4(),
        kind=kind,
        title="Plumber (work experience)",
        isco08="7126",
        municipality="Sesto San Giovanni",
        hours_per_week=30,
        start_date=date(2026, 4, 1),
        opened_at=NOW - timedelta(days=10),
    )


def _accepted(vacancy_id: uuid.UUID, city: str, participant_id: uuid.UUID | None = None) -> MatchDecided:
    return MatchDecided(
        match_id=uuid.uuid4(),
        vacancy_id=vacancy_id,
        participant_id=participant_id or uuid.uuid4(),
        city=city,
        decision=MatchDecision.ACCEPTED,
        decided_at=NOW - timedelta(days=5),
    )


def _kind_known(found: dict[str, Any]) -> bool:
    return found["kind"] is not None


async def _eventually(probe: Callable[[], Awaitable[T | None]], what: str, timeout: float = 30.0) -> T:
    """Poll ``probe`` until it returns something, failing after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        found = await probe()
        if found is not None:
            return found
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.1)


async def _placements_of(http: httpx.AsyncClient, match_id: uuid.UUID) -> list[dict[str, Any]]:
    response = await http.get("/placements", params={"match_id": str(match_id)})
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


async def _placement_for(
    http: httpx.AsyncClient, match_id: uuid.UUID, ready: Callable[[dict[str, Any]], bool] = lambda _: True
) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        found = await _placements_of(http, match_id)
        return found[0] if found and ready(found[0]) else None

    return await _eventually(probe, f"the placement of match {match_id}")


async def _events_of(
    bootstrap: str, placement_id: str, expect: int, timeout: float = 30.0
) -> list[tuple[EventMeta, Event]]:
    """The placement's events on the placements topic, read from the start like an auditor would."""
    consumer = AIOKafkaConsumer(
        PLACEMENTS, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    found: list[tuple[EventMeta, Event]] = []
    try:

        async def probe() -> list[tuple[EventMeta, Event]] | None:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    if record.key == placement_id.encode():
                        meta, _ = from_headers(record.headers)
                        found.append((meta, parse_event(meta.type, record.value or b"")))
            return found if len(found) >= expect else None

        return await _eventually(probe, f"{expect} events of placement {placement_id}", timeout)
    finally:
        await consumer.stop()


async def _confirm(http: httpx.AsyncClient, placement_id: str, **terms: Any) -> dict[str, Any]:
    body = {"contract_type": "traineeship", "start_date": "2026-04-01", "weekly_hours": 30, **terms}
    response = await http.post(f"/placements/{placement_id}/confirm", json=body)
    assert response.status_code == 200, response.text
    confirmed: dict[str, Any] = response.json()
    return confirmed


def _assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


async def test_an_accepted_match_becomes_a_placement_that_starts_and_ends_early(placement: RunningPlacement) -> None:
    vacancy = _vacancy(placement.city, VacancyKind.APPRENTICESHIP)
    decision = _accepted(vacancy.vacancy_id, placement.city)
    await placement.publish(vacancy)
    await placement.publish(decision)

    proposed = await _placement_for(placement.http, decision.match_id, ready=_kind_known)
    placement_id = proposed["placement_id"]
    assert proposed["state"] == "proposed"
    assert (proposed["kind"], proposed["vacancy_id"], proposed["participant_id"], proposed["city"]) == (
        "apprenticeship",
        str(vacancy.vacancy_id),
        str(decision.participant_id),
        placement.city,
    )

    started_at, ended_at = NOW - timedelta(days=2), NOW - timedelta(hours=1)
    await _confirm(placement.http, placement_id)
    started = await placement.http.post(
        f"/placements/{placement_id}/start", json={"started_at": started_at.isoformat()}
    )
    assert started.status_code == 200, started.text
    assert started.json()["state"] == "started"
    ended = await placement.http.post(
        f"/placements/{placement_id}/end",
        json={"outcome": "dropped_out", "reason": "moved_to_another_city", "ended_at": ended_at.isoformat()},
    )
    assert ended.status_code == 200, ended.text
    read = (await placement.http.get(f"/placements/{placement_id}")).json()
    assert (read["state"], read["outcome"], read["reason"]) == ("ended", "dropped_out", "moved_to_another_city")

    (_, confirmed), (start_meta, start_event), (end_meta, end_event) = await _events_of(
        placement.bootstrap, placement_id, expect=3
    )
    assert isinstance(confirmed, PlacementConfirmed)
    assert isinstance(start_event, PlacementStarted) and isinstance(end_event, PlacementEnded)
    assert end_meta.type == PlacementEnded.event_type
    assert (start_meta.type, start_meta.source, start_meta.subject) == (
        PlacementStarted.event_type,
        "/mile/placement",
        placement_id,
    )
    assert (start_event.kind, start_event.started_at, start_event.match_id) == (
        VacancyKind.APPRENTICESHIP,
        started_at,
        decision.match_id,
    )
    assert (end_event.outcome, end_event.reason, end_event.ended_at, end_event.early) == (
        "dropped_out",
        "moved_to_another_city",
        ended_at,
        True,
    )


async def test_a_replayed_decision_yields_one_placement_even_before_its_vacancy_is_known(
    placement: RunningPlacement,
) -> None:
    vacancy = _vacancy(placement.city, VacancyKind.JOB)
    decision = _accepted(vacancy.vacancy_id, placement.city)
    event_id = uuid.uuid4()
    first = await placement.publish(decision, event_id=event_id)
    await placement.publish(decision, event_id=event_id)  # a redelivery: same CloudEvents id
    await placement.publish(decision)  # a republication under a new id
    # Once a later decision in the same partition is applied, every copy before it was too.
    sentinel = _accepted(vacancy.vacancy_id, placement.city)
    await placement.publish(sentinel, partition=first.partition)
    await _placement_for(placement.http, sentinel.match_id)

    [only] = await _placements_of(placement.http, decision.match_id)
    assert (only["state"], only["kind"]) == ("proposed", None)
    terms = {"contract_type": "permanent", "start_date": "2026-04-01", "weekly_hours": 38}
    refused = _assert_problem(await placement.http.post(f"/placements/{only['placement_id']}/confirm", json=terms), 409)
    assert "kind is unknown" in refused["detail"]

    await placement.publish(vacancy)
    await _placement_for(placement.http, decision.match_id, ready=lambda p: p["kind"] == "job")
    assert (await _confirm(placement.http, only["placement_id"]))["kind"] == "job"
    started = await placement.http.post(f"/placements/{only['placement_id']}/start")
    assert started.status_code == 200, started.text


async def test_invalid_requests_are_refused_with_problem_details(placement: RunningPlacement) -> None:
    vacancy = _vacancy(placement.city)
    decision = _accepted(vacancy.vacancy_id, placement.city)
    await placement.publish(vacancy)
    await placement.publish(decision)
    placement_id = (await _placement_for(placement.http, decision.match_id, ready=_kind_known))["placement_id"]
    http = placement.http

    conflict = _assert_problem(await http.post(f"/placements/{placement_id}/end", json={"outcome": "completed"}), 409)
    assert "is proposed" in conflict["detail"] and "allowed: confirm, end (cancelled)" in conflict["detail"]
    early = _assert_problem(await http.post(f"/placements/{placement_id}/start"), 409)
    assert "allowed: confirm, end (cancelled)" in early["detail"]
    bad_terms = _assert_problem(
        await http.post(
            f"/placements/{placement_id}/confirm",
            json={"contract_type": "gig", "start_date": "2026-04-01", "weekly_hours": 90},
        ),
        422,
    )
    assert sorted(e["field"] for e in bad_terms["errors"]) == ["contract_type", "weekly_hours"]
    await _confirm(http, placement_id)

    key = {"Idempotency-Key": f"start-{uuid.uuid4()}"}
    first = await http.post(f"/placements/{placement_id}/start", json={}, headers=key)
    repeat = await http.post(f"/placements/{placement_id}/start", json={}, headers=key)
    assert first.status_code == repeat.status_code == 200
    assert first.json() == repeat.json()
    again = _assert_problem(await http.post(f"/placements/{placement_id}/start"), 409)
    assert (
        "allowed: end (completed | converted_to_employment | dropped_out | ended_by_employer), "
        "record tutoring, give feedback" in again["detail"]
    )

    no_reason = _assert_problem(
        await http.post(f"/placements/{placement_id}/end", json={"outcome": "ended_by_employer"}), 422
    )
    assert [e["field"] for e in no_reason["errors"]] == ["reason"]
    naive = _assert_problem(
        await http.post(
            f"/placements/{placement_id}/end", json={"outcome": "completed", "ended_at": "2026-06-30T12:00:00"}
        ),
        422,
    )
    assert [e["field"] for e in naive["errors"]] == ["ended_at"]
    bad_filter = _assert_problem(await http.get("/placements", params={"state": "finished"}), 422)
    assert [e["field"] for e in bad_filter["errors"]] == ["state"]

    unknown = uuid.uuid4()
    _assert_problem(await http.get(f"/placements/{unknown}"), 404)
    _assert_problem(await http.post(f"/placements/{unknown}/start"), 404)


async def test_erasure_cancels_proposed_placements_and_keeps_late_decisions_out(placement: RunningPlacement) -> None:
    participant = uuid.uuid4()
    vacancy = _vacancy(placement.city)
    proposed = _accepted(vacancy.vacancy_id, placement.city, participant)
    running = _accepted(vacancy.vacancy_id, placement.city, participant)
    firsts = {decision.match_id: uuid.uuid4() for decision in (proposed, running)}
    await placement.publish(vacancy)
    await placement.publish(proposed, event_id=firsts[proposed.match_id])
    await placement.publish(running, event_id=firsts[running.match_id])
    proposed_id = (await _placement_for(placement.http, proposed.match_id, _kind_known))["placement_id"]
    running_id = (await _placement_for(placement.http, running.match_id, _kind_known))["placement_id"]
    await _confirm(placement.http, running_id)
    assert (await placement.http.post(f"/placements/{running_id}/start")).status_code == 200

    erased_at = NOW - timedelta(minutes=5)
    await placement.publish(ParticipantErased(participant_id=participant, city=placement.city, erased_at=erased_at))
    cancelled = await _placement_for(placement.http, proposed.match_id, ready=lambda p: p["state"] == "cancelled")
    assert (cancelled["outcome"], cancelled["reason"]) == ("cancelled", "participant_erased")
    assert (await placement.http.get(f"/placements/{running_id}")).json()["state"] == "started"
    [(_, ended)] = await _events_of(placement.bootstrap, proposed_id, expect=1)
    assert isinstance(ended, PlacementEnded)
    assert (ended.outcome, ended.reason, ended.ended_at, ended.early) == (
        "cancelled",
        "participant_erased",
        erased_at,
        True,
    )

    late = _accepted(vacancy.vacancy_id, placement.city, participant)
    sent = await placement.publish(late)
    for decision in (proposed, running):  # redelivered: applied again (no inbox for decisions), changing nothing
        await placement.publish(decision, event_id=firsts[decision.match_id], partition=sent.partition)
    sentinel = _accepted(vacancy.vacancy_id, placement.city)
    await placement.publish(sentinel, partition=sent.partition)
    await _placement_for(placement.http, sentinel.match_id)
    assert await _placements_of(placement.http, late.match_id) == []
    assert [p["state"] for p in await _placements_of(placement.http, proposed.match_id)] == ["cancelled"]
    assert [p["state"] for p in await _placements_of(placement.http, running.match_id)] == ["started"]
