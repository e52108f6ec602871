"""Hypothesis strategies for vacancies and candidate profiles from small pools of codes, so
random cases often share occupations, skills and languages (where the rules get interesting)."""

import uuid
from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

from mile_schemas import CandidateProfile, VacancyOpened

ISCO = ["7126", "7127", "7121", "7212", "9112", "5120", "512", "71", "7", "2512"]
SKILLS = ["welding", "Soldering", "pipe bending", "customer service", "forklift", "hygiene"]
LANGUAGES = ["it", "en", "es", "ti"]
LEVELS = ["A1", "A2", "B1", "B2", "C1", "C2"]
STATUSES = ["refugee", "subsidiary_protection", "asylum_seeker", "work_permit_holder", "other"]
START = date(2026, 4, 1)
_days = st.integers(min_value=-60, max_value=60).map(lambda d: START + timedelta(days=d))
_coarse = st.tuples(
    st.integers(min_value=4500, max_value=4560).map(lambda v: v / 100),
    st.integers(min_value=900, max_value=960).map(lambda v: v / 100),
)


@st.composite
def profiles(draw: st.DrawFn) -> CandidateProfile:
    languages = draw(st.lists(st.sampled_from(LANGUAGES), unique=True, max_size=3))
    place = draw(st.none() | _coarse)
    fields: dict[str, Any] = {
        "legal_status": draw(st.sampled_from(STATUSES)),
        "work_permit": {
            "scope": draw(st.sampled_from(["none", "restricted", "full"])),
            "valid_until": draw(st.none() | _days),
        },
        "languages": [
            {skill: draw(st.sampled_from(LEVELS)) for skill in ("listening", "reading", "speaking", "writing")}
            | {"language": language}
            for language in languages
        ],
        "experience": [
            {"isco08": code, "years": draw(st.integers(min_value=0, max_value=8))}
            for code in draw(st.lists(st.sampled_from(ISCO), unique=True, max_size=3))
        ],
        "desired_isco08": draw(st.lists(st.sampled_from(ISCO), unique=True, max_size=2)),
        "skills": draw(st.lists(st.sampled_from(SKILLS), unique=True, max_size=4)),
        "municipality": "Milano",
        "latitude": place[0] if place else None,
        "longitude": place[1] if place else None,
        "hours_per_week": draw(st.none() | st.integers(min_value=10, max_value=40)),
        "available_from": draw(st.none() | _days),
        "max_commute_km": draw(st.none() | st.integers(min_value=0, max_value=40)),
    }
    return CandidateProfile.model_validate(fields)


@st.composite
def vacancies(draw: st.DrawFn) -> VacancyOpened:
    place = draw(st.none() | _coarse)
    languages = draw(st.lists(st.sampled_from(LANGUAGES), unique=True, max_size=2))
    fields: dict[str, Any] = {
        "vacancy_id": uuid.uuid4(),
        "city": "milan",
        "employer_id": uuid.uuid4(),
        "kind": "job",
        "title": "Place",
        "isco08": draw(st.sampled_from(ISCO)),
        "essential_skills": draw(st.lists(st.sampled_from(SKILLS), unique=True, max_size=3)),
        "optional_skills": draw(st.lists(st.sampled_from(SKILLS), unique=True, max_size=2)),
        "languages": [{"language": lang, "min_level": draw(st.sampled_from(LEVELS[:4]))} for lang in languages],
        "municipality": "Sesto San Giovanni",
        "latitude": place[0] if place else None,
        "longitude": place[1] if place else None,
        "positions": draw(st.integers(min_value=1, max_value=5)),
        "hours_per_week": draw(st.integers(min_value=10, max_value=40)),
        "start_date": START.isoformat(),
        "accepted_legal_statuses": draw(st.lists(st.sampled_from(STATUSES), unique=True, max_size=3)),
        "opened_at": "2026-03-01T08:00:00Z",
    }
    return VacancyOpened.model_validate(fields)
