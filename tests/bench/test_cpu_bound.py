"""The ceiling the e2e bench sets beside each backlog drain: what its CPU per record allows."""

import pytest

from bench.e2e.backlog import cpu_bound


def test_the_ceiling_is_every_cpu_spent_on_the_drain_against_the_raw_rate() -> None:
    # 100 µs of CPU a record on two CPUs: 20,000 records/s at most, a fifth of a raw 100,000/s
    per_record = {"placement": 60.0, "broker": 10.0, "PostgreSQL": 30.0}
    assert cpu_bound(per_record, raw_per_s=100_000, cpus=2) == pytest.approx(20.0)
    assert cpu_bound(per_record, raw_per_s=100_000, cpus=4) == pytest.approx(40.0)
