"""Consumers tolerate new fields but reject bad codes, naive times and consent violations."""

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from mile_schemas.codes import ConsentPurpose
from mile_schemas.events import (
    ConsentChanged,
    MatchProposed,
    ParticipantRegistered,
    VacancyOpened,
)
from mile_schemas.examples import load_examples
from mile_schemas.registry import UnknownEventType, parse_event


def _registered() -> dict[str, Any]:
    return load_examples(ParticipantRegistered.event_type)[0]


def _with_profile(**changes: Any) -> dict[str, Any]:
    data = _registered()
    data["profile"] = {**data["profile"], **changes}
    return data


def test_unknown_fields_are_ignored() -> None:
    data = {**_registered(), "added_in_a_later_minor": {"x": 1}}
    event = ParticipantRegistered.model_validate(data)
    assert not hasattr(event, "added_in_a_later_minor")


def test_unknown_event_type() -> None:
    with pytest.raises(UnknownEventType, match=r"eu\.mile\.intake\.nope\.v1"):
        parse_event("eu.mile.intake.nope.v1", b"{}")


@pytest.mark.parametrize(
    "data",
    [
        _with_profile(
            languages=[
                {
                    "language": "it",
                    "listening": "D1",
                    "reading": "A1",
                    "speaking": "A1",
                    "writing": "A1",
                }
            ]
        ),
        _with_profile(
            languages=[
                {
                    "language": "xx",
                    "listening": "A1",
                    "reading": "A1",
                    "speaking": "A1",
                    "writing": "A1",
                }
            ]
        ),
        {**_registered(), "statistics": {**_registered()["statistics"], "nationality": "XX"}},
        {**_registered(), "registered_at": "2026-03-02T09:15:00"},
        {**_registered(), "city": "Milan"},
        _with_profile(isced_level=9),
        _with_profile(hours_per_week=61),
        _with_profile(latitude=45.48, longitude=None),
        _with_profile(experience=[{"isco08": "71260", "years": 1}]),
        _with_profile(desired_isco08=["7126", "7126"]),
    ],
)
def test_invalid_codes_are_rejected(data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ParticipantRegistered.model_validate(data)


def test_consents_are_a_set_in_canonical_order() -> None:
    data = {**_registered(), "consents": ["statistics", "matching", "case_management", "matching"]}
    consents = ParticipantRegistered.model_validate(data).consents
    assert consents == (
        ConsentPurpose.CASE_MANAGEMENT,
        ConsentPurpose.MATCHING,
        ConsentPurpose.STATISTICS,
    )


def test_times_are_normalised_to_utc() -> None:
    event = ParticipantRegistered.model_validate({**_registered(), "registered_at": "2026-03-02T10:15:00+01:00"})
    assert event.registered_at == datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
    assert json.loads(event.model_dump_json())["registered_at"] == "2026-03-02T09:15:00Z"


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_time_out_of_range_in_utc_is_a_validation_error(moment: str) -> None:
    with pytest.raises(ValidationError, match="registered_at"):
        ParticipantRegistered.model_validate({**_registered(), "registered_at": moment})


def test_participant_position_is_coarsened() -> None:
    event = ParticipantRegistered.model_validate(_with_profile(latitude=45.48123, longitude=9.20456))
    assert event.profile is not None
    assert (event.profile.latitude, event.profile.longitude) == (45.48, 9.2)


def test_profile_needs_matching_consent() -> None:
    with pytest.raises(ValidationError, match="matching consent"):
        ParticipantRegistered.model_validate({**_registered(), "consents": ["statistics"]})
    with pytest.raises(ValidationError, match="statistics consent"):
        ParticipantRegistered.model_validate({**_registered(), "consents": ["matching"]})


def test_consent_change_carries_profile_only_when_matching_consent_is_given() -> None:
    given = load_examples(ConsentChanged.event_type)[0]
    assert ConsentChanged.model_validate(given).profile is not None
    for changes in ({"status": "withdrawn"}, {"purpose": "statistics"}):
        with pytest.raises(ValidationError, match="profile only"):
            ConsentChanged.model_validate({**given, **changes})


def test_matching_bounds() -> None:
    proposed = load_examples(MatchProposed.event_type)[0]
    with pytest.raises(ValidationError):
        MatchProposed.model_validate({**proposed, "score": 1.2})
    opened = load_examples(VacancyOpened.event_type)[0]
    with pytest.raises(ValidationError):
        VacancyOpened.model_validate({**opened, "positions": 0})
    with pytest.raises(ValidationError):
        VacancyOpened.model_validate({**opened, "languages": [{"language": "it", "min_level": "A2"}] * 2})


def test_events_are_immutable() -> None:
    event = ParticipantRegistered.model_validate(_registered())
    with pytest.raises(ValidationError):
        event.city = "athens"  # type: ignore[misc]
