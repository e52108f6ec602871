"""OpenTelemetry tracing: one trace from HTTP request through outbox and Kafka to consumer.

The W3C ``traceparent`` of the request is stored with each outbox row, sent as a
Kafka header by the relay, and continued by the consumer.
"""

import functools
import os
import re

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanLimits, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_propagator = TraceContextTextMapPropagator()


def setup_telemetry(service: str, extra_processors: list[SpanProcessor] | None = None) -> None:
    """Install a tracer provider exporting over OTLP when an endpoint is configured, and to any
    ``extra_processors``. With neither, none is installed: its spans would be recorded only to be
    dropped, a CPU cost on every request and event, while OpenTelemetry's default (no-op) tracer
    passes each trace context received on to the events it causes, unchanged."""
    processors = list(extra_processors or [])
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        processors.insert(0, BatchSpanProcessor(OTLPSpanExporter()))
    if not processors:
        return
    provider = TracerProvider(resource=Resource.create({"service.name": f"mile-{service}"}), span_limits=span_limits())
    for processor in processors:
        provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)


def recording() -> bool:
    """Whether spans are recorded (``setup_telemetry`` installed a provider): callers skip the work
    of spans and links no one would see."""
    return isinstance(trace.get_tracer_provider(), TracerProvider)


def span_limits() -> SpanLimits:
    """The SDK's limits, but a link per event on a consumer's batch span (a batch is bounded by the
    consumer's max records): the default of 128 links would leave most of a backlog's events
    unlinked. ``OTEL_SPAN_LINK_COUNT_LIMIT`` still sets a limit when given."""
    return SpanLimits(max_links=None if os.environ.get("OTEL_SPAN_LINK_COUNT_LIMIT") else SpanLimits.UNSET)


@functools.cache
def tracer() -> trace.Tracer:
    """MILE's tracer, made once: ``get_tracer`` builds a new one per call, and the relay asks once per
    event. Safe to keep, as a process sets its provider once (a tracer made before then follows it)."""
    return trace.get_tracer("mile")


def current_traceparent() -> str | None:
    return traceparent_of(trace.get_current_span())


def traceparent_of(span: trace.Span) -> str | None:
    """The W3C ``traceparent`` naming ``span`` as parent, without making it current first (the relay
    makes a span per event, and attaching each to the context costs a quarter of the span)."""
    context = span.get_span_context()
    if not context.is_valid:
        return None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"


_NO_CONTEXT = otel_context.Context()
_AS_WRITTEN = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
"""A version-00 ``traceparent`` exactly as ``traceparent_of`` writes it, as every MILE event carries one."""


def span_context_from(traceparent: str | None) -> trace.SpanContext | None:
    """The remote span a stored or received ``traceparent`` names; None when absent or invalid.

    One is read per event consumed or relayed, and the propagator's generic path (a carrier, a
    getter, a context) costs as much as decoding the event; so the form MILE writes is read here
    directly, and any other is left to the propagator and its rules.
    """
    if not traceparent:
        return None
    if (written := _AS_WRITTEN.fullmatch(traceparent)) is None:
        parent = trace.get_current_span(_propagator.extract({"traceparent": traceparent})).get_span_context()
    else:
        trace_id, span_id, flags = written.groups()
        parent = trace.SpanContext(int(trace_id, 16), int(span_id, 16), True, trace.TraceFlags(int(flags, 16)))
    return parent if parent.is_valid else None


def context_from(traceparent: str | None) -> otel_context.Context:
    """Context continuing a stored or received ``traceparent`` (empty when absent or invalid)."""
    parent = span_context_from(traceparent)
    return _NO_CONTEXT if parent is None else trace.set_span_in_context(trace.NonRecordingSpan(parent), _NO_CONTEXT)
