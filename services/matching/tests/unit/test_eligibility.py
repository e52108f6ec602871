"""Hard constraints: each one a candidate fails is refused with a reason in words."""

from typing import Any

from mile_matching.domain import assess, ineligibility
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


def test_a_restricted_permit_is_enough() -> None:
    assert _failures(work_permit={"scope": "restricted"}) == []


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
