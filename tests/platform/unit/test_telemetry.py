"""A consumer's batch span keeps a link to every event's trace, not only the SDK's first 128."""

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from mile_platform.telemetry import span_limits


def _links_kept(count: int) -> int:
    tracer = TracerProvider(span_limits=span_limits()).get_tracer("test")
    producers = [trace.Link(trace.SpanContext(trace_id=i + 1, span_id=i + 1, is_remote=True)) for i in range(count)]
    span = tracer.start_span("process batch", links=producers)
    span.end()
    return len(span.links)  # type: ignore[attr-defined]


def test_a_batch_of_two_thousand_events_keeps_every_link(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_SPAN_LINK_COUNT_LIMIT", raising=False)
    assert _links_kept(2000) == 2000


def test_an_operator_limit_still_applies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_SPAN_LINK_COUNT_LIMIT", "10")
    assert _links_kept(2000) == 10
