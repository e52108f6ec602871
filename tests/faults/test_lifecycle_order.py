"""1,000 participants each registered → updated → matched → placed → erased, as fast as it goes.

Registrations, profile updates and erasures travel on the city's topic (published as its intake
would); proposals and decisions on the matches topic, so placement may learn of a decision after
the erasure of its participant. Whatever the interleaving, each participant's final state in
every shared service is that of their last event, the erasure: no candidate in matching, no
live placement, nothing under their id in reporting (out-of-order applications = 0).
"""

import re
from datetime import UTC, datetime

import pytest
from aiokafka.structs import TopicPartition

from mile_schemas import MATCHES, ParticipantProfileUpdated, participants_topic

from .conftest import MakePlatform
from .kit import (
    SUBSCRIPTIONS,
    accept,
    as_record,
    committed_offsets,
    erasure,
    open_vacancy,
    publish,
    query,
    read_all,
    registration,
    scalar,
    until,
)

pytestmark = pytest.mark.faults
PEOPLE = 1000
CONSUMED = SUBSCRIPTIONS
SHARED = tuple(CONSUMED)


async def test_each_participants_final_state_is_their_last_event(make_platform: MakePlatform) -> None:
    platform = await make_platform()
    (city,) = platform.cities
    matching, placement, reporting = (platform.database(s) for s in SHARED)
    await platform.start(*SHARED)
    vacancy_id = await open_vacancy(platform, city, positions=PEOPLE)
    people = [registration(city) for _ in range(PEOPLE)]
    ids = [p.participant_id for p in people]
    updates = [
        ParticipantProfileUpdated(
            participant_id=p.participant_id,
            city=city,
            updated_at=datetime.now(UTC),
            statistics=p.statistics,
            profile=p.profile.model_copy(update={"max_commute_km": 30}) if p.profile else None,  # still eligible
        )
        for p in people
    ]
    await publish(platform.bootstrap, [as_record(e) for pair in zip(people, updates, strict=True) for e in pair])
    updated = "SELECT count(*) FROM candidates WHERE city = $1 AND (profile->>'max_commute_km')::int = 30"
    await until(lambda: scalar(matching, updated, city), lambda n: n == PEOPLE, timeout=300)
    proposed = "SELECT id FROM matches WHERE vacancy_id = $1::uuid AND city = $2 AND status = 'proposed'"
    proposals = await query(matching, proposed, vacancy_id, city)
    await accept(platform, city, [r["id"] for r in proposals])
    # erase at once: placement may see an erasure before the decision about the same person
    await publish(platform.bootstrap, [as_record(erasure(city, pid)) for pid in ids])

    topics = rf"^{re.escape(participants_topic(city))}$|^{re.escape(MATCHES)}$"
    await until(
        lambda: scalar(matching, "SELECT count(*) FROM mile_outbox WHERE published_at IS NULL"), lambda n: n == 0
    )
    ends: dict[TopicPartition, int] = {}
    for record in await read_all(platform.bootstrap, topics, expect=3 * PEOPLE):
        tp = TopicPartition(record.topic, record.partition)
        ends[tp] = max(ends.get(tp, 0), record.offset + 1)
    for service, pattern in CONSUMED.items():
        consumed = {tp: end for tp, end in ends.items() if re.fullmatch(pattern, tp.topic)}

        async def behind(group: str = platform.group(service), consumed: dict = consumed) -> int:
            committed = await committed_offsets(platform.bootstrap, group, topics)
            return sum(max(0, end - committed.get(tp, 0)) for tp, end in consumed.items())

        await until(behind, lambda n: n == 0, timeout=300)

    candidates = await scalar(matching, "SELECT count(*) FROM candidates WHERE participant_id = ANY($1::uuid[])", ids)
    open_proposals = await scalar(
        matching, "SELECT count(*) FROM matches WHERE participant_id = ANY($1::uuid[]) AND status = 'proposed'", ids
    )
    live_placements = await scalar(
        placement,
        "SELECT count(*) FROM placements WHERE participant_id = ANY($1::uuid[]) AND state <> 'cancelled'",
        ids,
    )
    placements = await scalar(placement, "SELECT count(*) FROM placements WHERE participant_id = ANY($1::uuid[])", ids)
    linked = await scalar(reporting, "SELECT count(*) FROM funnel_stages WHERE participant_id = ANY($1::uuid[])", ids)
    erased = await scalar(
        reporting,
        """SELECT count(*) FROM erased_participants
           WHERE id_digest IN (SELECT sha256(uuid_send(i)) FROM unnest($1::uuid[]) AS i)""",
        ids,
    )
    out_of_order = candidates + open_proposals + live_placements + linked + (PEOPLE - erased)
    figures = (
        f"participants={PEOPLE} accepted={len(proposals)} placements_made={placements} "
        f"(cancelled by erasure; the rest saw the erasure first) candidates_left={candidates} "
        f"open_proposals={open_proposals} live_placements={live_placements} reporting_linked_rows={linked} "
        f"reporting_erased={erased} out_of_order={out_of_order}"
    )
    print(figures)
    assert len(proposals) == PEOPLE, figures
    assert out_of_order == 0, figures
