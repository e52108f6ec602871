"""Prometheus metrics every service exposes on /metrics, named ``mile_*``."""

from collections.abc import Callable, Iterator

from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.metrics_core import CounterMetricFamily, Metric

HTTP_REQUESTS = Counter("mile_http_requests", "HTTP requests served", ["service", "method", "route", "status"])
HTTP_LATENCY = Histogram("mile_http_request_duration_seconds", "HTTP request latency", ["service", "method", "route"])
EVENTS_CONSUMED = Counter("mile_events_consumed", "Events handled by a consumer", ["service", "topic", "outcome"])
CONSUMER_BATCH_SECONDS = Histogram(
    "mile_consumer_batch_duration_seconds", "Time to process one batch, commit included", ["service"]
)


class BusySeconds:
    """``mile_consumer_busy_seconds_total``, read from each consumer's clock when scraped, so it is exact
    at any moment, even in the middle of a long busy spell (a plain Counter moves only when told)."""

    def __init__(self) -> None:
        self._clocks: dict[str, Callable[[], float]] = {}

    def track(self, service: str, seconds: Callable[[], float]) -> None:
        self._clocks[service] = seconds

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "mile_consumer_busy_seconds",
            "Wall time with at least one batch in hand (decoding, applying or committing), overlaps counted once",
            labels=["service"],
        )
        for service, seconds in self._clocks.items():
            family.add_metric([service], seconds())
        yield family


CONSUMER_BUSY_SECONDS = BusySeconds()
REGISTRY.register(CONSUMER_BUSY_SECONDS)
CONSUMER_LAST_BATCH = Gauge(
    "mile_consumer_last_batch_timestamp_seconds", "Unix time the last batch was applied and committed", ["service"]
)
CONSUMER_RETRIES = Counter("mile_consumer_retries", "Batches retried after a transient error", ["service", "error"])
CONSUMER_LAG = Gauge("mile_consumer_lag", "Messages behind the partition's end", ["service", "topic", "partition"])
DEAD_LETTERS = Counter("mile_dead_letters", "Events sent to a dead-letter topic", ["service", "topic", "error"])
OUTBOX_PUBLISHED = Counter("mile_outbox_published", "Outbox events published", ["service"])
OUTBOX_PENDING = Gauge("mile_outbox_pending", "Outbox events not yet published", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "mile_outbox_oldest_pending_age_seconds", "Age of the oldest unpublished outbox event", ["service"]
)
DB_POOL_SIZE = Gauge("mile_db_pool_connections", "Database pool connections", ["service", "state"])
