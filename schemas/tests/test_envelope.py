import time
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from mile_schemas.envelope import EnvelopeError, EventMeta, from_headers, new_event_id, to_headers

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def _meta(**changes: object) -> EventMeta:
    fields: dict[str, object] = {
        "id": uuid.UUID("1b4e28ba-2fa1-41d2-883f-0016d3cca427"),
        "type": "eu.mile.intake.participant_registered.v1",
        "source": "/mile/intake/milan",
        "time": datetime(2026, 3, 2, 9, 15, tzinfo=UTC),
        "subject": "3f6c1d2e-8a4b-4c1e-9b7a-2d5e8f0a1b23",
    }
    fields.update(changes)
    return EventMeta.model_validate(fields)


def test_headers_follow_the_cloudevents_kafka_binding() -> None:
    headers = dict(to_headers(_meta(), TRACEPARENT))
    assert headers == {
        "ce_specversion": b"1.0",
        "ce_id": b"1b4e28ba-2fa1-41d2-883f-0016d3cca427",
        "ce_source": b"/mile/intake/milan",
        "ce_type": b"eu.mile.intake.participant_registered.v1",
        "ce_time": b"2026-03-02T09:15:00Z",
        "ce_subject": b"3f6c1d2e-8a4b-4c1e-9b7a-2d5e8f0a1b23",
        "content-type": b"application/json",
        "traceparent": TRACEPARENT.encode(),
    }


@pytest.mark.parametrize("traceparent", [TRACEPARENT, None])
def test_round_trip(traceparent: str | None) -> None:
    meta = _meta()
    assert from_headers(to_headers(meta, traceparent)) == (meta, traceparent)


def test_round_trip_without_subject() -> None:
    meta = _meta(subject=None, source="/mile/matching", type="eu.mile.matching.vacancy_opened.v1")
    headers = to_headers(meta, None)
    assert "ce_subject" not in dict(headers)
    assert from_headers(headers) == (meta, None)


def test_time_is_normalised_to_utc_and_naive_time_rejected() -> None:
    cet = timezone(timedelta(hours=1))
    assert _meta(time=datetime(2026, 3, 2, 10, 15, tzinfo=cet)).time == datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
    with pytest.raises(ValidationError):
        _meta(time=datetime(2026, 3, 2, 9, 15))


@pytest.mark.parametrize("header", ["ce_id", "ce_type", "ce_source", "ce_specversion", "ce_time"])
def test_missing_header_is_named(header: str) -> None:
    headers = [(name, value) for name, value in to_headers(_meta()) if name != header]
    with pytest.raises(EnvelopeError, match=header):
        from_headers(headers)


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("ce_id", b"not-a-uuid"),
        ("ce_specversion", b"0.3"),
        ("ce_type", b"ParticipantRegistered"),
        ("ce_time", b"2026-03-02T09:15:00"),
        ("ce_time", b"0001-01-01T00:00:00+01:00"),
        ("content-type", b"application/avro"),
        ("ce_source", b"\xff"),
        ("traceparent", b"\xff"),
    ],
)
def test_invalid_header_is_named(header: str, value: bytes) -> None:
    headers = [(name, value if name == header else old) for name, old in to_headers(_meta(), TRACEPARENT)]
    with pytest.raises(EnvelopeError, match=header):
        from_headers(headers)


def test_content_type_parameters_are_accepted() -> None:
    headers = [
        (name, b"application/json; charset=utf-8" if name == "content-type" else value)
        for name, value in to_headers(_meta())
    ]
    assert from_headers(headers)[0] == _meta()


def test_header_names_match_in_any_case_and_the_first_value_counts() -> None:
    headers = [(name.upper(), value) for name, value in to_headers(_meta(), TRACEPARENT)]
    headers.append(("ce_source", b"/mile/intake/athens"))  # a second copy, later: ignored
    assert from_headers(headers) == (_meta(), TRACEPARENT)


def test_headers_outside_the_envelope_are_not_read() -> None:
    """A producer's own binary headers (a checksum, a tenant tag) do not make the event invalid."""
    headers = [*to_headers(_meta()), ("x-checksum", b"\xff\xfe")]
    assert from_headers(headers) == (_meta(), None)


def test_a_second_copy_of_a_header_spelled_as_mile_spells_it_is_ignored() -> None:
    headers = [*to_headers(_meta(), TRACEPARENT), ("ce_source", b"/mile/intake/athens"), ("traceparent", b"x")]
    assert from_headers(headers) == (_meta(), TRACEPARENT)


def test_an_id_of_sixteen_raw_bytes_is_not_read_as_a_uuid() -> None:
    """CloudEvents ids are strings: the UUID's bytes are not one, though pydantic would decode them."""
    headers = [(name, _meta().id.bytes if name == "ce_id" else value) for name, value in to_headers(_meta())]
    with pytest.raises(EnvelopeError, match="ce_id"):
        from_headers(headers)


def test_a_header_without_a_value_counts_as_absent() -> None:
    without_subject = [(name, None if name == "ce_subject" else value) for name, value in to_headers(_meta())]
    assert from_headers(without_subject) == (_meta(subject=None), None)
    without_time = [(name, None if name == "ce_time" else value) for name, value in to_headers(_meta())]
    with pytest.raises(EnvelopeError, match=r"missing CloudEvents header.*ce_time"):
        from_headers(without_time)


def test_the_envelope_validates_from_its_kafka_header_names_too() -> None:
    assert EventMeta.model_validate({name: value for name, value in to_headers(_meta())}) == _meta()


def test_event_ids_made_one_after_another_sort_in_the_order_made() -> None:
    # Inboxes and outboxes index these ids: made in order, each is added at the index's right edge.
    made = [EventMeta(type="eu.mile.intake.participant_registered.v1", source="/mile/intake/milan").id]
    made += [new_event_id() for _ in range(5000)]
    assert made == sorted(made)
    assert len(set(made)) == len(made)
    assert {event_id.version for event_id in made} == {7}
    assert abs((made[0].int >> 80) - time.time() * 1000) < 60_000  # its first 48 bits: milliseconds since 1970
