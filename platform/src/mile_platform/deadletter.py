"""Dead letters: the original record plus headers saying where it came from and why.

The reason is built from error classes and field locations only, never from input
values, so personal data in a bad event cannot leak into headers or logs.
"""

from datetime import UTC, datetime

import asyncpg
from aiokafka.structs import ConsumerRecord
from pydantic import ValidationError

from mile_schemas import dead_letter_topic

MAX_REASON = 500


def describe(exc: BaseException) -> str:
    """A reason naming what was wrong without repeating any input value."""
    if isinstance(exc, ValidationError):
        parts = [
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['type']}"
            for err in exc.errors(include_input=False, include_url=False)
        ]
        return f"{exc.title} invalid: " + "; ".join(parts)
    if isinstance(exc, asyncpg.PostgresError):
        # PostgreSQL messages may quote the offending value: name the constraint instead.
        where = [f"{k}={v}" for k in ("table_name", "column_name", "constraint_name") if (v := getattr(exc, k, None))]
        return f"SQLSTATE {exc.sqlstate} {type(exc).__name__} " + " ".join(where)
    return str(exc)[:MAX_REASON] or type(exc).__name__


def dead_letter_headers(record: ConsumerRecord, exc: BaseException, consumer: str) -> list[tuple[str, bytes]]:
    original = [(k, v) for k, v in (record.headers or ()) if not k.startswith("mile_dlt_")]
    return [
        *original,
        ("mile_dlt_topic", record.topic.encode()),
        ("mile_dlt_partition", str(record.partition).encode()),
        ("mile_dlt_offset", str(record.offset).encode()),
        ("mile_dlt_consumer", consumer.encode()),
        ("mile_dlt_error_class", type(exc).__name__.encode()),
        ("mile_dlt_error_message", describe(exc)[:MAX_REASON].encode()),
        ("mile_dlt_time", datetime.now(UTC).isoformat().encode()),
    ]


def dead_letter_target(record: ConsumerRecord) -> str:
    return dead_letter_topic(record.topic)
