"""Hard constraints: each one a candidate fails is refused with a reason in words."""

from typing import Any

from mile_matching.domain import assess, haversine_km, ineligibility
from mile_matching.settings import EligibilityRules
from mile_schemas import CandidateProfile, VacancyOpened

from .factories import profile, vacancy


def _failures(vacancy_fields: dict[str, Any] | None = None, **profile_fields: Any) -> list[str]:
    return ineligibility(vacancy(**(vacancy_fields or {})), profile(**profile_fields))


def test_a_fitting_candidate_fails_nothing() -> None:
    assert _failures() == []


def test_legal_status_must_be_among_the_accepted() -> None:
    accepting = {"accepted_legal_statuses": ["refugee", "subsidiary_protection"]}
    failures = _failures(accepting, legal_status="asylum_seeker")
    assert failures == ["Legal status asylum seeker not accepted (accepts refugee, subsidiary protection)"]


def test_an_empty_list_of_legal_statuses_accepts_any() -> None:
    assert _failures({"accepted_legal_statuses": []}, legal_status="other") == []


def test_no_work_permit_is_refused() -> None:
    assert _failures(work_permit={"scope": "none"}) == ["No work permit"]


def test_a_restricted_permit_is_enough_within_its_hours() -> None:
    assert _failures({"hours_per_week": 20}, work_permit={"scope": "restricted"}) == []


def test_a_restricted_permit_does_not_cover_more_hours_than_configured() -> None:
    failures = _failures({"hours_per_week": 30}, work_permit={"scope": "restricted"})
    assert failures == ["Restricted work permit covers 20 h/week, vacancy needs 30 h/week"]
    wider = EligibilityRules(restricted_permit_max_hours=30)
    assert ineligibility(vacancy(hours_per_week=30), profile(work_permit={"scope": "restricted"}), rules=wider) == []


def test_a_full_permit_covers_any_hours() -> None:
    assert _failures({"hours_per_week": 40}, work_permit={"scope": "full"}) == []


def test_the_permit_must_still_be_valid_on_the_start_date() -> None:
    failures = _failures({"start_date": "2026-04-01"}, work_permit={"scope": "full", "valid_until": "2026-03-31"})
    assert failures == ["Work permit valid until 2026-03-31, before start 2026-04-01"]
    assert _failures({"start_date": "2026-04-01"}, work_permit={"scope": "full", "valid_until": "2026-04-01"}) == []


def test_a_required_language_must_be_spoken() -> None:
    failures = _failures({"languages": [{"language": "it", "min_level": "A2"}]}, languages=[])
    assert failures == ["No Italian (A2 required)"]


def test_every_skill_of_a_language_must_meet_the_minimum() -> None:
    italian = {"language": "it", "listening": "B2", "reading": "B1", "speaking": "B1", "writing": "A1"}
    failures = _failures({"languages": [{"language": "it", "min_level": "A2"}]}, languages=[italian])
    assert failures == ["Italian writing A1 < A2 required"]


def test_every_failure_is_listed_and_the_candidate_scores_nothing() -> None:
    bad: CandidateProfile = profile(legal_status="other", work_permit={"scope": "none"}, languages=[])
    job: VacancyOpened = vacancy(accepted_legal_statuses=["refugee"], languages=[{"language": "it", "min_level": "A1"}])
    result = assess(job, bad)
    assert not result.eligible and result.score == 0.0
    assert result.reasons == (
        "Legal status other not accepted (accepts refugee)",
        "No work permit",
        "No Italian (A1 required)",
    )


def test_a_permit_without_end_date_stays_valid() -> None:
    assert _failures(work_permit={"scope": "full", "valid_until": None}) == []


# Milano Duomo and Sesto San Giovanni, as coarse coordinates (0.01°): about 8 km apart.
MILANO = {"latitude": 45.46, "longitude": 9.19}
SESTO = {"latitude": 45.53, "longitude": 9.23, "municipality": "Sesto San Giovanni"}


def test_haversine_measures_great_circle_kilometres() -> None:
    assert haversine_km(45.46, 9.19, 45.46, 9.19) == 0.0
    assert 8.0 < haversine_km(45.46, 9.19, 45.53, 9.23) < 9.0
    # One degree of latitude is about 111 km anywhere.
    assert abs(haversine_km(40.0, 9.0, 41.0, 9.0) - 111.2) < 0.2


def test_a_commute_beyond_the_participants_maximum_is_refused() -> None:
    failures = _failures(SESTO, **MILANO, max_commute_km=5)
    assert failures == ["Commute 8 km to Sesto San Giovanni > 5 km maximum"]
    assert _failures(SESTO, **MILANO, max_commute_km=10) == []


def test_without_a_maximum_the_configured_default_applies() -> None:
    assert _failures(SESTO, **MILANO) == []
    near_only = EligibilityRules(default_max_commute_km=3)
    failures = ineligibility(vacancy(**SESTO), profile(**MILANO), rules=near_only)
    assert failures == ["Commute 8 km to Sesto San Giovanni > 3 km maximum"]


def test_an_unknown_place_on_either_side_never_refuses() -> None:
    assert _failures(SESTO, max_commute_km=0) == []
    assert _failures({}, **MILANO, max_commute_km=0) == []


def test_the_participant_must_be_available_by_the_start() -> None:
    failures = _failures({"start_date": "2026-04-01"}, available_from="2026-04-02")
    assert failures == ["Available from 2026-04-02, after start 2026-04-01"]
    assert _failures({"start_date": "2026-04-01"}, available_from="2026-04-01") == []


def test_the_vacancy_may_not_ask_more_hours_than_the_participant_has() -> None:
    failures = _failures({"hours_per_week": 30}, hours_per_week=20)
    assert failures == ["Vacancy needs 30 h/week, available 20 h/week"]
    assert _failures({"hours_per_week": 20}, hours_per_week=20) == []


def test_a_placed_participant_is_not_eligible_again() -> None:
    assert ineligibility(vacancy(), profile(), placed=True) == ["Already placed"]
    result = assess(vacancy(), profile(experience=[{"isco08": "7126", "years": 3}]), placed=True)
    assert not result.eligible and result.reasons == ("Already placed",)
