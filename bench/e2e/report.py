"""The benchmark's figures as Markdown, and as one ``FIGURES`` line that ``bench/results.py`` lifts."""

from __future__ import annotations

import json
import math
import os
import platform
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .backlog import RAW_READS, Drain
from .baselines import KafkaBaseline, PostgresBaseline
from .load import LoadResult

P99_GOAL_MS = 1000.0
BACKLOG_GOAL_PCT = 25.0


@dataclass(frozen=True)
class Results:
    size: str
    cities: int
    replicas: int  # of each shared service under load
    backlog_replicas: int  # of each shared service draining its backlog
    infra: str
    load: LoadResult
    kafka: KafkaBaseline
    postgres: PostgresBaseline
    drains: list[Drain]
    peak_rss_mb: dict[str, float]
    bench_peak_rss_mb: float


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def figures(r: Results) -> list[dict[str, Any]]:
    """The headline figures, each with its same-run baseline and goal."""
    load = r.load
    journeys = list(load.journeys.values())  # every committed registration
    visible = [(j.registered_seen - j.committed) * 1000 for j in journeys if j.registered_seen and j.committed]
    chosen = sum(j.chosen for j in journeys)
    started = [j for j in journeys if j.placement_started]
    placed = [(j.placed_seen - j.committed) * 1000 for j in started if j.placed_seen and j.committed]
    first_sent = min((j.sent for j in journeys), default=0.0)
    last_seen = max((j.registered_seen or 0.0 for j in journeys), default=0.0)
    last_commit = max((j.committed or 0.0 for j in journeys), default=0.0)
    p99 = percentile(visible, 99)
    lost = len(journeys) - len(visible) + len(started) - len(placed)
    rows: list[dict[str, Any]] = [
        _row("offered registrations", f"{load.rate:g}/s for {load.send_window_s:.0f} s ({load.offered:,})"),
        _row(
            "intake commits (HTTP 201)",
            f"{len(journeys):,} of {load.offered:,} at {_rate(len(journeys), last_commit - first_sent)}/s; "
            f"HTTP p50 {percentile(load.http_ms, 50):.0f} ms, p99 {percentile(load.http_ms, 99):.0f} ms",
            f"raw asyncpg: {r.postgres.per_s:,.0f} single-row commits/s ({r.postgres.rows:,} rows, pool of 10)",
            goal="all offered",
            met=len(journeys) == load.offered,
        ),
        _row(
            "sustained throughput, intake → reporting",
            f"{_rate(len(visible), last_seen - first_sent)} registrations/s visible in reporting",
            f"raw aiokafka: produce {r.kafka.produce_per_s:,.0f} msg/s, consume {r.kafka.consume_per_s:,.0f} msg/s "
            f"({r.kafka.messages:,} messages)",
        ),
        _row(
            "intake commit → visible in reporting",
            f"p50 {percentile(visible, 50):.0f} ms, p99 {p99:.0f} ms, max {max(visible, default=math.nan):.0f} ms",
            goal=f"p99 < {P99_GOAL_MS:.0f} ms at 200/s",
            met=bool(visible) and p99 < P99_GOAL_MS and load.rate >= 200,
        ),
        _row(
            "intake commit → placed in reporting (with the bench's accept, confirm, start)",
            f"{len(placed):,} placed of {chosen:,} whose first proposal was accepted ({load.accept_share:.0%} of "
            f"registrations); p50 {percentile(placed, 50):.0f} ms, p99 {percentile(placed, 99):.0f} ms",
        ),
        _row(
            "lost",
            f"{len(journeys) - len(visible)} of {len(journeys):,} committed not in reporting, "
            f"{len(started) - len(placed)} of {len(started):,} started not placed there, after waiting for stragglers",
            goal="0",
            met=lost == 0,
        ),
    ]
    for drain in r.drains:
        rows.append(
            _row(
                f"{drain.service} ({_replicas(r.backlog_replicas)}) consuming a backlog of {drain.records:,} records",
                f"{drain.per_s:,.0f} records/s = {drain.share:.0f} % of raw"
                + ("" if drain.handled >= drain.records else f" (cut off after {drain.handled:,} records)")
                + _lock_wait(drain, r.backlog_replicas)
                + _cpu(drain.cpu_us)
                + _ceiling(drain),
                f"raw aiokafka consume of the same records (median of {RAW_READS} reads): {drain.raw_per_s:,.0f}/s, "
                f"best {drain.raw_best_per_s:,.0f}/s" + _cpu(drain.raw_cpu_us),
                goal=f"≥ {BACKLOG_GOAL_PCT:.0f} %",
                met=drain.share >= BACKLOG_GOAL_PCT,
            )
        )
    rss = ", ".join(f"{name} {mb:.0f}" for name, mb in sorted(r.peak_rss_mb.items()))
    rows.append(_row("peak RSS per service process (MB)", rss))
    return rows


def markdown(r: Results) -> str:
    load = r.load
    errors = ", ".join(f"{what}: {n}" for what, n in sorted(load.errors.items())) or "none"
    lines = [
        "# End-to-end benchmark",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}, size `{r.size}`, against {r.infra}:",
        f"`uv run python -m bench.e2e --size {r.size}`. {r.cities} intake(s) (one per city) and",
        f"{_replicas(r.replicas)} of each shared service under load, {_replicas(r.backlog_replicas)} draining its",
        "backlog, each its own process, on the same machine as the broker, PostgreSQL and this load generator.",
        "",
        "| figure | value | baseline (same run, same broker and database) | goal | met |",
        "|---|---|---|---|---|",
        *(f"| {f['figure']} | {f['value']} | {f['baseline']} | {f['goal']} | {_met(f['met'])} |" for f in figures(r)),
        "",
        f"Vacancies opened: {sum(len(v) for v in load.vacancies.values())} ({POSITIONS_NOTE}). HTTP errors: {errors}.",
        f"Sent again under the same Idempotency-Key after a broken connection or a timeout: {load.retries}.",
        f"The load generator itself used {load.bench_cpu_s:.1f} CPU-seconds in {load.wall_s:.1f} s "
        f"(peak RSS {r.bench_peak_rss_mb:.0f} MB) on the same {os.cpu_count()} CPUs.",
        "Commit time is when the 201 arrived; visibility is polled in reporting's database every 50 ms.",
    ]
    return "\n".join(lines) + "\n"


POSITIONS_NOTE = "1,000 positions each, one language per city so each participant fits their own city's"


def figures_line(r: Results) -> str:
    return "FIGURES " + json.dumps([{"benchmark": "e2e", **f} for f in figures(r)], ensure_ascii=False)


def machine() -> str:
    return f"{platform.node()} ({platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()})"


def _row(figure: str, value: str, baseline: str = "", goal: str = "", met: bool | None = None) -> dict[str, Any]:
    return {"figure": figure, "value": value, "baseline": baseline, "goal": goal, "met": met}


def _replicas(n: int) -> str:
    return "1 replica" if n == 1 else f"{n} replicas"


def _lock_wait(drain: Drain, replicas: int) -> str:
    """Matching proposes one transaction at a time: how long its replicas queued for that, in all."""
    if not drain.lock_wait_s or replicas == 1:
        return ""
    return f"; its replicas waited {drain.lock_wait_s:.1f} s in all for the proposal lock, in {drain.seconds:.1f} s"


def _cpu(per_record: Mapping[str, float]) -> str:
    """What each process (or server) spent per record, where the bench could see it."""
    if not per_record:
        return ""
    return "; CPU per record: " + ", ".join(f"{name} {us:,.0f} µs" for name, us in per_record.items())


def _ceiling(drain: Drain) -> str:
    """Whether the drain was short of CPU or of something else: the share its CPU per record allows."""
    if drain.cpu_bound is None:
        return ""
    return f"; with every CPU busy on it, at most {drain.cpu_bound:.0f} % of raw"


def _rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.1f}" if seconds > 0 else "n/a"


def _met(met: bool | None) -> str:
    return "" if met is None else ("yes" if met else "**no**")
