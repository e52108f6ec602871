"""The HTTP command stays in step with the event it becomes."""

import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from mile_matching.commands import OpenVacancy
from mile_schemas import VacancyOpened

BODY = {
    "employer_id": str(uuid.uuid4()),
    "city": "milan",
    "kind": "job",
    "title": "Plumber",
    "isco08": "7126",
    "languages": [{"language": "ita", "min_level": "A2"}],
    "municipality": "Milano",
    "hours_per_week": 30,
    "start_date": "2026-04-01",
}


def test_open_vacancy_has_the_fields_of_vacancy_opened_but_ids_and_time() -> None:
    assert set(OpenVacancy.model_fields) == set(VacancyOpened.model_fields) - {"vacancy_id", "opened_at"}


def test_a_command_becomes_its_event() -> None:
    command = OpenVacancy.model_validate(BODY)
    event = VacancyOpened(vacancy_id=uuid.uuid4(), opened_at=datetime.now(UTC), **command.model_dump())
    assert event.languages[0].language == "it" and event.positions == 1


@pytest.mark.parametrize(
    "change",
    [
        {"filled": 1},
        {"languages": [{"language": "it", "min_level": "A2", "weight": 2}]},
        {"languages": [{"language": "it", "min_level": "A2"}, {"language": "ita", "min_level": "B1"}]},
        {"latitude": 45.5},
    ],
)
def test_unknown_fields_repeats_and_half_coordinates_are_refused(change: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        OpenVacancy.model_validate(BODY | change)
