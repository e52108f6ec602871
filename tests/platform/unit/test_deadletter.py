"""Dead-letter reasons name fields and error kinds, never the values that were sent."""

import asyncpg
from aiokafka.structs import ConsumerRecord
from pydantic import ValidationError

from mile_platform.deadletter import dead_letter_headers, describe
from mile_schemas import ParticipantRegistered


def _validation_error() -> ValidationError:
    try:
        ParticipantRegistered.model_validate(
            {"participant_id": "not-a-uuid", "city": "Secret Name", "registered_at": "Jane Doe"}
        )
    except ValidationError as exc:
        return exc
    raise AssertionError("expected a validation error")


def test_reason_names_fields_without_input_values() -> None:
    reason = describe(_validation_error())
    assert "participant_id" in reason and "city" in reason and "registered_at" in reason
    assert "Secret Name" not in reason and "Jane Doe" not in reason and "not-a-uuid" not in reason


def test_headers_say_where_the_record_came_from() -> None:
    record = ConsumerRecord(
        topic="mile.intake.milan.participants.v1",
        partition=2,
        offset=41,
        timestamp=0,
        timestamp_type=0,
        key=b"k",
        value=b"{",
        checksum=None,
        serialized_key_size=1,
        serialized_value_size=1,
        headers=[("ce_type", b"x")],
    )
    headers = dict(dead_letter_headers(record, ValueError("bad"), "reporting"))
    assert headers["mile_dlt_topic"] == b"mile.intake.milan.participants.v1"
    assert headers["mile_dlt_partition"] == b"2"
    assert headers["mile_dlt_offset"] == b"41"
    assert headers["mile_dlt_error_class"] == b"ValueError"
    assert headers["mile_dlt_error_message"] == b"bad"
    assert headers["mile_dlt_consumer"] == b"reporting"
    assert headers["ce_type"] == b"x"


def test_database_errors_name_the_constraint_not_the_value() -> None:
    exc = asyncpg.UniqueViolationError(
        "duplicate key value violates unique constraint\nDETAIL: Key (email)=(jane@x.org)"
    )
    exc.constraint_name = "people_email_key"  # type: ignore[attr-defined]
    reason = describe(exc)
    assert "people_email_key" in reason and "jane@x.org" not in reason
