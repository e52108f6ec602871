"""A rebuild from the topics into a fresh database equals the live projection, row for row."""

from collections.abc import Awaitable, Callable

import asyncpg
import pytest

from mile_platform.settings import KafkaSettings
from mile_reporting.rebuild import NotFresh, rebuild
from mile_schemas import LegalStatus, RecognitionStatus, Sex

from .conftest import Reporting
from .helpers import event_message, person, publish, wait_until_consumed

pytestmark = pytest.mark.integration
GROUP = "reporting"

_TABLES = {
    "funnel_stages": "SELECT participant_id, stage, reached_at FROM funnel_stages WHERE city = $1",
    "participant_statistics": "SELECT participant_id, sex, age_band, legal_status, recognition, as_of"
    " FROM participant_statistics WHERE city = $1",
    "language_levels": "SELECT participant_id, language, assessed_at, level_rank FROM language_levels WHERE city = $1",
    "drop_outs": "SELECT placement_id, participant_id, reason FROM drop_outs WHERE city = $1",
    "support_measures": "SELECT participant_id, measure, received_at FROM support_measures WHERE city = $1",
    "training_endings": "SELECT enrolment_id, participant_id, course_type, outcome, hours_attended, drop_out_reason,"
    " ended_at FROM training_endings WHERE city = $1",
    "follow_ups": "SELECT follow_up_id, participant_id, state, due_at, settled_at FROM follow_ups WHERE city = $1",
}


async def _snapshot(database_url: str, city: str) -> dict[str, set[tuple[object, ...]]]:
    conn = await asyncpg.connect(database_url)
    try:
        return {name: {tuple(row) for row in await conn.fetch(sql, city)} for name, sql in _TABLES.items()}
    finally:
        await conn.close()


async def test_a_rebuild_from_the_beginning_equals_the_live_projection(
    reporting: Reporting, fresh_database: Callable[[str], Awaitable[str]]
) -> None:
    city = reporting.city
    people = [
        person(
            city,
            Sex.FEMALE,
            LegalStatus.REFUGEE,
            completes=i % 2 == 0,
            rises=i < 3,
            trains=i < 5,
            recognition=RecognitionStatus.PARTIAL if i < 4 else None,
        )
        for i in range(8)
    ]
    events = [e for journey in people for e in journey]
    sent = await publish(reporting.bootstrap, [event_message(e) for e in events + events[:5]])
    await wait_until_consumed(reporting.bootstrap, GROUP, sent)
    live = await _snapshot(reporting.database_url, city)
    # registered, assessed; 5 in training, trained; 4 placed, completed, employed
    assert len(live["funnel_stages"]) == 8 * 2 + 5 * 2 + 4 * 3
    assert len(live["follow_ups"]) == 4 and len(live["support_measures"]) == 5 * 2

    target = await fresh_database("reporting_rebuilt")
    result = await rebuild(target, KafkaSettings(bootstrap_servers=reporting.bootstrap))  # worker processes
    assert result.applied >= len(events)
    assert await _snapshot(target, city) == live

    in_process = await fresh_database("reporting_rebuilt_here")
    await rebuild(in_process, KafkaSettings(bootstrap_servers=reporting.bootstrap), workers=0, batch_size=7)
    assert await _snapshot(in_process, city) == live

    with pytest.raises(NotFresh):
        await rebuild(target, KafkaSettings(bootstrap_servers=reporting.bootstrap))
