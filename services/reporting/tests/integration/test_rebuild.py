"""A rebuild from the topics into a fresh database equals the live projection, row for row."""

from collections.abc import Awaitable, Callable

import asyncpg
import pytest

from mile_platform.settings import KafkaSettings
from mile_reporting.rebuild import NotFresh, rebuild
from mile_schemas import LegalStatus, Sex

from .conftest import Reporting
from .helpers import event_message, person, publish, wait_until_consumed

pytestmark = pytest.mark.integration
GROUP = "reporting"

_TABLES = {
    "funnel_stages": "SELECT participant_id, stage, reached_at FROM funnel_stages WHERE city = $1",
    "participant_statistics": "SELECT participant_id, sex, age_band, legal_status, as_of"
    " FROM participant_statistics WHERE city = $1",
    "language_levels": "SELECT participant_id, language, assessed_at, level_rank FROM language_levels WHERE city = $1",
    "drop_outs": "SELECT placement_id, participant_id, reason FROM drop_outs WHERE city = $1",
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
    people = [person(city, Sex.FEMALE, LegalStatus.REFUGEE, completes=i % 2 == 0, rises=i < 3) for i in range(8)]
    events = [e for journey in people for e in journey]
    sent = await publish(reporting.bootstrap, [event_message(e) for e in events + events[:5]])
    await wait_until_consumed(reporting.bootstrap, GROUP, sent)
    live = await _snapshot(reporting.database_url, city)
    assert len(live["funnel_stages"]) == 8 * 2 + 4 * 3  # registered, assessed; 4 placed, completed, employed

    target = await fresh_database("reporting_rebuilt")
    result = await rebuild(target, KafkaSettings(bootstrap_servers=reporting.bootstrap))
    assert result.applied >= len(events)
    assert await _snapshot(target, city) == live

    with pytest.raises(NotFresh):
        await rebuild(target, KafkaSettings(bootstrap_servers=reporting.bootstrap))
