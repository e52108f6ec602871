"""Request bodies refuse what the rules refuse, naming the field, before any database work."""

import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from mile_placement.commands import EndPlacement, RecordFollowUp, RecordTutoringSession, StartPlacement


def _fields(error: ValidationError) -> set[str]:
    return {".".join(str(p) for p in e["loc"]) for e in error.errors()}


@pytest.mark.parametrize("outcome", ["dropped_out", "ended_by_employer"])
def test_an_early_end_without_a_reason_names_the_reason_field(outcome: str) -> None:
    with pytest.raises(ValidationError) as refused:
        EndPlacement.model_validate({"outcome": outcome})
    assert _fields(refused.value) == {"reason"}


@pytest.mark.parametrize("reason", ["Moved away", "moved-away", "", "x" * 65])
def test_a_reason_is_a_snake_case_code_not_free_text(reason: str) -> None:
    with pytest.raises(ValidationError) as refused:
        EndPlacement.model_validate({"outcome": "dropped_out", "reason": reason})
    assert _fields(refused.value) == {"reason"}


def test_times_must_carry_a_zone_and_are_kept_in_utc() -> None:
    with pytest.raises(ValidationError) as refused:
        StartPlacement.model_validate({"started_at": "2026-04-01T08:00:00"})
    assert _fields(refused.value) == {"started_at"}
    command = EndPlacement.model_validate({"outcome": "completed", "ended_at": "2026-06-30T17:00:00+02:00"})
    assert command.ended_at == datetime(2026, 6, 30, 15, 0, tzinfo=UTC)


def test_a_time_that_overflows_in_utc_names_its_field() -> None:
    """Not a bare OverflowError, which the API would answer with a 500."""
    with pytest.raises(ValidationError) as refused:
        StartPlacement.model_validate({"started_at": "0001-01-01T00:00:00+01:00"})
    assert _fields(refused.value) == {"started_at"}


def test_fields_the_server_owns_are_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        EndPlacement.model_validate({"outcome": "cancelled", "early": False})
    assert _fields(refused.value) == {"early"}


def test_an_unknown_outcome_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        EndPlacement.model_validate({"outcome": "finished"})
    assert _fields(refused.value) == {"outcome"}


def test_a_follow_up_record_names_employment_details_given_without_employment() -> None:
    with pytest.raises(ValidationError) as refused:
        RecordFollowUp.model_validate(
            {"employed": False, "contract_type": "permanent", "in_education_or_training": True}
        )
    assert _fields(refused.value) == {"contract_type"}


def test_a_follow_up_record_names_employment_details_missing_for_the_employed() -> None:
    with pytest.raises(ValidationError) as refused:
        RecordFollowUp.model_validate({"employed": True, "same_employer": True, "in_education_or_training": False})
    assert _fields(refused.value) == {"contract_type", "hours_band"}


def test_tutoring_topics_are_codes_not_free_text() -> None:
    with pytest.raises(ValidationError) as refused:
        RecordTutoringSession.model_validate(
            {"held_on": "2026-04-15", "tutor_ref": str(uuid.uuid4()), "topics": ["He was late again today"]}
        )
    assert _fields(refused.value) == {"topics.0"}
