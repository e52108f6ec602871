"""A consumer batch applies as if its events came one at a time.

Runs of profile events are planned set-wise (``mile_matching.profiles``); the same events fed
to a second database one per batch must leave the same candidates, proposals, decisions,
filled positions and outbox events in the same order, whether the batch mixes registrations,
an update that withdraws a waiting proposal (and refills its vacancy), consent withdrawn with
and without proposals waiting, erasures and placements.
"""

import asyncio
import json
import random
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from mile_devstack.testing import delivered
from mile_matching import domain, proposals, repository, subscribers
from mile_matching.settings import MatchingSettings
from mile_platform.errors import is_permanent
from mile_platform.migrations import apply_migrations
from mile_schemas import (
    CandidateProfile,
    ConsentChanged,
    ConsentPurpose,
    ConsentStatus,
    Event,
    LanguageRequirement,
    ParticipantErased,
    ParticipantProfileUpdated,
    ParticipantRegistered,
    PlacementStarted,
    VacancyKind,
    VacancyOpened,
)

pytestmark = pytest.mark.integration
CITY = "milan"
NOW = datetime.now(UTC).replace(microsecond=0)
PLUMBER, COOK = "7126", "5120"
SETTINGS = MatchingSettings(database_url="unused", min_score=0.3, proposals_per_position=2)
Database = Callable[[str], Awaitable[str]]


def _profile(
    *, level: str = "B1", years: float = 3, permit: str = "full", hours: int | None = None
) -> CandidateProfile:
    return CandidateProfile.model_validate(
        {
            "legal_status": "refugee",
            "work_permit": {"scope": permit},
            "languages": [dict.fromkeys(("listening", "reading", "speaking", "writing"), level) | {"language": "it"}],
            "experience": [{"isco08": PLUMBER, "years": years}],
            "desired_isco08": [COOK],
            "municipality": "Milano",
            "hours_per_week": hours,
        }
    )


def _vacancy(isco08: str, *, positions: int, min_level: str = "A2") -> VacancyOpened:
    return VacancyOpened.model_validate(
        {
            "vacancy_id": uuid.uuid4(),
            "employer_id": uuid.uuid4(),
            "city": CITY,
            "kind": VacancyKind.WORK_EXPERIENCE,
            "title": "Work experience",
            "isco08": isco08,
            "languages": [{"language": "it", "min_level": min_level}],
            "municipality": "Milano",
            "positions": positions,
            "hours_per_week": 30,
            "start_date": date(2027, 1, 11),
            "opened_at": NOW - timedelta(days=3),
        }
    )


def _registered(pid: uuid.UUID, profile: CandidateProfile | None, at: datetime) -> ParticipantRegistered:
    consents = (ConsentPurpose.CASE_MANAGEMENT,) + ((ConsentPurpose.MATCHING,) if profile else ())
    return ParticipantRegistered(participant_id=pid, city=CITY, registered_at=at, consents=consents, profile=profile)


def _updated(pid: uuid.UUID, profile: CandidateProfile, at: datetime) -> ParticipantProfileUpdated:
    return ParticipantProfileUpdated(participant_id=pid, city=CITY, updated_at=at, profile=profile)


def _consent(pid: uuid.UUID, profile: CandidateProfile | None, at: datetime) -> ConsentChanged:
    status = ConsentStatus.GIVEN if profile else ConsentStatus.WITHDRAWN
    return ConsentChanged(
        participant_id=pid,
        city=CITY,
        purpose=ConsentPurpose.MATCHING,
        status=status,
        notice_version="2026-01",
        changed_at=at,
        profile=profile,
    )


def _erased(pid: uuid.UUID, at: datetime) -> ParticipantErased:
    return ParticipantErased(participant_id=pid, city=CITY, erased_at=at)


async def _open(conn: asyncpg.Connection, vacancy: VacancyOpened) -> None:
    """Store the vacancy as opened, proposing no one (the tests say when proposals are made)."""
    await repository.insert_vacancy(
        conn,
        vacancy_id=vacancy.vacancy_id,
        employer_id=vacancy.employer_id,
        city=vacancy.city,
        spec=vacancy.model_dump(mode="json"),
        positions=vacancy.positions,
        opened_at=vacancy.opened_at,
    )


async def _outcome(
    fresh_database: Database, vacancies: Sequence[VacancyOpened], batches: Sequence[Sequence[Event]]
) -> dict[str, Any]:
    """Apply the batches, each in its own transaction as the consumer does; what they left behind."""
    pool = await asyncpg.create_pool(await fresh_database("matching_batches"), min_size=1, max_size=2)
    try:
        await apply_migrations(pool, ["mile_platform", "mile_matching"])
        async with pool.acquire() as conn:
            for vacancy in vacancies:
                await _open(conn, vacancy)
        handler = subscribers.consumer(SETTINGS).handler
        offset = 0
        for batch in batches:
            async with pool.acquire() as conn, conn.transaction():
                await handler(conn, [delivered(event, offset + i) for i, event in enumerate(batch)])
            offset += len(batch)
        matches = await pool.fetch(
            """SELECT vacancy_id, participant_id, city, status, decision_reason, score, reasons FROM matches"""
        )
        waiting = await pool.fetch(  # as kept by migration 0005's triggers, and as counted
            """SELECT (SELECT coalesce(sum(delta), 0) FROM vacancy_waiting_changes c WHERE c.vacancy_id = v.id),
                      (SELECT count(*) FROM matches m WHERE m.vacancy_id = v.id AND m.status = 'proposed')
               FROM vacancies v"""
        )
        assert all(kept == counted for kept, counted in waiting), waiting
        candidates = await pool.fetch("SELECT participant_id, city, profile, updated_at FROM candidates")
        filled = await pool.fetch("SELECT id, filled FROM vacancies")
        outbox = await pool.fetch("SELECT topic, key, payload FROM mile_outbox ORDER BY id")
    finally:
        await pool.close()
    return {
        "matches": sorted(tuple(row.values()) for row in matches),
        "candidates": sorted(tuple(row.values()) for row in candidates),
        "filled": sorted(tuple(row.values()) for row in filled),
        "outbox": _comparable([json.loads(row["payload"]) for row in outbox]),
    }


def _comparable(events: list[dict[str, Any]]) -> list[list[tuple[tuple[str, Any], ...]]]:
    """The events less what differs between two runs (new match ids, the clock), grouped by kind in
    order; one event's withdrawals go in match id order, random between runs, so each group is sorted."""
    groups: list[list[tuple[tuple[str, Any], ...]]] = []
    last = None
    for data in events:
        kind = "decision" if "decision" in data else "proposal"
        comparable = tuple(sorted((k, json.dumps(v)) for k, v in data.items() if k not in _VARYING))
        if kind == "decision" and last == "decision":
            groups[-1].append(comparable)
        else:
            groups.append([comparable])
        last = kind
    return [sorted(group) for group in groups]


_VARYING = ("match_id", "proposed_at", "decided_at")


async def _same_as_one_by_one(
    fresh_database: Database, vacancies: Sequence[VacancyOpened], batches: Sequence[Sequence[Event]]
) -> dict[str, Any]:
    together = await _outcome(fresh_database, vacancies, batches)
    one_by_one = await _outcome(fresh_database, vacancies, [[event] for batch in batches for event in batch])
    assert together == one_by_one
    return together


async def test_a_mixed_batch_proposes_as_one_event_at_a_time(fresh_database: Database) -> None:
    plumbing, cooking = _vacancy(PLUMBER, positions=1), _vacancy(COOK, positions=2)
    p = [uuid.uuid4() for _ in range(7)]
    at = [NOW - timedelta(hours=10 - i) for i in range(10)]
    accepted_match = uuid.uuid4()
    batch: list[Event] = [
        _registered(p[0], _profile(years=5), at[0]),
        _registered(p[1], _profile(years=4), at[0]),
        _registered(p[2], _profile(years=1), at[0]),  # the plumbing vacancy's room (2) is taken: cooking only
        _consent(p[6], None, at[1]),  # never a candidate: dropped in the plan
        _updated(p[1], _profile(years=4, permit="none"), at[1]),  # withdrawn twice; both vacancies refilled
        _registered(p[3], _profile(years=2), at[2]),
        _registered(p[4], None, at[2]),  # no matching consent
        _erased(p[0], at[3]),  # frees plumbing room for the next best
        _updated(p[3], _profile(years=2, hours=40), at[4]),  # still fits: nothing withdrawn
        _registered(p[5], _profile(level="A1"), at[4]),  # below every language minimum
        _consent(p[3], None, at[5]),  # proposals waiting: dropped against the database, then refilled
        _consent(p[4], _profile(years=3), at[5]),
        PlacementStarted(
            placement_id=uuid.uuid4(),
            match_id=accepted_match,
            vacancy_id=cooking.vacancy_id,
            participant_id=p[2],
            city=CITY,
            kind=VacancyKind.WORK_EXPERIENCE,
            started_at=at[6],
        ),
        _updated(p[5], _profile(level="B2"), at[7]),
        _registered(p[4], _profile(years=3), at[8]),  # a second registration event: an update
    ]
    outcome = await _same_as_one_by_one(fresh_database, [plumbing, cooking], [batch])

    def proposed(vacancy: VacancyOpened) -> set[tuple[uuid.UUID, str]]:
        return {(m[1], m[3]) for m in outcome["matches"] if m[0] == vacancy.vacancy_id}

    # Never more waiting than room, never twice the same pair, the withdrawal and the refills made.
    assert sum(1 for _, status in proposed(plumbing) if status == "proposed") <= 2
    assert sum(1 for _, status in proposed(cooking) if status == "proposed") <= 4
    assert (p[1], "rejected") in proposed(plumbing) and (p[1], "rejected") in proposed(cooking)
    assert {pid for pid, _ in proposed(plumbing)} >= {p[2], p[4]}
    assert not any(m[1] in (p[0], p[3], p[6]) for m in outcome["matches"] if m[3] == "proposed")
    assert {c[0] for c in outcome["candidates"]} == {p[1], p[2], p[4], p[5]}


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_batches_propose_as_one_event_at_a_time(fresh_database: Database, seed: int) -> None:
    rng = random.Random(seed)
    vacancies = [_vacancy(PLUMBER, positions=1), _vacancy(COOK, positions=2, min_level="B1")]
    people = [uuid.uuid4() for _ in range(10)]
    events: list[Event] = []
    for i in range(120):
        pid, at = rng.choice(people), NOW - timedelta(minutes=200 - i)
        profile = _profile(
            level=rng.choice(["A1", "A2", "B1", "B2", "C1"]),
            years=rng.choice([0.5, 1, 3, 6]),
            permit=rng.choice(["full", "full", "full", "none"]),
            hours=rng.choice([None, 20, 40]),
        )
        kind = rng.random()
        if kind < 0.35:
            events.append(_registered(pid, profile, at))
        elif kind < 0.75:
            events.append(_updated(pid, profile, at))
        elif kind < 0.85:
            events.append(_consent(pid, rng.choice([None, profile]), at))
        else:
            events.append(_erased(pid, at))
            people[people.index(pid)] = uuid.uuid4()  # an erased id never comes back: its events would apply nothing
    cuts = sorted(rng.sample(range(1, len(events)), 6))
    batches = [events[a:b] for a, b in zip([0, *cuts], [*cuts, len(events)], strict=True)]
    outcome = await _same_as_one_by_one(fresh_database, vacancies, batches)
    withdrawn = ("reason", json.dumps("no_longer_eligible"))
    assert any(withdrawn in event for group in outcome["outbox"] for event in group), "no withdrawal tried"


def _speaking(levels: dict[str, str]) -> CandidateProfile:
    """A plumber fit for every vacancy here but for the languages: ``{"it": "B1", ...}``."""
    profile = _profile().model_dump(mode="json")
    profile["languages"] = [
        dict.fromkeys(("listening", "reading", "speaking", "writing"), level) | {"language": code}
        for code, level in levels.items()
    ]
    return CandidateProfile.model_validate(profile)


BOTH_SPOKEN = {"both", "both, german at the minimum", "both and english"}


@pytest.mark.parametrize("proposing", ["a refill", "registrations"])
@pytest.mark.parametrize(
    ("required", "expected"),
    [(("it", "de"), BOTH_SPOKEN), ((), None)],
    ids=["italian and german required", "no language required"],
)
async def test_proposals_are_exactly_whom_the_rules_find_eligible(
    fresh_database: Database, proposing: str, required: tuple[str, ...], expected: set[str] | None
) -> None:
    """Refills read, and a batch of registrations assesses, only candidates who speak every language
    the vacancy requires (everyone when it requires none); the proposals are still exactly the
    eligible candidates among all of them."""
    speakers = {
        "italian only": _speaking({"it": "B1"}),
        "both": _speaking({"it": "B1", "de": "B1"}),
        "german only": _speaking({"de": "B1"}),
        "italian too weak": _speaking({"it": "A1", "de": "B1"}),
        "no language": _speaking({}),
        "both, german at the minimum": _speaking({"it": "B2", "de": "A2"}),
        "both and english": _speaking({"it": "B1", "de": "B1", "en": "C1"}),
    }
    ids = {name: uuid.uuid4() for name in speakers}
    vacancy = _vacancy(PLUMBER, positions=5).model_copy(
        update={"languages": tuple(LanguageRequirement(language=code, min_level="A2") for code in required)}
    )
    pool = await asyncpg.create_pool(await fresh_database("matching_refill"), min_size=1, max_size=2)
    try:
        await apply_migrations(pool, ["mile_platform", "mile_matching"])
        async with pool.acquire() as conn, conn.transaction():
            registrations = [_registered(ids[name], profile, NOW) for name, profile in speakers.items()]
            if proposing == "registrations":
                await _open(conn, vacancy)
            await subscribers.consumer(SETTINGS).handler(
                conn, [delivered(event, i) for i, event in enumerate(registrations)]
            )
            if proposing == "a refill":
                await _open(conn, vacancy)
                await repository.lock_proposing(conn)
                await proposals.propose_for_vacancy(conn, vacancy.vacancy_id, SETTINGS)
        proposed = {row["participant_id"] for row in await pool.fetch("SELECT participant_id FROM matches")}
    finally:
        await pool.close()
    eligible = {
        ids[name]
        for name, profile in speakers.items()
        if (fit := domain.assess(vacancy, profile, weights=SETTINGS.weights, rules=SETTINGS.rules)).eligible
        and fit.score >= SETTINGS.min_score
    }
    assert eligible == {ids[name] for name in (expected or speakers)}
    assert proposed == eligible


async def test_someone_placed_is_proposed_nowhere_else_when_their_profile_changes(fresh_database: Database) -> None:
    """A profile event of someone whose placement has started (and not ended) is planned with them
    placed, which makes them ineligible elsewhere: a vacancy opened meanwhile gets no proposal of theirs."""
    first, second, person = _vacancy(PLUMBER, positions=1), _vacancy(PLUMBER, positions=1), uuid.uuid4()
    pool = await asyncpg.create_pool(await fresh_database("matching_placed"), min_size=1, max_size=2)
    try:
        await apply_migrations(pool, ["mile_platform", "mile_matching"])
        apply = subscribers.consumer(SETTINGS).handler
        async with pool.acquire() as conn:
            await _open(conn, first)
            async with conn.transaction():
                await apply(conn, [delivered(_registered(person, _profile(years=5), NOW), 0)])
            match_id = await conn.fetchval(
                "UPDATE matches SET status = 'accepted', decided_at = $2 WHERE participant_id = $1 RETURNING id",
                person,
                NOW,
            )
            started = PlacementStarted(
                placement_id=uuid.uuid4(),
                match_id=match_id,
                vacancy_id=first.vacancy_id,
                participant_id=person,
                city=CITY,
                kind=VacancyKind.WORK_EXPERIENCE,
                started_at=NOW,
            )
            async with conn.transaction():
                await apply(conn, [delivered(started, 1)])
            await _open(conn, second)
            async with conn.transaction():
                await apply(conn, [delivered(_updated(person, _profile(years=6), NOW), 2)])
            proposed = await conn.fetch("SELECT vacancy_id FROM matches WHERE participant_id = $1", person)
        assert {row["vacancy_id"] for row in proposed} == {first.vacancy_id}
    finally:
        await pool.close()


async def test_a_batch_locks_only_the_vacancies_its_participants_could_take(fresh_database: Database) -> None:
    """A batch of Italian speakers does not wait for a vacancy requiring German, being closed meanwhile
    (its row locked): it proposes for its own language's vacancy."""
    italian = _vacancy(PLUMBER, positions=1)
    german = _vacancy(PLUMBER, positions=1).model_copy(
        update={"vacancy_id": uuid.uuid4(), "languages": (LanguageRequirement(language="de", min_level="A2"),)}
    )
    participant = uuid.uuid4()
    pool = await asyncpg.create_pool(await fresh_database("matching_languages"), min_size=2, max_size=2)
    try:
        await apply_migrations(pool, ["mile_platform", "mile_matching"])
        async with pool.acquire() as conn:
            for vacancy in (italian, german):
                await _open(conn, vacancy)
        async with pool.acquire() as closing, closing.transaction():
            assert await repository.lock_vacancy(closing, german.vacancy_id) is not None  # as closing it does
            async with pool.acquire() as conn, conn.transaction():
                batch = [delivered(_registered(participant, _profile(), NOW), 0)]
                await asyncio.wait_for(subscribers.consumer(SETTINGS).handler(conn, batch), timeout=10)
        proposed = {(row["vacancy_id"], row["participant_id"]) for row in await pool.fetch("SELECT * FROM matches")}
    finally:
        await pool.close()
    assert proposed == {(italian.vacancy_id, participant)}


async def test_a_proposal_withdrawn_from_a_vacancy_the_batch_left_out_is_refilled(fresh_database: Database) -> None:
    """Someone who stops speaking German, in a batch of Italian speakers that never reads the German
    vacancy, still has their proposal there withdrawn and the room given to the next German speaker."""
    italian = _vacancy(PLUMBER, positions=2)
    german = _vacancy(PLUMBER, positions=1).model_copy(
        update={"vacancy_id": uuid.uuid4(), "languages": (LanguageRequirement(language="de", min_level="A2"),)}
    )
    both, first, waiting, newcomer = (uuid.uuid4() for _ in range(4))
    registered = [  # the German vacancy's room (2) goes to the first two German speakers
        _registered(both, _speaking({"it": "B1", "de": "B1"}), NOW - timedelta(hours=2)),
        _registered(first, _speaking({"de": "B1"}), NOW - timedelta(hours=2)),
        _registered(waiting, _speaking({"de": "B1"}), NOW - timedelta(hours=2)),
    ]
    italians = [
        _updated(both, _speaking({"it": "B1"}), NOW - timedelta(hours=1)),
        _registered(newcomer, _profile(), NOW - timedelta(hours=1)),
    ]
    outcome = await _same_as_one_by_one(fresh_database, [italian, german], [registered, italians])
    assert {(m[0], m[1], m[3]) for m in outcome["matches"]} == {
        (german.vacancy_id, both, "rejected"),
        (german.vacancy_id, first, "proposed"),
        (german.vacancy_id, waiting, "proposed"),
        (italian.vacancy_id, both, "proposed"),
        (italian.vacancy_id, newcomer, "proposed"),
    }


async def test_a_candidate_stored_meanwhile_fails_the_batch_then_applies_alone(fresh_database: Database) -> None:
    """A batch stores whom it read as new by COPY. If another transaction stores one of them
    meanwhile, the batch fails on the unique key, a permanent error, so the subscriber applies its
    events one at a time: neither profile is overwritten unseen, and the event applied alone updates."""
    participant = uuid.uuid4()
    first, second = _profile(years=1), _profile(years=7)
    handler = subscribers.consumer(SETTINGS).handler
    pool = await asyncpg.create_pool(await fresh_database("matching_race"), min_size=3, max_size=3)
    try:
        await apply_migrations(pool, ["mile_platform", "mile_matching"])
        async with pool.acquire() as other, pool.acquire() as conn:
            meanwhile = other.transaction()
            await meanwhile.start()
            await handler(other, [delivered(_registered(participant, first, NOW), 0)])
            batch = [delivered(_updated(participant, second, NOW + timedelta(hours=1)), 1)]

            async def apply() -> None:
                async with conn.transaction():
                    await handler(conn, batch)

            applying = asyncio.create_task(apply())
            waiting = "SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1"
            async with asyncio.timeout(10):
                while await pool.fetchval(waiting, conn.get_server_pid()) != "Lock":
                    await asyncio.sleep(0.01)  # its COPY waits to see whether the other commits
            await meanwhile.commit()
            with pytest.raises(asyncpg.UniqueViolationError) as failed:
                await applying
            assert is_permanent(failed.value)
            await apply()  # as the subscriber replays the batch's events one by one
        stored = await pool.fetchval("SELECT profile FROM candidates WHERE participant_id = $1", participant)
    finally:
        await pool.close()
    assert CandidateProfile.model_validate_json(stored) == second
