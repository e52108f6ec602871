"""What of the Skills Profile Tool profile may travel, and how a re-assessment changes it."""

from datetime import date

import pytest
from pydantic import ValidationError

from mile_intake.commands import EndTraining, RecordConsent
from mile_intake.profile import ParticipantProfile, candidate_profile, furthest_recognition, with_languages
from mile_schemas import LanguageProficiency, RecognitionStatus

PROFILE = {
    "legal_status": "refugee",
    "work_permit": {"scope": "full"},
    "languages": [
        {"language": "it", "listening": "A2", "reading": "A2", "speaking": "A2", "writing": "A1"},
        {"language": "ar", "listening": "C2", "reading": "C2", "speaking": "C2", "writing": "C2"},
    ],
    "education": [
        {"isced_level": 6, "country": "SY", "recognition": "requested"},
        {"isced_level": 4, "country": "TR", "recognition": "partial"},
        {"isced_level": 3, "country": "IT"},
    ],
    "expectations": {"desired_isco08": ["5120"], "hours_per_week": 20, "available_from": "2027-01-04"},
    "municipality": "Centro",
}


def test_the_candidate_profile_takes_expectations_and_the_highest_isced_level() -> None:
    shared = candidate_profile(ParticipantProfile.model_validate(PROFILE))
    assert shared.isced_level == 6
    assert (shared.desired_isco08, shared.hours_per_week, shared.available_from) == (("5120",), 20, date(2027, 1, 4))
    assert shared.max_commute_km is None


@pytest.mark.parametrize(
    ("statuses", "furthest"),
    [
        (["requested", "partial", None], RecognitionStatus.PARTIAL),
        (["full", "none"], RecognitionStatus.FULL),
        (["none", "requested"], RecognitionStatus.REQUESTED),
        ([None], None),
        ([], None),
    ],
)
def test_recognition_is_the_furthest_status_across_qualifications(
    statuses: list[str | None], furthest: RecognitionStatus | None
) -> None:
    education = [{"isced_level": 3, "recognition": status} for status in statuses]
    assert furthest_recognition(ParticipantProfile.model_validate({**PROFILE, "education": education})) == furthest


def test_assessed_languages_replace_those_held_and_new_ones_are_added() -> None:
    assessed = (
        LanguageProficiency(language="it", listening="B1", reading="B1", speaking="B1", writing="A2", tested=True),
        LanguageProficiency(language="en", listening="A2", reading="A2", speaking="A2", writing="A2", tested=True),
    )
    languages = with_languages(ParticipantProfile.model_validate(PROFILE), assessed).languages
    assert [(entry.language, entry.speaking, entry.tested) for entry in languages] == [
        ("it", "B1", True),
        ("ar", "C2", False),
        ("en", "A2", True),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"outcome": "dropped_out", "hours_attended": 2}, "drop_out_reason"),
        ({"outcome": "completed", "hours_attended": 2, "drop_out_reason": "moved"}, "drop_out_reason"),
        ({"outcome": "dropped_out", "hours_attended": 2, "certificate": True, "drop_out_reason": "x"}, "certificate"),
    ],
)
def test_ending_training_names_the_field_that_breaks_a_rule(body: dict, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        EndTraining.model_validate(body)
    assert [error["loc"] for error in caught.value.errors()] == [(field,)]


def test_only_a_given_consent_can_carry_an_expiry() -> None:
    with pytest.raises(ValidationError) as caught:
        RecordConsent.model_validate(
            {"purpose": "matching", "status": "withdrawn", "notice_version": "1", "expires_on": "2030-01-01"}
        )
    assert caught.value.errors()[0]["loc"] == ("expires_on",)
