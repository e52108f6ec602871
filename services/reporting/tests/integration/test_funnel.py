"""The funnel over a real broker and PostgreSQL: counted once, dead letters aside, erasure-proof."""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from mile_schemas import (
    Event,
    MatchDecided,
    MatchDecision,
    ParticipantErased,
    ParticipantRegistered,
    PlacementEnded,
    PlacementOutcome,
    PlacementStarted,
    VacancyKind,
    dead_letter_topic,
    participants_topic,
    to_headers,
)

from .conftest import Reporting
from .helpers import Message, event_message, funnel_becomes, publish, read_topic, wait_until_consumed

pytestmark = pytest.mark.integration
GROUP = "reporting"  # the consumer group is the service name
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@dataclass
class Journey:
    """One participant's events, as intake, matching and placement would publish them."""

    city: str
    participant_id: uuid.UUID = field(default_factory=uuid.uuid4)
    events: list[Event] = field(default_factory=list)

    def register(self) -> "Journey":
        self.events.append(ParticipantRegistered(participant_id=self.participant_id, city=self.city, registered_at=T0))
        return self

    def decide(self, decision: MatchDecision, day: int = 1) -> "Journey":
        self.events.append(
            MatchDecided(
                match_id=uuid.uuid4(),
                vacancy_id=uuid.uuid4(),
                participant_id=self.participant_id,
                city=self.city,
                decision=decision,
                decided_at=T0 + timedelta(days=day),
            )
        )
        return self

    def place(self, outcome: PlacementOutcome) -> "Journey":
        ids = {"placement_id": uuid.uuid4(), "match_id": uuid.uuid4(), "vacancy_id": uuid.uuid4()}
        common = {**ids, "participant_id": self.participant_id, "city": self.city}
        self.events.append(
            PlacementStarted(**common, kind=VacancyKind.WORK_EXPERIENCE, started_at=T0 + timedelta(days=10))
        )
        self.events.append(PlacementEnded(**common, outcome=outcome, ended_at=T0 + timedelta(days=90), early=False))
        return self

    def erase(self) -> ParticipantErased:
        return ParticipantErased(participant_id=self.participant_id, city=self.city, erased_at=T0 + timedelta(days=100))


def funnel(city: str, registered: int, matched: int, placed: int, completed: int) -> dict[str, object]:
    return {"city": city, "registered": registered, "matched": matched, "placed": placed, "completed": completed}


async def test_each_participant_counts_once_per_stage_whatever_is_delivered_again(reporting: Reporting) -> None:
    city = reporting.city
    completed = Journey(city).register().decide(MatchDecision.ACCEPTED)
    completed.decide(MatchDecision.ACCEPTED, day=2).place(PlacementOutcome.CONVERTED_TO_EMPLOYMENT)
    dropped = Journey(city).register().decide(MatchDecision.ACCEPTED).place(PlacementOutcome.DROPPED_OUT)
    rejected = Journey(city).register().decide(MatchDecision.REJECTED)
    waiting = Journey(city).register()
    events = [e for journey in (completed, dropped, rejected, waiting) for e in journey.events]
    first = [event_message(e) for e in events]
    expected = funnel(city, registered=4, matched=2, placed=2, completed=1)

    await publish(reporting.bootstrap, first)
    await funnel_becomes(reporting.http, city, expected)

    redelivered = await publish(reporting.bootstrap, first)  # same ce_id: the inbox drops them
    await wait_until_consumed(reporting.bootstrap, GROUP, redelivered)
    await funnel_becomes(reporting.http, city, expected)

    resent = await publish(reporting.bootstrap, [event_message(e) for e in events])  # new ce_ids
    await wait_until_consumed(reporting.bootstrap, GROUP, resent)
    await funnel_becomes(reporting.http, city, expected)

    overview = (await reporting.http.get("/reports/funnel")).json()
    assert expected in overview["cities"]
    for stage in ("registered", "matched", "placed", "completed"):
        assert overview["total"][stage] == sum(c[stage] for c in overview["cities"])


async def test_unknown_city_has_zeros_and_a_malformed_city_is_refused(reporting: Reporting) -> None:
    unknown = (await reporting.http.get("/reports/funnel", params={"city": "nowhere"})).json()
    assert unknown == funnel("nowhere", 0, 0, 0, 0)

    refused = await reporting.http.get("/reports/funnel", params={"city": "Milan-1"})
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["errors"][0]["field"] == "city"


async def test_a_malformed_message_is_dead_lettered_and_the_events_behind_it_counted(reporting: Reporting) -> None:
    city, topic = reporting.city, participants_topic(reporting.city)
    first, second = Journey(city).register(), Journey(city).register()
    registration = first.events[0]
    malformed = Message(topic, registration.key().encode(), b'{"participant_id": ', to_headers(registration.meta()))

    sent = await publish(reporting.bootstrap, [malformed, *(event_message(e) for e in first.events + second.events)])
    await funnel_becomes(reporting.http, city, funnel(city, registered=2, matched=0, placed=0, completed=0))

    [dead] = await read_topic(reporting.bootstrap, dead_letter_topic(topic), expect=1)
    headers = dict(dead.headers)
    assert dead.value == malformed.value
    assert headers["mile_dlt_topic"] == topic.encode()
    assert headers["mile_dlt_offset"] == str(sent[0].offset).encode()
    assert headers["mile_dlt_error_class"] == b"ValidationError"
    assert headers["mile_dlt_error_message"]


async def test_erasure_keeps_the_counts_but_unlinks_the_participant(reporting: Reporting) -> None:
    city = reporting.city
    erased = Journey(city).register().decide(MatchDecision.ACCEPTED).place(PlacementOutcome.COMPLETED)
    kept = Journey(city).register()
    expected = funnel(city, registered=2, matched=1, placed=1, completed=1)
    await publish(reporting.bootstrap, [event_message(e) for e in erased.events + kept.events])
    await funnel_becomes(reporting.http, city, expected)

    erasure = await publish(reporting.bootstrap, [event_message(erased.erase())])
    await wait_until_consumed(reporting.bootstrap, GROUP, erasure)
    await funnel_becomes(reporting.http, city, expected)
    await _assert_unlinked(reporting, erased.participant_id, kept.participant_id)

    # Another producer re-sending the erased person's events must neither count nor relink them.
    resent = await publish(reporting.bootstrap, [event_message(e) for e in erased.events])
    await wait_until_consumed(reporting.bootstrap, GROUP, resent)
    await funnel_becomes(reporting.http, city, expected)
    await _assert_unlinked(reporting, erased.participant_id, kept.participant_id)


async def _assert_unlinked(reporting: Reporting, erased: uuid.UUID, kept: uuid.UUID) -> None:
    """The erased id is gone; its four stages share one new id, so they still count as one person."""
    conn = await asyncpg.connect(reporting.database_url)
    try:
        rows = await conn.fetch(
            "SELECT participant_id, count(*) AS stages FROM funnel_stages WHERE city = $1 GROUP BY participant_id",
            reporting.city,
        )
    finally:
        await conn.close()
    stages = {row["participant_id"]: row["stages"] for row in rows}
    assert erased not in stages
    assert stages.pop(kept) == 1
    assert list(stages.values()) == [4]
