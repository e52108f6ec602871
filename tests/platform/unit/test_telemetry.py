"""A consumer's batch span keeps a link to every event's trace, not only the SDK's first 128; a
``traceparent`` is read as the W3C propagator reads it, however it is read."""

import subprocess
import sys

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from mile_platform.telemetry import context_from, span_context_from, span_limits, traceparent_of


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


WRITTEN = "00-a11bb2029a93a5e1ddd3cea95d00afca-6eb7e693d89197bd-01"


@pytest.mark.parametrize(
    "traceparent",
    [
        WRITTEN,
        "00-a11bb2029a93a5e1ddd3cea95d00afca-6eb7e693d89197bd-00",  # not sampled
        f" {WRITTEN}\t",  # surrounding blanks, which an HTTP client may send
        "01-a11bb2029a93a5e1ddd3cea95d00afca-6eb7e693d89197bd-01-later",  # a later version may add fields
        "00-a11bb2029a93a5e1ddd3cea95d00afca-6eb7e693d89197bd-01-later",  # version 00 may not
        "ff-a11bb2029a93a5e1ddd3cea95d00afca-6eb7e693d89197bd-01",  # the forbidden version
        "00-00000000000000000000000000000000-6eb7e693d89197bd-01",  # no trace
        "00-a11bb2029a93a5e1ddd3cea95d00afca-0000000000000000-01",  # no parent span
        "00-A11BB2029A93A5E1DDD3CEA95D00AFCA-6EB7E693D89197BD-01",  # upper case
        "00-a11bb2029a93a5e1ddd3cea95d00afca-6eb7e693d89197b-01",  # a digit short
        "00-+11bb2029a93a5e1ddd3cea95d00afca-6eb7e693d89197bd-01",  # what int() would take
        "nonsense",
    ],
)
def test_a_traceparent_is_read_as_the_w3c_propagator_reads_it(traceparent: str) -> None:
    by_propagator = trace.get_current_span(
        TraceContextTextMapPropagator().extract({"traceparent": traceparent})
    ).get_span_context()
    assert span_context_from(traceparent) == (by_propagator if by_propagator.is_valid else None)
    continued = trace.get_current_span(context_from(traceparent)).get_span_context()
    assert continued == by_propagator


def test_the_form_mile_writes_names_the_producer_span() -> None:
    parent = span_context_from(WRITTEN)
    assert parent is not None
    assert traceparent_of(trace.NonRecordingSpan(parent)) == WRITTEN
    assert parent.is_remote


@pytest.mark.parametrize("traceparent", [None, ""])
def test_no_traceparent_continues_nothing(traceparent: str | None) -> None:
    assert span_context_from(traceparent) is None
    assert not trace.get_current_span(context_from(traceparent)).get_span_context().is_valid


_SETUP = """
import os, sys
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from mile_platform.telemetry import context_from, recording, setup_telemetry, traceparent_of, tracer
os.environ.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
setup_telemetry("test", [SimpleSpanProcessor(InMemorySpanExporter())] if sys.argv[1] == "exporting" else None)
span = tracer().start_span("publish", context=context_from(sys.argv[2]))
print(recording(), traceparent_of(span))
"""


@pytest.mark.parametrize("exporting", [False, True])
def test_spans_are_recorded_only_where_something_takes_them(exporting: bool) -> None:
    """Without an exporter no provider is installed: a span continues its parent's context as it came,
    so events carry their cause's trace on at no cost; with one, each span is a new child."""
    argv = [sys.executable, "-c", _SETUP, "exporting" if exporting else "alone", WRITTEN]
    recorded, traceparent = subprocess.run(argv, capture_output=True, text=True, check=True).stdout.split()
    assert recorded == str(exporting)
    parent = span_context_from(WRITTEN)
    child = span_context_from(traceparent)
    assert parent is not None and child is not None and child.trace_id == parent.trace_id
    assert (child.span_id != parent.span_id) is exporting
