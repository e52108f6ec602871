"""Batch assignment: never over a capacity, never two proposals for one participant, never an
ineligible pair, balance constraints hold, never worse than the greedy baseline, and the
balanced path's proven bound is never below the true optimum."""

import itertools
import uuid

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mile_matching.assignment import (
    Balance,
    Edges,
    balance_rows,
    balanced,
    candidate_edges,
    greedy,
    refugees,
    solve,
)
from mile_matching.domain import assess
from mile_matching.index import Candidate, CandidateIndex
from mile_matching.settings import EligibilityRules, ScoreWeights
from mile_schemas import CandidateProfile, VacancyOpened

from .strategies import profiles, vacancies

WEIGHTS = ScoreWeights()
RULES = EligibilityRules()


@st.composite
def instances(draw: st.DrawFn) -> tuple[Edges, list[int], int]:
    n = draw(st.integers(min_value=1, max_value=8))
    v = draw(st.integers(min_value=1, max_value=4))
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, v - 1)), unique=True, max_size=20))
    score = draw(st.lists(st.integers(1, 100).map(lambda s: s / 100), min_size=len(pairs), max_size=len(pairs)))
    capacity = draw(st.lists(st.integers(0, 3), min_size=v, max_size=v))
    edges = Edges(
        candidate=np.array([c for c, _ in pairs], dtype=int),
        vacancy=np.array([x for _, x in pairs], dtype=int),
        score=np.array(score),
    )
    return edges, capacity, n


def _respects_capacity(edges: Edges, chosen: np.ndarray, capacity: list[int]) -> None:
    assert len(set(edges.candidate[chosen].tolist())) == chosen.size
    taken = np.bincount(edges.vacancy[chosen], minlength=len(capacity))
    assert (taken <= np.asarray(capacity)).all()


def _brute_force_best(edges: Edges, capacity: list[int], rows: np.ndarray | None = None) -> float:
    """The best total over every subset of pairs within capacity (and meeting ``rows @ x >= 0``)."""
    best = 0.0
    for size in range(edges.score.size + 1):
        for subset in itertools.combinations(range(edges.score.size), size):
            chosen = np.array(subset, dtype=int)
            cands = edges.candidate[chosen].tolist()
            taken = np.bincount(edges.vacancy[chosen], minlength=len(capacity))
            if len(set(cands)) != len(cands) or (taken > np.asarray(capacity)).any():
                continue
            if rows is not None and (rows[:, chosen].sum(axis=1) < -1e-9).any():
                continue
            best = max(best, float(edges.score[chosen].sum()))
    return best


@settings(max_examples=200, deadline=None)
@given(instances())
def test_the_solver_respects_capacity_and_beats_or_ties_greedy(instance: tuple[Edges, list[int], int]) -> None:
    edges, capacity, _ = instance
    chosen = solve(edges, capacity)
    _respects_capacity(edges, chosen, capacity)
    baseline = greedy(edges, capacity)
    _respects_capacity(edges, baseline, capacity)
    assert edges.score[chosen].sum() >= edges.score[baseline].sum() - 1e-9


@settings(max_examples=60, deadline=None)
@given(instances().filter(lambda i: i[0].score.size <= 10))
def test_the_solver_finds_the_optimum(instance: tuple[Edges, list[int], int]) -> None:
    edges, capacity, _ = instance
    assert edges.score[solve(edges, capacity)].sum() == pytest.approx(_brute_force_best(edges, capacity))


@settings(max_examples=150, deadline=None)
@given(instances(), st.integers(0, 100).map(lambda s: s / 100), st.data())
def test_a_minimum_share_of_refugees_holds(
    instance: tuple[Edges, list[int], int], share: float, data: st.DataObject
) -> None:
    edges, capacity, n = instance
    refugee = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    chosen = solve(edges, capacity, refugee=refugee, balance=Balance(min_refugee_share=share))
    _respects_capacity(edges, chosen, capacity)
    if chosen.size:
        assert refugee[edges.candidate[chosen]].mean() >= share - 1e-9


@settings(max_examples=150, deadline=None)
@given(instances(), st.integers(0, 100).map(lambda s: s / 100), st.data())
def test_every_city_gets_its_share_of_proposals(
    instance: tuple[Edges, list[int], int], beta: float, data: st.DataObject
) -> None:
    edges, capacity, n = instance
    city = np.array(data.draw(st.lists(st.sampled_from(["milan", "athens"]), min_size=n, max_size=n)))
    chosen = solve(edges, capacity, city=city, balance=Balance(city_balance=beta))
    _respects_capacity(edges, chosen, capacity)
    proposable = np.unique(edges.candidate)
    if chosen.size:
        overall = chosen.size / proposable.size
        for name in set(city[proposable].tolist()):
            of_city = proposable[city[proposable] == name]
            rate = np.isin(edges.candidate[chosen], of_city).sum() / of_city.size
            assert rate >= beta * overall - 1e-9


@settings(max_examples=100, deadline=None)
@given(
    instances().filter(lambda i: i[0].score.size <= 9),
    st.integers(0, 100).map(lambda s: s / 100),
    st.integers(0, 100).map(lambda s: s / 100),
    st.data(),
)
def test_both_balance_constraints_hold_and_the_bound_is_never_below_the_optimum(
    instance: tuple[Edges, list[int], int], share: float, beta: float, data: st.DataObject
) -> None:
    edges, capacity, n = instance
    refugee = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    city = np.array(data.draw(st.lists(st.sampled_from(["milan", "athens", "patras"]), min_size=n, max_size=n)))
    balance = Balance(min_refugee_share=share, city_balance=beta)
    rows = balance_rows(edges, refugee=refugee, city=city, balance=balance)
    found = balanced(edges, capacity, rows)
    _respects_capacity(edges, found.chosen, capacity)
    assert (rows[:, found.chosen].sum(axis=1) >= -1e-9).all()
    assert found.objective == pytest.approx(edges.score[found.chosen].sum())
    optimum = _brute_force_best(edges, capacity, rows)
    assert found.objective <= optimum + 1e-9 <= found.upper_bound + 2e-9


@settings(max_examples=60, deadline=None)
@given(instances(), st.data())
def test_balance_that_already_holds_changes_nothing(
    instance: tuple[Edges, list[int], int], data: st.DataObject
) -> None:
    edges, capacity, n = instance
    refugee = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    free = solve(edges, capacity)
    share = float(refugee[edges.candidate[free]].mean()) if free.size else 0.0
    kept = solve(edges, capacity, refugee=refugee, balance=Balance(min_refugee_share=share))
    assert edges.score[kept].sum() == pytest.approx(edges.score[free].sum())


def test_balance_constraints_need_their_attributes() -> None:
    edges = Edges(np.array([0]), np.array([0]), np.array([0.5]))
    with pytest.raises(ValueError, match="legal status"):
        solve(edges, [1], balance=Balance(min_refugee_share=0.5))
    with pytest.raises(ValueError, match="city"):
        solve(edges, [1], balance=Balance(city_balance=0.5))
    nothing = Edges(np.array([], dtype=int), np.array([], dtype=int), np.array([]))
    assert solve(nothing, [1]).size == 0 and greedy(nothing, [1]).size == 0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(vacancies(), min_size=1, max_size=4),
    st.lists(profiles(), min_size=1, max_size=15),
    st.integers(0, 100).map(lambda s: s / 100),
)
def test_no_assigned_pair_violates_a_hard_constraint(
    found_vacancies: list[VacancyOpened], found: list[CandidateProfile], share: float
) -> None:
    candidates = [Candidate(participant_id=uuid.UUID(int=i + 1), city="milan", profile=p) for i, p in enumerate(found)]
    index = CandidateIndex(candidates)
    capacity = [v.positions for v in found_vacancies]
    edges = candidate_edges(
        index, found_vacancies, capacity, weights=WEIGHTS, rules=RULES, min_score=0.0, per_position=3
    )
    chosen = solve(edges, capacity, refugee=refugees(index), balance=Balance(min_refugee_share=share))
    _respects_capacity(edges, chosen, capacity)
    for e in chosen.tolist():
        vacancy = found_vacancies[int(edges.vacancy[e])]
        assert assess(vacancy, candidates[int(edges.candidate[e])].profile).eligible
