"""Indicator tables as funders read them: counted from the projections, then suppressed.

One query per indicator counts participants per city and statistical attributes; every
table (by city, sex, age band or legal status, for all cities or inside one) is summed from
those counts in Python, so all tables of a request agree with each other before suppression.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import asyncpg
from pydantic import BaseModel

from mile_reporting import privacy
from mile_reporting.domain import Stage
from mile_reporting.i18n import NOT_REPORTED, text
from mile_reporting.indicators import LANGUAGES, Indicator, IndicatorSet, Labels, Measure

Breakdown = Literal["city", "sex", "age_band", "legal_status"]
BREAKDOWNS: tuple[Breakdown, ...] = ("city", "sex", "age_band", "legal_status")
PERIOD_PATTERN = r"^\d{4}(-(0[1-9]|1[0-2]))?$"


@dataclass(frozen=True)
class Period:
    """A calendar year (``2026``) or month (``2026-03``); None bounds mean all time."""

    label: str | None
    start: datetime | None
    end: datetime | None

    @classmethod
    def parse(cls, label: str | None) -> "Period":
        if label is None:
            return cls(None, None, None)
        year, _, month = label.partition("-")
        if not month:
            return cls(label, datetime(int(year), 1, 1, tzinfo=UTC), datetime(int(year) + 1, 1, 1, tzinfo=UTC))
        y, m = int(year), int(month)
        end = datetime(y + 1, 1, 1, tzinfo=UTC) if m == 12 else datetime(y, m + 1, 1, tzinfo=UTC)
        return cls(label, datetime(y, m, 1, tzinfo=UTC), end)


class Figure(BaseModel):
    """A published number: ``value`` is null when suppressed, ``display`` is what people read."""

    value: int | None
    display: str


class Cell(Figure):
    category: str
    label: str


class IndicatorTable(BaseModel):
    id: str
    label: str
    common: str
    target: int | None
    total: Figure
    progress_percent: float | None  # of the target; null without a target or with a hidden total
    cells: list[Cell]


class IndicatorReport(BaseModel):
    period: str | None
    city: str | None
    breakdown: Breakdown
    lang: str
    threshold: int
    indicators: list[IndicatorTable]


_STATISTICS = """
    SELECT p.city,
           coalesce(s.sex, 'not_reported') AS sex,
           coalesce(s.age_band, 'not_reported') AS age_band,
           coalesce(s.legal_status, 'not_reported') AS legal_status,
           count(*) AS participants
    FROM population p LEFT JOIN participant_statistics s USING (participant_id)
    WHERE cardinality($1::text[]) = 0 OR s.legal_status = ANY($1::text[])
    GROUP BY 1, 2, 3, 4"""

_REACHED = (
    """
    WITH population AS (
        SELECT f.participant_id, f.city FROM funnel_stages f
        WHERE f.stage = $4
          AND ($2::timestamptz IS NULL OR f.reached_at >= $2) AND ($3::timestamptz IS NULL OR f.reached_at < $3)
          AND ($5::text IS NULL OR NOT EXISTS (
              SELECT 1 FROM funnel_stages g WHERE g.participant_id = f.participant_id AND g.stage = $5
                AND ($3::timestamptz IS NULL OR g.reached_at < $3)))
    )"""
    + _STATISTICS
)

# Rose: in some language, the latest tested level (up to the period's end) beats the first one,
# and that latest assessment falls inside the period.
_CEFR_IMPROVED = (
    """
    WITH per_language AS (
        SELECT participant_id, city,
               (array_agg(level_rank ORDER BY assessed_at))[1] AS first_rank,
               (array_agg(level_rank ORDER BY assessed_at DESC))[1] AS last_rank,
               max(assessed_at) AS last_at
        FROM language_levels WHERE ($3::timestamptz IS NULL OR assessed_at < $3)
        GROUP BY participant_id, city, language
    ),
    population AS (
        SELECT DISTINCT participant_id, city FROM per_language
        WHERE last_rank > first_rank AND ($2::timestamptz IS NULL OR last_at >= $2)
    )"""
    + _STATISTICS
)


@dataclass(frozen=True)
class Counts:
    """Participants of one indicator per (city, sex, age band, legal status)."""

    rows: tuple[tuple[str, str, str, str, int], ...]

    def table(self, breakdown: Breakdown, city: str | None = None) -> Counter[str]:
        column = BREAKDOWNS.index(breakdown)
        table: Counter[str] = Counter()
        for row in self.rows:
            if city is None or row[0] == city:
                table[row[column]] += row[4]
        return table

    def total(self, city: str | None = None) -> int:
        return sum(row[4] for row in self.rows if city is None or row[0] == city)


async def count(conn: asyncpg.Connection, indicator: Indicator, period: Period) -> Counts:
    legal = [status.value for status in indicator.legal_status]
    if indicator.measure is Measure.CEFR_IMPROVED:
        rows = await conn.fetch(_CEFR_IMPROVED, legal, period.start, period.end)
    else:
        stage = indicator.stage.value if indicator.stage else None
        without = indicator.without_stage.value if indicator.without_stage else None
        rows = await conn.fetch(_REACHED, legal, period.start, period.end, stage, without)
    return Counts(tuple((r["city"], r["sex"], r["age_band"], r["legal_status"], r["participants"]) for r in rows))


def publish(
    indicator: Indicator, counts: Counts, *, breakdown: Breakdown, city: str | None, threshold: int, lang: str
) -> IndicatorTable:
    """One indicator's table, suppressed so that no table of the same request undoes another."""
    by_city = privacy.protect(counts.table("city"), threshold)
    if city is None:
        total = privacy.show_total(counts.total(), threshold)
        cells = privacy.protect(counts.table(breakdown), threshold)
    else:
        # Inside one city the total is that city's figure as the table of cities shows it.
        city_total = counts.total(city)
        total = by_city.get(city, privacy.Shown(0, "0"))
        table = counts.table(breakdown, city)
        if total.value is None or city_total == 0:
            cells = privacy.hide_all(table)
        else:
            cells = privacy.protect(table, threshold)
    progress = None
    if indicator.target and total.value is not None:
        progress = round(100 * total.value / indicator.target, 1)
    return IndicatorTable(
        id=indicator.id,
        label=indicator.labels.in_language(lang),
        common=indicator.common,
        target=indicator.target,
        total=Figure(value=total.value, display=total.display),
        progress_percent=progress,
        cells=[
            Cell(category=key, label=text(key, lang), value=shown.value, display=shown.display)
            for key, shown in sorted(cells.items(), key=lambda item: (item[0] == NOT_REPORTED, item[0]))
        ],
    )


async def indicator_report(
    conn: asyncpg.Connection,
    definitions: IndicatorSet,
    *,
    period: Period,
    city: str | None,
    breakdown: Breakdown,
    threshold: int,
    lang: str,
) -> IndicatorReport:
    tables = [
        publish(
            indicator,
            await count(conn, indicator, period),
            breakdown=breakdown,
            city=city,
            threshold=threshold,
            lang=lang,
        )
        for indicator in definitions.indicators
    ]
    return IndicatorReport(
        period=period.label, city=city, breakdown=breakdown, lang=lang, threshold=threshold, indicators=tables
    )


def stage_indicators() -> IndicatorSet:
    """The funnel as indicators: participants who reached each stage, in stage order."""
    return IndicatorSet(
        indicators=tuple(
            Indicator(
                id=stage.value,
                stage=stage,
                common="mile",
                labels=Labels(**{lang: text(stage.value, lang) for lang in LANGUAGES}),
            )
            for stage in Stage
        )
    )


class Trend(BaseModel):
    """Registrations per calendar month, suppressed like any table (months are its cells)."""

    label: str
    total: Figure
    months: list[Cell]


async def registration_trend(conn: asyncpg.Connection, *, threshold: int, lang: str) -> Trend:
    """All cities together: a city's months would need the city's total as the table of cities shows it."""
    rows = await conn.fetch(
        """SELECT to_char(reached_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month, count(*) AS participants
           FROM funnel_stages WHERE stage = 'registered'
           GROUP BY 1 ORDER BY 1"""
    )
    counts = {row["month"]: row["participants"] for row in rows}
    total = privacy.show_total(sum(counts.values()), threshold)
    cells = privacy.protect(counts, threshold)
    return Trend(
        label=text("trend", lang),
        total=Figure(value=total.value, display=total.display),
        months=[Cell(category=m, label=m, value=cells[m].value, display=cells[m].display) for m in sorted(cells)],
    )


class Duration(BaseModel):
    """Days from registration to a first placement; hidden (null) for fewer participants than the threshold."""

    participants: Figure
    median_days: float | None
    p90_days: float | None


class Outcomes(BaseModel):
    period: str | None
    city: str | None
    lang: str
    threshold: int
    registration_to_placement: Duration
    drop_out_reasons: list[Cell]


async def outcomes(
    conn: asyncpg.Connection, *, period: Period, city: str | None, threshold: int, lang: str
) -> Outcomes:
    """How long placement takes and why placements end early: by placement date within ``period``."""
    timing = await conn.fetchrow(
        """SELECT count(*) AS n,
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY days) AS median,
                  percentile_cont(0.9) WITHIN GROUP (ORDER BY days) AS p90
           FROM (SELECT extract(epoch FROM p.reached_at - r.reached_at) / 86400 AS days
                 FROM funnel_stages p JOIN funnel_stages r ON r.participant_id = p.participant_id
                 WHERE p.stage = 'placed' AND r.stage = 'registered' AND ($1::text IS NULL OR p.city = $1)
                   AND ($2::timestamptz IS NULL OR p.reached_at >= $2)
                   AND ($3::timestamptz IS NULL OR p.reached_at < $3)) AS placed""",
        city,
        period.start,
        period.end,
    )
    reasons = await conn.fetch(
        """SELECT reason, count(DISTINCT participant_id) AS participants FROM drop_outs
           WHERE ($1::text IS NULL OR city = $1)
             AND ($2::timestamptz IS NULL OR ended_at >= $2) AND ($3::timestamptz IS NULL OR ended_at < $3)
           GROUP BY reason""",
        city,
        period.start,
        period.end,
    )
    n = timing["n"] if timing else 0
    enough = n >= threshold
    shown_n = privacy.show_total(n, threshold)
    # A participant may drop out for two reasons: the cells overlap, so no total is published and
    # each cell stands alone (primary suppression only).
    reason_cells = {row["reason"]: row["participants"] for row in reasons}
    return Outcomes(
        period=period.label,
        city=city,
        lang=lang,
        threshold=threshold,
        registration_to_placement=Duration(
            participants=Figure(value=shown_n.value, display=shown_n.display),
            median_days=round(timing["median"], 1) if enough and timing else None,
            p90_days=round(timing["p90"], 1) if enough and timing else None,
        ),
        drop_out_reasons=[
            Cell(
                category=reason,
                label=text(reason, lang),
                value=count if count >= threshold else None,
                display=str(count) if count >= threshold else privacy.primary_mark(threshold),
            )
            for reason, count in sorted(reason_cells.items())
        ],
    )
