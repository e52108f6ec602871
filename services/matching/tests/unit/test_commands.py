"""The HTTP command stays in step with the event it becomes."""

import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from mile_matching.commands import AssignBatch, OpenVacancy, RegisterEmployer, UpdateVacancy
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


def test_an_update_names_what_changes_and_never_clears_a_required_field() -> None:
    assert UpdateVacancy(positions=2).changes() == {"positions": 2}
    assert UpdateVacancy(latitude=None, longitude=None).changes() == {"latitude": None, "longitude": None}
    with pytest.raises(ValidationError, match="at least one field"):
        UpdateVacancy()
    with pytest.raises(ValidationError, match="title cannot be cleared"):
        UpdateVacancy(title=None)
    with pytest.raises(ValidationError, match="filled"):
        UpdateVacancy.model_validate({"filled": 1})


def test_an_employer_has_a_nace_sector_and_a_plausible_contact() -> None:
    employer = RegisterEmployer(name="Idraulica", nace="F43.2", municipality="Milano", contact={"email": "a@b.it"})
    assert employer.contact.email == "a@b.it" and employer.contact.phone is None
    for bad in ({"nace": "43.2"}, {"nace": "F4"}, {"contact": {"email": "not an email"}}, {"contact": {"phone": "x"}}):
        with pytest.raises(ValidationError):
            RegisterEmployer.model_validate({"name": "Idraulica", "nace": "F43", "municipality": "Milano"} | bad)


def test_a_batch_names_its_cities_and_keeps_shares_between_zero_and_one() -> None:
    assert AssignBatch(cities=("milan",), min_refugee_share=0.2).city_balance is None
    with pytest.raises(ValidationError):
        AssignBatch(cities=())
    with pytest.raises(ValidationError):
        AssignBatch(cities=("milan", "milan"))
    with pytest.raises(ValidationError):
        AssignBatch(cities=("milan",), city_balance=1.5)
