"""Request bodies refuse what the rules refuse, naming the field, before any database work."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from mile_placement.commands import EndPlacement, StartPlacement


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


def test_fields_the_server_owns_are_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        EndPlacement.model_validate({"outcome": "cancelled", "early": False})
    assert _fields(refused.value) == {"early"}


def test_an_unknown_outcome_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        EndPlacement.model_validate({"outcome": "finished"})
    assert _fields(refused.value) == {"outcome"}
