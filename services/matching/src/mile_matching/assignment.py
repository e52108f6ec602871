"""Batch assignment: the proposals that maximise the total score over a city or region.

Each participant gets at most one proposal, each vacancy at most its free positions, and
only eligible pairs are considered (the hard constraints stay hard). Optional balance
constraints: a minimum share of refugees among those proposed, and every city's rate of
proposed participants at least a fraction of the overall rate. Without balance constraints
the problem is a bipartite b-matching, solved exactly as a minimum-weight matching of
participants to positions (SciPy's LAPJVsp); with them, as a mixed-integer program by HiGHS
(SciPy's `milp`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from mile_matching.index import CandidateIndex
from mile_matching.settings import EligibilityRules, ScoreWeights
from mile_schemas import LegalStatus, VacancyOpened


class SolverFailed(RuntimeError):
    """HiGHS returned no solution (a time or memory limit); proposing nothing is always feasible."""


@dataclass(frozen=True)
class Edges:
    """Eligible (candidate, vacancy) pairs worth proposing, as parallel arrays."""

    candidate: np.ndarray  # int, index into the candidate index
    vacancy: np.ndarray  # int, index into the vacancies
    score: np.ndarray  # float in [0, 1]


@dataclass(frozen=True)
class Balance:
    """Optional fairness constraints on who is proposed."""

    min_refugee_share: float | None = None
    city_balance: float | None = None


def candidate_edges(
    index: CandidateIndex,
    vacancies: Sequence[VacancyOpened],
    capacity: Sequence[int],
    *,
    weights: ScoreWeights,
    rules: EligibilityRules,
    min_score: float,
    per_position: int,
    mask: np.ndarray | None = None,
) -> Edges:
    """For each vacancy, its best ``per_position`` x capacity eligible candidates above ``min_score``.

    Keeping only the best few per position keeps the program small; a candidate ranked lower
    by every vacancy could only enter an optimal assignment if all those ahead went elsewhere.
    """
    candidates: list[np.ndarray] = []
    vacancies_of: list[np.ndarray] = []
    scores: list[np.ndarray] = []
    for v, (vacancy, free) in enumerate(zip(vacancies, capacity, strict=True)):
        if free <= 0:
            continue
        positions, score = index.score(vacancy, weights=weights, rules=rules, mask=mask)
        good = score >= min_score
        positions, score = positions[good], score[good]
        keep = per_position * free
        if positions.size > keep:
            best = np.argpartition(-score, keep - 1)[:keep]
            positions, score = positions[best], score[best]
        candidates.append(positions)
        vacancies_of.append(np.full(positions.size, v))
        scores.append(score)
    if not candidates:
        return Edges(np.array([], dtype=int), np.array([], dtype=int), np.array([]))
    return Edges(np.concatenate(candidates), np.concatenate(vacancies_of), np.concatenate(scores))


def solve(
    edges: Edges,
    capacity: Sequence[int],
    *,
    refugee: np.ndarray | None = None,
    city: np.ndarray | None = None,
    balance: Balance = Balance(),
) -> np.ndarray:
    """Indices of the chosen edges: maximum total score within capacities and balance."""
    m = edges.score.size
    if m == 0:
        return np.array([], dtype=int)
    if balance.min_refugee_share is None and balance.city_balance is None:
        return _matching(edges, capacity)
    # A participant in at most one proposal; a vacancy in at most its capacity.
    used_candidates, cand_rows = np.unique(edges.candidate, return_inverse=True)
    used_vacancies, vac_rows = np.unique(edges.vacancy, return_inverse=True)
    columns = np.arange(m)
    per_candidate = sparse.csr_matrix((np.ones(m), (cand_rows, columns)), shape=(used_candidates.size, m))
    per_vacancy = sparse.csr_matrix((np.ones(m), (vac_rows, columns)), shape=(used_vacancies.size, m))
    constraints = [
        LinearConstraint(per_candidate, -np.inf, 1),
        LinearConstraint(per_vacancy, -np.inf, np.asarray(capacity, dtype=float)[used_vacancies]),
    ]
    if balance.min_refugee_share is not None:
        if refugee is None:
            raise ValueError("a refugee share needs each candidate's legal status")
        # refugees - share * everyone >= 0
        row = refugee[edges.candidate].astype(float) - balance.min_refugee_share
        constraints.append(LinearConstraint(row.reshape(1, -1), 0, np.inf))
    if balance.city_balance is not None:
        if city is None:
            raise ValueError("balance across cities needs each candidate's city")
        constraints.extend(_city_rows(edges, city, balance.city_balance))
    result = milp(
        c=-edges.score,
        constraints=constraints,
        integrality=np.ones(m),
        bounds=Bounds(0, 1),
        options={"mip_rel_gap": 1e-6},
    )
    if result.x is None:
        raise SolverFailed(result.message)
    return np.flatnonzero(result.x > 0.5)


def _matching(edges: Edges, capacity: Sequence[int]) -> np.ndarray:
    """Without balance constraints: a minimum-weight full matching (LAPJVsp) of participants to
    vacancy positions, each participant also offered a "no proposal" slot of their own.

    Every participant is matched exactly once, so minimising (2 - score) over proposals plus 2
    for "no proposal" maximises the total score; weights stay positive, as the solver needs.
    """
    cap = np.asarray(capacity, dtype=np.int64)
    used, rows = np.unique(edges.candidate, return_inverse=True)
    copies = cap[edges.vacancy]
    edge_of = np.repeat(np.arange(edges.score.size), copies)
    first_slot = np.concatenate(([0], np.cumsum(cap)[:-1]))
    within = np.arange(edge_of.size) - np.repeat(np.cumsum(copies) - copies, copies)
    slot = first_slot[edges.vacancy[edge_of]] + within
    slots = int(cap.sum())
    own = np.arange(used.size)  # each participant's "no proposal" slot
    weights = np.concatenate((2.0 - edges.score[edge_of], np.full(used.size, 2.0)))
    graph_rows = np.concatenate((rows[edge_of], own))
    graph_cols = np.concatenate((slot, slots + own))
    graph = sparse.csr_matrix((weights, (graph_rows, graph_cols)), shape=(used.size, slots + used.size))
    matched_rows, matched_cols = min_weight_full_bipartite_matching(graph)
    real = matched_cols < slots
    # Back from (participant, position) to the edge: keys are unique, as each pair is one edge.
    keys = rows[edge_of] * (slots + 1) + slot
    order = np.argsort(keys)
    found = np.searchsorted(keys[order], matched_rows[real] * (slots + 1) + matched_cols[real])
    return np.sort(edge_of[order[found]])


def _city_rows(edges: Edges, city: np.ndarray, beta: float) -> list[LinearConstraint]:
    """Each city's rate of proposed participants >= beta x the overall rate, over the
    participants who could be proposed at all: N * proposed_c - beta * n_c * proposed >= 0."""
    proposable = np.unique(edges.candidate)
    n_candidates = proposable.size
    names, counts = np.unique(city[proposable], return_counts=True)
    rows = []
    edge_city = city[edges.candidate]
    for name, count in zip(names, counts, strict=True):
        rows.append(n_candidates * (edge_city == name).astype(float) - beta * count)
    return [LinearConstraint(np.vstack(rows), 0, np.inf)]


def greedy(edges: Edges, capacity: Sequence[int]) -> np.ndarray:
    """Baseline: best pairs first, each taken while its participant is free and its vacancy has room."""
    left = np.asarray(capacity, dtype=int).copy()
    taken: set[int] = set()
    chosen: list[int] = []
    for e in np.argsort(-edges.score, kind="stable").tolist():
        c, v = int(edges.candidate[e]), int(edges.vacancy[e])
        if c not in taken and left[v] > 0:
            taken.add(c)
            left[v] -= 1
            chosen.append(e)
    return np.array(chosen, dtype=int)


def refugees(index: CandidateIndex) -> np.ndarray:
    """Which candidates are refugees (for the minimum-share constraint)."""
    return index.status == list(LegalStatus).index(LegalStatus.REFUGEE)
