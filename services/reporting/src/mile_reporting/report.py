"""Indicator tables as funders read them: counted from the projections, then suppressed.

One query per indicator counts participants per city and statistical attributes; every
table (by city, sex, age band or legal status, for all cities or inside one) is summed from
those counts in Python, so all tables of a request agree with each other before suppression.
"""

from collections import Counter
from collections.abc import Mapping, Sequence
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


_SUPPORTED = (
    """
    WITH population AS (
        SELECT participant_id, min(city) AS city FROM support_measures
        WHERE measure = ANY($4::text[])
          AND ($2::timestamptz IS NULL OR received_at >= $2) AND ($3::timestamptz IS NULL OR received_at < $3)
        GROUP BY participant_id
    )"""
    + _STATISTICS
)

# ESF+ counts participants at entry: those who registered in the period and applied for recognition.
_RECOGNITION = (
    """
    WITH population AS (
        SELECT f.participant_id, f.city FROM funnel_stages f JOIN participant_statistics r USING (participant_id)
        WHERE f.stage = 'registered' AND r.recognition = ANY($4::text[])
          AND ($2::timestamptz IS NULL OR f.reached_at >= $2) AND ($3::timestamptz IS NULL OR f.reached_at < $3)
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
    elif indicator.measure is Measure.SUPPORTED:
        rows = await conn.fetch(_SUPPORTED, legal, period.start, period.end, list(indicator.measures))
    elif indicator.measure is Measure.RECOGNITION:
        statuses = [status.value for status in indicator.recognition]
        rows = await conn.fetch(_RECOGNITION, legal, period.start, period.end, statuses)
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


def city_table(
    counts: Mapping[tuple[str, str], int], city: str | None, threshold: int
) -> tuple[privacy.Shown, dict[str, privacy.Shown]]:
    """A table of categories, counted per (city, category): its total and cells, suppressed like ``publish``.

    Inside one city the total is the city's figure as the table of cities shows it, so no city's
    table can undo the suppression of another.
    """
    by_city: Counter[str] = Counter()
    cells: Counter[str] = Counter()
    for (where, category), n in counts.items():
        by_city[where] += n
        if city is None or where == city:
            cells[category] += n
    if city is None:
        return privacy.show_total(sum(by_city.values()), threshold), privacy.protect(cells, threshold)
    total = privacy.protect(by_city, threshold).get(city, privacy.Shown(0, "0"))
    if total.value is None or by_city[city] == 0:
        return total, privacy.hide_all(cells)
    return total, privacy.protect(cells, threshold)


class Trend(BaseModel):
    """Participants reaching one stage per calendar month (by the month they first reached it), suppressed."""

    stage: str
    label: str
    total: Figure
    months: list[Cell]


class Trends(BaseModel):
    city: str | None
    lang: str
    threshold: int
    stages: list[Trend]


async def stage_trends(
    conn: asyncpg.Connection, *, city: str | None, threshold: int, lang: str, stages: Sequence[Stage] = tuple(Stage)
) -> Trends:
    """Every stage by month, for all cities together or one city."""
    rows = await conn.fetch(
        """SELECT stage, city, to_char(reached_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month, count(*) AS participants
           FROM funnel_stages WHERE stage = ANY($1::text[]) GROUP BY 1, 2, 3""",
        [stage.value for stage in stages],
    )
    per_stage: dict[str, dict[tuple[str, str], int]] = {stage.value: {} for stage in stages}
    for row in rows:
        per_stage[row["stage"]][(row["city"], row["month"])] = row["participants"]
    trends = []
    for stage in stages:
        total, cells = city_table(per_stage[stage.value], city, threshold)
        trends.append(
            Trend(
                stage=stage.value,
                label=text(stage.value, lang),
                total=Figure(value=total.value, display=total.display),
                months=[
                    Cell(category=m, label=m, value=cells[m].value, display=cells[m].display) for m in sorted(cells)
                ],
            )
        )
    return Trends(city=city, lang=lang, threshold=threshold, stages=trends)


class Duration(BaseModel):
    """Days from registration to a first placement; hidden (null) for fewer participants than the threshold."""

    participants: Figure
    median_days: float | None
    p90_days: float | None


class TrainingHours(BaseModel):
    """Hours attended in ended courses of one type; hidden (null) when fewer participants than the threshold."""

    category: str
    label: str
    participants: Figure
    hours: int | None


class FollowUpCoverage(BaseModel):
    """Follow-ups due in the period (counted, not people): recorded, missed or still pending, suppressed."""

    due: Figure
    states: list[Cell]  # recorded, missed, pending
    recorded_percent: float | None  # recorded of those settled (recorded + missed); null if either is hidden


class Outcomes(BaseModel):
    period: str | None
    city: str | None
    lang: str
    threshold: int
    registration_to_placement: Duration
    drop_out_reasons: list[Cell]
    training_hours: list[TrainingHours]
    training_drop_out_reasons: list[Cell]
    follow_up_coverage: FollowUpCoverage


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
    training = await conn.fetch(
        """SELECT course_type, count(DISTINCT participant_id) AS participants, sum(hours_attended) AS hours,
                  count(DISTINCT participant_id) FILTER (WHERE outcome = 'dropped_out') AS dropped
           FROM training_endings
           WHERE ($1::text IS NULL OR city = $1)
             AND ($2::timestamptz IS NULL OR ended_at >= $2) AND ($3::timestamptz IS NULL OR ended_at < $3)
           GROUP BY course_type""",
        city,
        period.start,
        period.end,
    )
    training_reasons = await conn.fetch(
        """SELECT drop_out_reason AS reason, count(DISTINCT participant_id) AS participants FROM training_endings
           WHERE outcome = 'dropped_out' AND ($1::text IS NULL OR city = $1)
             AND ($2::timestamptz IS NULL OR ended_at >= $2) AND ($3::timestamptz IS NULL OR ended_at < $3)
           GROUP BY drop_out_reason""",
        city,
        period.start,
        period.end,
    )
    follow_ups = await conn.fetch(
        """SELECT city, state, count(*) AS n FROM follow_ups
           WHERE ($1::timestamptz IS NULL OR coalesce(due_at, settled_at) >= $1)
             AND ($2::timestamptz IS NULL OR coalesce(due_at, settled_at) < $2)
           GROUP BY city, state""",
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
            Cell(category=reason, label=text(reason, lang), **_alone(count, threshold).model_dump())
            for reason, count in sorted(reason_cells.items())
        ],
        training_hours=[
            TrainingHours(
                category=row["course_type"],
                label=text(row["course_type"], lang),
                participants=_alone(row["participants"], threshold),
                hours=row["hours"] if row["participants"] >= threshold else None,
            )
            for row in sorted(training, key=lambda row: row["course_type"])
        ],
        training_drop_out_reasons=[
            Cell(
                category=row["reason"],
                label=text(row["reason"], lang),
                **_alone(row["participants"], threshold).model_dump(),
            )
            for row in sorted(training_reasons, key=lambda row: row["reason"])
        ],
        follow_up_coverage=coverage(
            {(row["city"], _FOLLOW_UP_CELLS[row["state"]]): row["n"] for row in follow_ups}, city, threshold, lang
        ),
    )


_FOLLOW_UP_CELLS = {"recorded": "recorded", "missed": "missed", "due": "pending"}


def _alone(count: int, threshold: int) -> Figure:
    """A figure published on its own (overlapping cells, no total): primary suppression only."""
    if 0 < count < threshold:
        return Figure(value=None, display=privacy.primary_mark(threshold))
    return Figure(value=count, display=str(count))


def coverage(counts: Mapping[tuple[str, str], int], city: str | None, threshold: int, lang: str) -> FollowUpCoverage:
    total, cells = city_table(counts, city, threshold)
    for state in _FOLLOW_UP_CELLS.values():
        cells.setdefault(state, privacy.Shown(0, "0"))
    recorded, missed = cells["recorded"].value, cells["missed"].value
    percent = None
    if recorded is not None and missed is not None and recorded + missed > 0:
        percent = round(100 * recorded / (recorded + missed), 1)
    return FollowUpCoverage(
        due=Figure(value=total.value, display=total.display),
        states=[
            Cell(category=state, label=text(state, lang), value=cells[state].value, display=cells[state].display)
            for state in _FOLLOW_UP_CELLS.values()
        ],
        recorded_percent=percent,
    )
