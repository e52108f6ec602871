"""The e2e bench's backlog events carry what a relay sends with each: its sampled span's trace context."""

from opentelemetry.sdk.trace.id_generator import RandomIdGenerator

from bench.e2e.backlog import _relayed
from mile_platform.telemetry import span_context_from


def test_each_backlog_event_continues_a_sampled_trace_of_its_own() -> None:
    ids = RandomIdGenerator()
    parents = [span_context_from(_relayed(ids)) for _ in range(3)]
    assert all(parent is not None and parent.trace_flags.sampled for parent in parents)
    assert len({parent.trace_id for parent in parents if parent is not None}) == 3
