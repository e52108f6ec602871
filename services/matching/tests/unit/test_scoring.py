"""Scores rank eligible candidates and every part of a score is explained in words."""

import uuid

import pytest

from mile_matching.domain import (
    Assessment,
    assess,
    choose_proposals,
    occupation_fit,
    proposal_room,
    rank,
    shared_isco_digits,
    skill_coverage,
)
from mile_matching.settings import ScoreWeights

from .factories import profile, vacancy


@pytest.mark.parametrize(
    ("a", "b", "shared"),
    [
        ("7126", "7126", 4),
        ("7126", "7127", 3),
        ("7126", "7133", 2),
        ("7126", "7411", 1),
        ("7126", "2142", 0),
        ("712", "7126", 3),
    ],
)
def test_shared_isco_digits_follow_the_hierarchy(a: str, b: str, shared: int) -> None:
    assert shared_isco_digits(a, b) == shared


def test_occupation_fit_falls_along_the_isco_hierarchy() -> None:
    fits = [
        occupation_fit("7126", profile(experience=[{"isco08": code, "years": 5}]))[0]
        for code in ("7126", "7127", "7133", "7411", "2142")
    ]
    assert fits == [1.0, 0.75, 0.5, 0.25, 0.0]


def test_occupation_fit_explains_the_best_match_with_its_years() -> None:
    candidate = profile(experience=[{"isco08": "7127", "years": 10}, {"isco08": "7126", "years": 3}])
    fit, reason = occupation_fit("7126", candidate)
    assert reason == "ISCO 7126: exact match, 3 years"
    assert fit == pytest.approx(0.85 + 0.15 * 3 / 5)


def test_experience_years_add_a_little_over_a_mere_wish() -> None:
    wished, wish_reason = occupation_fit("7126", profile(desired_isco08=["7126"]))
    done, _ = occupation_fit("7126", profile(experience=[{"isco08": "7126", "years": 1}]))
    assert wished == pytest.approx(0.85) and wished < done < 1.0
    assert wish_reason == "ISCO 7126: exact match, desired, no experience"


def test_a_wish_in_the_same_unit_group_beats_experience_one_level_up() -> None:
    wished, _ = occupation_fit("7126", profile(desired_isco08=["7126"]))
    near, reason = occupation_fit("7126", profile(experience=[{"isco08": "7127", "years": 20}]))
    assert wished > near
    assert reason == "ISCO 7127: same minor group 712, 20 years"


def test_no_related_occupation_is_said_plainly() -> None:
    assert occupation_fit("7126", profile(experience=[{"isco08": "2142", "years": 1}])) == (
        0.0,
        "No experience or wish related to ISCO 7126",
    )


def test_skill_coverage_counts_essential_skills_case_blind() -> None:
    assert skill_coverage(["Welding", "pipe fitting", "soldering"], ["welding", "Soldering", "driving"]) == (
        pytest.approx(2 / 3),
        "2 of 3 essential skills",
    )
    assert skill_coverage([], ["welding"]) == (None, "No essential skills required")


def test_a_full_fit_scores_one_with_every_reason() -> None:
    job = vacancy(essential_skills=["welding"], languages=[{"language": "it", "min_level": "A2"}])
    italian = {"language": "it", "listening": "B2", "reading": "B2", "speaking": "B2", "writing": "B2"}
    candidate = profile(experience=[{"isco08": "7126", "years": 6}], skills=["welding"], languages=[italian])
    assert assess(job, candidate) == Assessment(
        eligible=True,
        score=1.0,
        reasons=("ISCO 7126: exact match, 6 years", "1 of 1 essential skills", "Italian B2 ≥ A2 required"),
    )


def test_language_margin_rewards_levels_above_the_minimum() -> None:
    job = vacancy(languages=[{"language": "it", "min_level": "B1"}])
    just = assess(job, profile(experience=[{"isco08": "7126", "years": 5}]))
    assert just.score == pytest.approx(round((0.5 * 1.0 + 0.2 * 0.5) / 0.7, 3))
    assert just.reasons[-1] == "Italian B1 ≥ B1 required"


def test_parts_the_vacancy_does_not_ask_for_do_not_count() -> None:
    result = assess(vacancy(), profile(experience=[{"isco08": "7126", "years": 5}]))
    assert result.score == 1.0
    assert result.reasons == (
        "ISCO 7126: exact match, 5 years",
        "No essential skills required",
        "No language requirement",
    )


def test_an_unrelated_occupation_is_not_lifted_by_requirements_nobody_set() -> None:
    cook = profile(experience=[{"isco08": "5120", "years": 6}])
    job = vacancy(languages=[{"language": "it", "min_level": "A2"}])
    assert assess(job, cook).score == pytest.approx(round(0.2 * 0.75 / 0.7, 3))
    assert assess(job, cook).score < 0.3


def test_no_occupation_and_no_essential_skill_scores_zero() -> None:
    assert assess(vacancy(essential_skills=["a", "b"]), profile()).score == 0.0


def _assessed(score: float, eligible: bool = True) -> tuple[uuid.UUID, Assessment]:
    return uuid.uuid4(), Assessment(eligible=eligible, score=score, reasons=())


def test_ranking_keeps_only_the_eligible_best_first() -> None:
    low, high, refused = _assessed(0.4), _assessed(0.9), _assessed(0.0, eligible=False)
    assert rank([low, refused, high]) == [high, low]


def test_ties_are_broken_by_participant_id() -> None:
    first = (uuid.UUID(int=1), Assessment(eligible=True, score=0.5, reasons=()))
    second = (uuid.UUID(int=2), Assessment(eligible=True, score=0.5, reasons=()))
    assert rank([second, first]) == [first, second]


def test_proposals_need_the_minimum_score_and_fit_the_room() -> None:
    candidates = [_assessed(0.9), _assessed(0.8), _assessed(0.5), _assessed(0.29)]
    assert choose_proposals(candidates, min_score=0.3, room=2) == candidates[:2]
    assert choose_proposals(candidates, min_score=0.3, room=10) == candidates[:3]
    assert choose_proposals(candidates, min_score=0.3, room=0) == []


@pytest.mark.parametrize(
    ("positions", "filled", "open_proposals", "room"),
    [(1, 0, 0, 3), (2, 0, 4, 2), (1, 0, 3, 0), (1, 0, 5, 0), (2, 1, 0, 6), (2, 2, 0, 0), (1, 2, 0, 0)],
)
def test_proposal_room(positions: int, filled: int, open_proposals: int, room: int) -> None:
    assert proposal_room(positions=positions, filled=filled, open_proposals=open_proposals, per_position=3) == room


def test_weights_come_from_configuration() -> None:
    job = vacancy(essential_skills=["welding"])
    candidate = profile(experience=[{"isco08": "7126", "years": 5}], skills=[])
    occupation_only = ScoreWeights(occupation=1.0, essential_skills=0.0, language=0.0)
    assert assess(job, candidate, weights=occupation_only).score == 1.0
    skills_heavy = ScoreWeights(occupation=0.1, essential_skills=0.9)
    assert assess(job, candidate, weights=skills_heavy).score == pytest.approx(0.1)


def test_optional_skills_count_and_say_how_many() -> None:
    job = vacancy(optional_skills=["soldering", "pipe bending"])
    candidate = profile(experience=[{"isco08": "7126", "years": 5}], skills=["Soldering"])
    result = assess(job, candidate)
    assert "1 of 2 optional skills" in result.reasons
    w = ScoreWeights()
    expected = (w.occupation * 1.0 + w.optional_skills * 0.5) / (w.occupation + w.optional_skills)
    assert result.score == pytest.approx(round(expected, 3))


def test_nearer_candidates_score_higher_and_hear_the_distance() -> None:
    job = vacancy(latitude=45.53, longitude=9.23, municipality="Sesto San Giovanni")
    experienced = {"experience": [{"isco08": "7126", "years": 5}], "max_commute_km": 20}
    near = assess(job, profile(latitude=45.53, longitude=9.23, **experienced))
    far = assess(job, profile(latitude=45.46, longitude=9.19, **experienced))
    assert near.score > far.score
    assert "0 km to Sesto San Giovanni (maximum 20 km)" in near.reasons
    assert "8 km to Sesto San Giovanni (maximum 20 km)" in far.reasons
