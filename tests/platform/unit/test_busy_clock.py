"""A consumer's busy time: what its utilisation panel and the backlog benchmark read."""

import uuid

import pytest
from prometheus_client import REGISTRY

from mile_platform import subscriber


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(subscriber.time, "perf_counter", lambda: now[0])
    return now


def _busy(service: str) -> float:
    return REGISTRY.get_sample_value("mile_consumer_busy_seconds_total", {"service": service}) or 0.0


def test_overlapping_batches_count_once_and_idle_time_not_at_all(clock: list[float]) -> None:
    service = f"svc-{uuid.uuid4().hex[:8]}"
    busy = subscriber._BusyClock(service)
    with busy.holding():  # a batch decoded at 1000..1001 ...
        clock[0] = 1001.0
        busy.enter()  # ... whose flight applies until 1004
        busy.enter()  # and another partition's flight beside it until 1003
    clock[0] = 1003.0
    busy.leave()
    clock[0] = 1004.0
    busy.leave()
    assert _busy(service) == pytest.approx(4.0)
    clock[0] = 1010.0  # idle: nothing in hand
    with busy.holding():
        clock[0] = 1012.0
    assert _busy(service) == pytest.approx(6.0)


def test_busy_time_is_exact_when_read_in_the_middle_of_a_busy_spell(clock: list[float]) -> None:
    """On a backlog the consumer is never idle; a scrape must still see the time so far."""
    service = f"svc-{uuid.uuid4().hex[:8]}"
    busy = subscriber._BusyClock(service)
    busy.enter()
    for second in range(1, 4):
        clock[0] = 1000.0 + second
        assert _busy(service) == pytest.approx(second)
    busy.leave()
