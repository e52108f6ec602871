"""The vectorised index applies exactly the rules of `domain.assess`, and its top k is the
rule book's top k."""

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from mile_matching.domain import assess, rank
from mile_matching.index import Candidate, CandidateIndex, top_candidates
from mile_matching.settings import EligibilityRules, ScoreWeights
from mile_schemas import CandidateProfile, VacancyOpened

from .strategies import profiles, vacancies

WEIGHTS = ScoreWeights()
RULES = EligibilityRules()


def _candidates(found: list[CandidateProfile], placed: list[bool]) -> list[Candidate]:
    return [
        Candidate(participant_id=uuid.UUID(int=i + 1), city="milan", profile=p, placed=placed[i % len(placed)])
        for i, p in enumerate(found)
    ]


@settings(max_examples=150, deadline=None)
@given(vacancies(), st.lists(profiles(), min_size=1, max_size=25), st.lists(st.booleans(), min_size=1, max_size=3))
def test_index_eligibility_and_score_agree_with_the_rules(
    vacancy: VacancyOpened, found: list[CandidateProfile], placed: list[bool]
) -> None:
    candidates = _candidates(found, placed)
    positions, scores = CandidateIndex(candidates).score(vacancy, weights=WEIGHTS, rules=RULES)
    scored = dict(zip(positions.tolist(), scores.tolist(), strict=True))
    for i, candidate in enumerate(candidates):
        expected = assess(vacancy, candidate.profile, weights=WEIGHTS, rules=RULES, placed=candidate.placed)
        assert (i in scored) == expected.eligible
        if expected.eligible:
            assert abs(scored[i] - expected.score) <= 0.0005 + 1e-9


@settings(max_examples=100, deadline=None)
@given(vacancies(), st.lists(profiles(), min_size=0, max_size=30), st.integers(min_value=1, max_value=10))
def test_top_k_is_the_rule_books_top_k(vacancy: VacancyOpened, found: list[CandidateProfile], k: int) -> None:
    candidates = _candidates(found, [False])
    top = top_candidates(CandidateIndex(candidates), vacancy, k=k, weights=WEIGHTS, rules=RULES)
    expected = rank((c.participant_id, assess(vacancy, c.profile)) for c in candidates)[:k]
    assert [(r.candidate.participant_id, r.assessment) for r in top] == expected


def test_an_empty_index_ranks_nobody() -> None:
    from .factories import vacancy

    assert top_candidates(CandidateIndex([]), vacancy(), k=5, weights=WEIGHTS, rules=RULES) == []
