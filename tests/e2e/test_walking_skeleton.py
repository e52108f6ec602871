"""A participant's path through every service, over HTTP and a real broker.

Registered at two cities' intakes, proposed by matching, accepted, placed,
ended, counted by reporting — exactly, and again after every consumer replayed
every topic from the beginning. A malformed event goes to the dead-letter topic
while the events behind it still flow.
"""

from dataclasses import replace
from datetime import date
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from mile_devstack.demo import COOK, PLUMBER, Person, employer_request, participant_request, vacancy_request
from mile_devstack.offsets import group_lag, rewind_group
from mile_devstack.topics import read_topic
from mile_schemas import dead_letter_topic, participants_topic, to_headers
from mile_schemas.envelope import EventMeta

from .conftest import Platform
from .kit import CONSUMING, post, run_language, until

pytestmark = pytest.mark.e2e


async def test_participants_flow_from_intake_to_reporting_and_replay_changes_nothing(platform: Platform) -> None:
    city_a, city_b = platform.cities
    language = run_language()
    async with httpx.AsyncClient(timeout=10.0) as client:
        plumbers_a = [Person(f"Ana{i}", "Test", "1990-01-01", "female", "NG", "refugee", PLUMBER, 3) for i in range(2)]
        cook_a = Person("Cyrus", "Test", "1985-06-01", "male", "IR", "asylum_seeker", COOK, 5)
        no_consent_a = Person(
            "Dara", "Test", "1992-02-02", "female", "SY", "refugee", PLUMBER, 4, consents=("case_management",)
        )
        plumber_b = Person("Bo", "Test", "1993-03-03", "male", "ER", "subsidiary_protection", PLUMBER, 2)
        registered: dict[str, list[str]] = {city_a: [], city_b: []}
        for city, people in ((city_a, [*plumbers_a, cook_a, no_consent_a]), (city_b, [plumber_b])):
            for person in people:
                body = await post(
                    client,
                    f"{platform.url(f'intake-{city}')}/participants",
                    participant_request(person, host_language=language),
                    platform.auth(city),
                )
                registered[city].append(body["participant_id"])

        liaison_a = platform.auth(city_a, "employer_liaison")
        employer = await post(
            client, f"{platform.url('matching')}/employers", employer_request("Idraulica Test"), liaison_a
        )
        vacancy = await post(
            client,
            f"{platform.url('matching')}/vacancies",
            vacancy_request(
                city_a,
                employer_id=employer["employer_id"],
                title="Plumbing apprentice",
                isco08=PLUMBER,
                positions=2,
                language=language,
            ),
            liaison_a,
        )
        proposals_url = f"{platform.url('matching')}/matches"

        async def proposals(city: str) -> list[dict[str, Any]]:
            params = {"vacancy_id": vacancy["vacancy_id"]}
            return (await client.get(proposals_url, params=params, headers=platform.auth(city))).json()

        # the plumbers with matching consent from both cities, never the one without consent;
        # city A sees that B's plumber was proposed for its vacancy, not who or why
        found = await until(lambda: proposals(city_a), lambda ms: len(ms) >= 3)
        assert {m["participant_id"] for m in found if m["city"] == city_a} == set(registered[city_a][:2])
        assert [(m["participant_id"], m["reasons"]) for m in found if m["city"] == city_b] == [(None, None)]
        theirs = await proposals(city_b)
        plumber_b_id = registered[city_b][0]
        assert [m["participant_id"] for m in theirs] == [plumber_b_id]

        by_participant = {m["participant_id"]: m for m in [*found, *theirs] if m["participant_id"]}
        accepted = [by_participant[registered[city_a][0]], by_participant[plumber_b_id]]
        for match in accepted:
            decision = f"{proposals_url}/{match['match_id']}/decision"
            await post(client, decision, {"decision": "accepted"}, platform.auth(match["city"]))
        await post(
            client,
            f"{proposals_url}/{by_participant[registered[city_a][1]]['match_id']}/decision",
            {"decision": "rejected", "reason": "participant_declined"},
            platform.auth(city_a),
        )

        placements = []
        for match in accepted:

            async def placement_of(
                match_id: str = match["match_id"], city: str = match["city"]
            ) -> list[dict[str, Any]]:
                return (
                    await client.get(
                        f"{platform.url('placement')}/placements",
                        params={"match_id": match_id},
                        headers=platform.auth(city),
                    )
                ).json()

            placements.append((await until(placement_of, lambda ps: len(ps) == 1))[0])
        terms = {"contract_type": "traineeship", "start_date": date.today().isoformat(), "weekly_hours": 30}
        for placement in placements:
            placement_url = f"{platform.url('placement')}/placements/{placement['placement_id']}"
            await post(client, f"{placement_url}/confirm", terms, platform.auth(placement["city"]))
            await post(client, f"{placement_url}/start", {}, platform.auth(placement["city"]))
        ended = next(p for p in placements if p["participant_id"] != plumber_b_id)
        await post(
            client,
            f"{platform.url('placement')}/placements/{ended['placement_id']}/end",
            {"outcome": "completed"},
            platform.auth(ended["city"]),
        )

        expected = {
            city_a: {"city": city_a, "registered": 4, "matched": 1, "placed": 1, "completed": 1},
            city_b: {"city": city_b, "registered": 1, "matched": 1, "placed": 1, "completed": 0},
        }

        async def funnels() -> dict[str, dict[str, Any]]:
            url = f"{platform.url('reporting')}/reports/funnel"
            # each city's programme manager reads their own city's funnel
            manager = {c: platform.auth(c, "programme_manager") for c in (city_a, city_b)}
            return {c: (await client.get(url, params={"city": c}, headers=manager[c])).json() for c in (city_a, city_b)}

        await until(funnels, lambda f: f == expected)
        snapshot = await _shared_state(client, platform, vacancy["vacancy_id"])

        # replay: every consumer group back to offset 0, services restarted, all caught up
        shared = ("matching", "placement", "reporting")
        platform.stop(*shared)
        for service in shared:
            await rewind_group(platform.bootstrap, platform.group(service), CONSUMING[service])
        await platform.start(*shared)
        for service in shared:
            await until(
                lambda s=service: group_lag(platform.bootstrap, platform.group(s), CONSUMING[s]), lambda lag: lag == 0
            )
        assert await funnels() == expected
        assert await _shared_state(client, platform, vacancy["vacancy_id"]) == snapshot

        # a malformed registration is dead-lettered by each consumer that applies registrations
        # (placement skips that type unread); what follows it on the topic still flows
        await _publish_malformed(platform.bootstrap, participants_topic(city_b))
        await post(
            client,
            f"{platform.url(f'intake-{city_b}')}/participants",
            participant_request(replace(plumber_b, given_name="Bea"), host_language=language),
            platform.auth(city_b),
        )
        expected[city_b]["registered"] = 2
        await until(funnels, lambda f: f == expected)
        dead = await read_topic(platform.bootstrap, dead_letter_topic(participants_topic(city_b)), expect=2)
        assert sorted(dict(d.headers)["mile_dlt_consumer"] for d in dead) == [b"matching", b"reporting"]
        for letter in dead:
            headers = dict(letter.headers)
            assert headers["mile_dlt_topic"] == participants_topic(city_b).encode()
            assert headers["mile_dlt_error_class"] == b"ValidationError"
            assert headers["mile_dlt_offset"].isdigit() and headers["mile_dlt_partition"].isdigit()
            assert b"participant_id" in headers["mile_dlt_error_message"]
            assert b"not-a-uuid" not in headers["mile_dlt_error_message"]  # reasons never echo input


async def _shared_state(client: httpx.AsyncClient, platform: Platform, vacancy_id: str) -> tuple[Any, ...]:
    """What matching and placement show, for comparison before and after a replay."""
    matches = (
        await client.get(
            f"{platform.url('matching')}/matches",
            params={"vacancy_id": vacancy_id},
            headers=platform.auth(platform.cities[0], "employer_liaison"),
        )
    ).json()
    placements = [
        (
            await client.get(
                f"{platform.url('placement')}/placements",
                params={"match_id": m["match_id"]},
                headers=platform.auth(m["city"]),
            )
        ).json()
        for m in sorted(matches, key=lambda m: m["match_id"])
    ]
    return sorted((m["match_id"], m["status"]) for m in matches), [
        sorted((p["placement_id"], p["state"]) for p in ps) for ps in placements
    ]


async def _publish_malformed(bootstrap: str, topic: str) -> None:
    meta = EventMeta(type="eu.mile.intake.participant_registered.v1", source="/mile/intake/test", subject="x")
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(
            topic, value=b'{"participant_id": "not-a-uuid"}', key=b"x", headers=to_headers(meta)
        )
    finally:
        await producer.stop()
