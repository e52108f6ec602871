"""Small builders of valid vacancies and profiles, overridden field by field in tests."""

import uuid
from typing import Any

from mile_schemas import CandidateProfile, VacancyOpened


def vacancy(**fields: Any) -> VacancyOpened:
    base: dict[str, Any] = {
        "vacancy_id": uuid.uuid4(),
        "city": "milan",
        "employer_id": uuid.uuid4(),
        "kind": "job",
        "title": "Plumber",
        "isco08": "7126",
        "essential_skills": [],
        "languages": [],
        "municipality": "Milano",
        "hours_per_week": 30,
        "start_date": "2026-04-01",
        "opened_at": "2026-03-01T08:00:00Z",
    }
    return VacancyOpened.model_validate(base | fields)


def profile(**fields: Any) -> CandidateProfile:
    base: dict[str, Any] = {
        "legal_status": "refugee",
        "work_permit": {"scope": "full", "valid_until": "2030-01-01"},
        "languages": [
            {"language": "it", "listening": "B1", "reading": "B1", "speaking": "B1", "writing": "B1"},
        ],
        "experience": [],
        "desired_isco08": [],
        "municipality": "Milano",
    }
    return CandidateProfile.model_validate(base | fields)
