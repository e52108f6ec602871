"""The funnel as funders and programme managers read it: distinct participants per stage."""

import asyncpg
from pydantic import BaseModel

from mile_reporting.domain import CORE_STAGES, Stage

_CORE = [stage.value for stage in CORE_STAGES]


class StageCounts(BaseModel):
    """Distinct participants who reached each stage (a participant counts once per stage)."""

    registered: int = 0
    matched: int = 0
    placed: int = 0
    completed: int = 0


class _City(BaseModel):
    city: str


class CityFunnel(StageCounts, _City):  # _City last among the bases, so "city" comes first
    """One city's funnel: its name, then the count of each stage."""


class FunnelOverview(BaseModel):
    cities: list[CityFunnel]
    total: StageCounts


async def city_funnel(conn: asyncpg.Connection, city: str) -> CityFunnel:
    """One city's funnel; a city without events has zeros everywhere."""
    rows = await conn.fetch(
        # count(*) counts distinct participants: the key is (participant_id, stage).
        "SELECT stage, count(*) AS participants FROM funnel_stages WHERE city = $1 AND stage = ANY($2) GROUP BY stage",
        city,
        _CORE,
    )
    return CityFunnel(city=city, **_by_stage(rows))


async def funnel_overview(conn: asyncpg.Connection) -> FunnelOverview:
    """Every city's funnel and the total, in one pass over the table."""
    rows = await conn.fetch(
        """SELECT city, stage, count(*) AS participants FROM funnel_stages WHERE stage = ANY($1)
           GROUP BY GROUPING SETS ((city, stage), (stage))""",
        _CORE,
    )
    per_city: dict[str, list[asyncpg.Record]] = {}
    for row in rows:
        if row["city"] is not None:
            per_city.setdefault(row["city"], []).append(row)
    return FunnelOverview(
        cities=[CityFunnel(city=city, **_by_stage(per_city[city])) for city in sorted(per_city)],
        total=StageCounts(**_by_stage([row for row in rows if row["city"] is None])),
    )


def _by_stage(rows: list[asyncpg.Record]) -> dict[str, int]:
    return {Stage(row["stage"]).value: row["participants"] for row in rows}
