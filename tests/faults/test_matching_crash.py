"""`kill -9` of matching three times while 10,000 registrations are in flight.

The registrations are published as the city's intake publishes them (10,000 HTTP registrations
would take this 2-core machine minutes by themselves), and while they are, matching is killed
whenever another quarter of them has been applied, then restarted. In the end it holds every
participant exactly once, has proposed each at most once, and every proposal it committed is
on the matches topic exactly as often as it exists; reporting, fed the same topic meanwhile,
counts each once.

Matching proposes across cities, so on a broker shared with earlier tests its fresh consumer
group also replays their participants (the same canonical profile, so they fit this vacancy),
with their later updates, placements and erasures: an erasure rightly deletes a waiting proposal
whose ``MatchProposed`` is already on the topic. The proposal figures therefore count this
test's own people only; the room check counts everyone's. Matching takes batches of 200 here
(2,000 by default) and is watched every 50 ms, so each kill lands near its quarter, mid-stream,
however fast a batch applies.
"""

import asyncio
import json
import re
import uuid
from collections import Counter

import pytest

from mile_matching.settings import MatchingSettings
from mile_schemas import MATCHES, MatchProposed

from .conftest import MakePlatform
from .kit import as_record, header, open_vacancy, publish, query, read_all, registration, scalar, until

pytestmark = pytest.mark.faults
EVENTS = 10_000
KILLS = 3
POSITIONS = 1000
ROOM = POSITIONS * MatchingSettings.model_fields["proposals_per_position"].default


async def test_matching_killed_three_times_mid_stream_counts_everyone_exactly_once(make_platform: MakePlatform) -> None:
    platform = await make_platform()
    (city,) = platform.cities
    matching, reporting = platform.database("matching"), platform.database("reporting")
    platform.configure("matching", MILE_CONSUMER_MAX_RECORDS="200")
    await platform.start("matching", "reporting")
    vacancy_id = await open_vacancy(platform, city, positions=POSITIONS)

    people = [uuid.uuid4() for _ in range(EVENTS)]
    started = asyncio.get_running_loop().time()
    # published while matching applies them and is killed: it keeps up with the publisher, so
    # waiting for the publish first would leave nothing in flight to kill it amid
    publishing = asyncio.create_task(
        publish(platform.bootstrap, (as_record(registration(city, pid)) for pid in people))
    )

    async def applied() -> int:
        return await scalar(matching, "SELECT count(*) FROM candidates WHERE city = $1", city)

    kills_at = [0]
    for kill in range(1, KILLS + 1):
        threshold = max(EVENTS * kill // (KILLS + 1), kills_at[-1] + 1)  # progress since the last restart
        kills_at.append(await until(applied, lambda n, t=threshold: n >= t, timeout=300, every=0.05))
        platform.kill("matching")
        await platform.start("matching")
    kills_at.pop(0)
    await publishing
    await until(applied, lambda n: n >= EVENTS, timeout=300)

    candidates = await query(matching, "SELECT participant_id FROM candidates WHERE city = $1", city)
    held = [r["participant_id"] for r in candidates]
    missing, duplicates = len(set(people) - set(held)), len(held) - len(set(held))
    ours = set(people)
    proposals = await query(
        matching,
        "SELECT id, participant_id FROM matches WHERE vacancy_id = $1::uuid AND participant_id = ANY($2::uuid[])",
        vacancy_id,
        people,
    )
    twice_proposed = len(proposals) - len({r["participant_id"] for r in proposals})
    committed = {r["id"] for r in proposals}
    outbox_pending = lambda: scalar(matching, "SELECT count(*) FROM mile_outbox WHERE published_at IS NULL")  # noqa: E731
    await until(outbox_pending, lambda n: n == 0)
    records = [
        r
        for r in await read_all(platform.bootstrap, f"^{re.escape(MATCHES)}$")
        if header(r, "ce_type") == MatchProposed.event_type
        and (body := json.loads(r.value or b"{}"))["vacancy_id"] == vacancy_id
        and uuid.UUID(body["participant_id"]) in ours
    ]
    on_topic = {uuid.UUID(json.loads(r.value or b"{}")["match_id"]) for r in records}
    resent = len(records) - len({header(r, "ce_id") for r in records})
    # Re-read after the outbox drained: a proposal committed after the first read (a late
    # redelivery) is on the topic legitimately; only one with no row at all is a phantom.
    everyone = await query(
        matching, "SELECT id, participant_id, status FROM matches WHERE vacancy_id = $1::uuid", vacancy_id
    )
    final = [r for r in everyone if r["participant_id"] in ours]
    late = len({r["id"] for r in final} - committed)
    twice_proposed = len(final) - len({r["participant_id"] for r in final})
    committed = {r["id"] for r in final}
    statuses = dict(sorted(Counter(r["status"] for r in final).items()))
    open_for_anyone = sum(r["status"] == "proposed" for r in everyone)

    async def reported() -> int:
        return await scalar(
            reporting, "SELECT count(*) FROM funnel_stages WHERE city = $1 AND stage = 'registered'", city
        )

    counted = await until(reported, lambda n: n >= EVENTS, timeout=300)
    elapsed = asyncio.get_running_loop().time() - started
    figures = (
        f"events={EVENTS} kills={KILLS} killed_at={kills_at} missing={missing} duplicates={duplicates} "
        f"proposals={len(committed)} statuses={statuses} others_proposals={len(everyone) - len(final)} "
        f"late_proposals={late} proposed_twice={twice_proposed} "
        f"proposals_not_on_topic={len(committed - on_topic)} "
        f"phantom_proposals={len(on_topic - committed)} resent_copies={resent} reporting_registered={counted} "
        f"seconds={elapsed:.0f}"
    )
    print(figures)
    assert all(at < EVENTS for at in kills_at), f"a kill came after the stream was applied: {figures}"
    assert missing == 0 and duplicates == 0, figures
    assert twice_proposed == 0 and committed == on_topic, figures
    assert open_for_anyone <= ROOM, f"more open proposals than the vacancy has room for: {figures}"
    assert len(committed) > 0, f"the vacancy drew no proposals, so proposals prove nothing: {figures}"
    assert counted == EVENTS, figures
