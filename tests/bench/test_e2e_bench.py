"""The end-to-end benchmark at its smoke size, so it cannot rot.

It runs as a user runs it (``python -m bench.e2e``), pointed at this session's broker and
PostgreSQL (Apache Kafka in CI's second pass) through the variables it documents, and must
account for every registration and report every figure. No speed is asserted here.
"""

import asyncio
import json
import os
import random
import re
import string
import subprocess
import sys
from pathlib import Path

import pytest

from mile_devstack.databases import PostgresServer

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


async def test_smoke_run_loses_nothing_and_reports_every_figure(
    kafka_bootstrap: str, kafka_idempotence: bool, postgres_server: PostgresServer
) -> None:
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "MILE_KAFKA_IDEMPOTENCE": "true" if kafka_idempotence else "false",
        "MILE_DATABASE_URL": postgres_server.url("postgres"),
    }
    city = "".join(random.choices(string.ascii_lowercase, k=8))  # other tests never read its topic
    bench = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.e2e", "--size", "smoke", "--city", city, "--replicas", "1",
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    out, err = await bench.communicate()
    assert bench.returncode == 0, err.decode()[-4000:]

    report, figures_line = out.decode().rstrip().rsplit("\n", 1)
    assert figures_line.startswith("FIGURES ")
    figures = {row["figure"]: row for row in json.loads(figures_line.removeprefix("FIGURES "))}
    offered = figures["offered registrations"]["value"].rsplit("(", 1)[1].rstrip(")")
    assert figures["intake commits (HTTP 201)"]["met"] is True, figures["intake commits (HTTP 201)"]
    assert figures["lost"]["met"] is True, figures["lost"]
    placed = figures["intake commit → placed in reporting (with the bench's accept, confirm, start)"]
    assert placed["value"].startswith(f"{offered} placed of {offered} "), placed  # every one went the whole way
    backlogs = [row for name, row in figures.items() if "backlog" in name]
    assert sorted(name.split()[0] for name in figures if "backlog" in name) == ["matching", "placement", "reporting"]
    for row in backlogs:
        assert "(2 replicas)" in row["figure"], row  # as deploy/k8s/base runs them, though one ran under load
        assert "% of raw" in row["value"], row
        assert "CPU per record: aiokafka " in row["baseline"], row  # the bench's own reader; the broker is external
        rate = float(row["value"].split(" records/s")[0].replace(",", ""))
        assert rate > 0, row
        # The share is of the median raw read (a drain meets the machine as it is on average), the best beside it.
        raw = re.search(r"median of 5 reads\): ([\d,]+)/s, best ([\d,]+)/s", row["baseline"])
        assert raw is not None, row
        median, best = (int(figure.replace(",", "")) for figure in raw.groups())
        assert best >= median > 0, row
        share = int(row["value"].split(" = ")[1].split(" %")[0])
        assert abs(share - 100 * rate / median) <= 0.5 + 1e-9, row
        assert row["met"] in (True, False)
        assert ("for the proposal lock" in row["value"]) == row["figure"].startswith("matching"), row  # why it lags
    peaks = dict(item.rsplit(" ", 1) for item in figures["peak RSS per service process (MB)"]["value"].split(", "))
    shared = {f"{service}{replica}" for service in ("matching", "placement", "reporting") for replica in ("", "-2")}
    assert set(peaks) == {f"intake-{city}", *shared}
    assert all(float(mb) > 0 for mb in peaks.values()), peaks
    for figure in ("intake commits (HTTP 201)", "sustained throughput, intake → reporting"):
        assert "raw " in figures[figure]["baseline"], figures[figure]  # each beside its same-run baseline
    assert f"| {figures['lost']['figure']} |" in report
