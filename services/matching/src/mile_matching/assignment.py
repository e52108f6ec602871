"""Batch assignment: the proposals that maximise the total score over a city or region.

Each participant gets at most one proposal, each vacancy at most its free positions, and
only eligible pairs are considered (the hard constraints stay hard). Optional balance
constraints: a minimum share of refugees among those proposed, and every city's rate of
proposed participants at least a fraction of the overall rate. Without balance constraints
the problem is a bipartite b-matching, solved exactly as a minimum-cost flow (OR-Tools); with
them, by Lagrangian relaxation of the few balance rows over the same flows, which also proves
how far from the optimum the answer can be (a general MILP took minutes at country scale).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from mile_matching.index import CandidateIndex
from mile_matching.settings import EligibilityRules, ScoreWeights
from mile_schemas import LegalStatus, VacancyOpened


class SolverFailed(RuntimeError):
    """The flow solver found no optimum (it always should: proposing nobody is feasible)."""


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
    if edges.score.size == 0:
        return np.array([], dtype=int)
    rows = balance_rows(edges, refugee=refugee, city=city, balance=balance)
    if rows.shape[0] == 0:
        return best_matching(edges, capacity, edges.score)
    return balanced(edges, capacity, rows).chosen


def best_matching(edges: Edges, capacity: Sequence[int], weights: np.ndarray) -> np.ndarray:
    """The edges of a maximum-weight b-matching (each participant once, each vacancy up to its
    capacity) as a minimum-cost flow: source -> participant -> vacancy -> sink, with a bypass
    from source to sink so that nobody has to be proposed. Exact; edges of weight <= 0 never pay."""
    useful = np.flatnonzero(weights > 0)
    if useful.size == 0:
        return np.array([], dtype=int)
    used_candidates, cand_node = np.unique(edges.candidate[useful], return_inverse=True)
    used_vacancies, vac_node = np.unique(edges.vacancy[useful], return_inverse=True)
    n, v = used_candidates.size, used_vacancies.size
    source, sink = n + v, n + v + 1
    tails = np.concatenate((np.full(n, source), cand_node, n + np.arange(v), [source]))
    heads = np.concatenate((np.arange(n), n + vac_node, np.full(v, sink), [sink]))
    capacities = np.concatenate(
        (np.ones(n + useful.size), np.asarray(capacity, dtype=np.int64)[used_vacancies], [n])
    ).astype(np.int64)
    costs = np.concatenate((np.zeros(n), -np.rint(weights[useful] * _COST_SCALE), np.zeros(v + 1))).astype(np.int64)
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(tails.astype(np.int32), heads.astype(np.int32), capacities, costs)
    supplies = np.zeros(n + v + 2, dtype=np.int64)
    supplies[source], supplies[sink] = n, -n
    flow.set_nodes_supplies(np.arange(n + v + 2, dtype=np.int32), supplies)
    status = flow.solve()
    if status != min_cost_flow.SimpleMinCostFlow.OPTIMAL:
        raise SolverFailed(f"minimum-cost flow ended with {status!r}")
    carried = flow.flows(arcs[n : n + useful.size])
    return np.sort(useful[carried > 0])


# Scores become integer arc costs in millionths: finer than any score's rounding.
_COST_SCALE = 1_000_000


def balance_rows(edges: Edges, *, refugee: np.ndarray | None, city: np.ndarray | None, balance: Balance) -> np.ndarray:
    """Each balance constraint as a row ``a`` over the edges, met when ``a @ x >= 0``:

    - refugees: each proposal adds (1 - share) if a refugee, else -share;
    - city c: each proposal adds [its city is c] - beta * n_c / N, where n_c of the N
      participants who could be proposed at all are of c (c's rate >= beta x the overall rate).
    """
    rows: list[np.ndarray] = []
    if balance.min_refugee_share is not None:
        if refugee is None:
            raise ValueError("a refugee share needs each candidate's legal status")
        rows.append(refugee[edges.candidate].astype(float) - balance.min_refugee_share)
    if balance.city_balance is not None:
        if city is None:
            raise ValueError("balance across cities needs each candidate's city")
        proposable = np.unique(edges.candidate)
        names, counts = np.unique(city[proposable], return_counts=True)
        edge_city = city[edges.candidate]
        for name, count in zip(names, counts, strict=True):
            rows.append((edge_city == name).astype(float) - balance.city_balance * count / proposable.size)
    return np.vstack(rows) if rows else np.empty((0, edges.score.size))


@dataclass(frozen=True)
class Balanced:
    """A balanced assignment, and how close to the optimum it is proven to be."""

    chosen: np.ndarray
    objective: float
    upper_bound: float  # no assignment meeting the constraints scores more
    rounds: int


def balanced(edges: Edges, capacity: Sequence[int], rows: np.ndarray, *, max_rounds: int = 30) -> Balanced:
    """Lagrangian relaxation of the balance rows, solved by minimum-cost flows.

    Each round prices every constraint (a multiplier per row), solves the b-matching with the
    priced scores exactly, and repairs its proposals into a feasible set (dropping the proposals
    whose loss hurts least, then adding back any that still fit). The priced optimum is an
    upper bound on the true one; the multipliers follow Polyak's subgradient steps towards the
    lowest bound. Stops when the best feasible set is within 0.01 % of the bound, or when the
    priced optimum meets every constraint with complementary slackness (then it is optimal).
    """
    k = rows.shape[0]
    # Costs are rounded to millionths: a flow optimum may fall short of the priced optimum by up
    # to a millionth per participant, so the bound carries that margin.
    rounding = np.unique(edges.candidate).size / _COST_SCALE
    prices = np.zeros(k)
    best = np.array([], dtype=int)
    best_value, bound, step = 0.0, np.inf, 1.0
    since_better = 0
    rounds = 0
    while rounds < max_rounds:
        rounds += 1
        priced = edges.score + prices @ rows
        chosen = best_matching(edges, capacity, priced)
        slack = rows[:, chosen].sum(axis=1)
        value = float(priced[chosen].sum())
        if value + rounding < bound - 1e-9:
            bound, since_better = value + rounding, 0
        else:
            since_better += 1
        feasible = _repair(edges, capacity, rows, chosen)
        feasible_value = float(edges.score[feasible].sum())
        if feasible_value > best_value or best.size == 0:
            best, best_value = feasible, feasible_value
        if (slack >= -_TOLERANCE).all() and np.allclose(prices * slack, 0, atol=1e-9):
            bound = min(bound, float(edges.score[chosen].sum()) + rounding)
            break
        if bound - best_value <= 1e-4 * max(bound, 1e-9):
            break
        if since_better >= 4:
            step, since_better = step / 2, 0
        violation = np.where((prices > 0) | (slack < 0), slack, 0.0)
        norm = float(violation @ violation)
        if norm == 0:
            break
        prices = np.maximum(0.0, prices - step * (value - best_value) / norm * violation)
    return Balanced(chosen=best, objective=best_value, upper_bound=max(bound, best_value), rounds=rounds)


_TOLERANCE = 1e-9


def _repair(edges: Edges, capacity: Sequence[int], rows: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Make ``chosen`` meet every balance row: drop the proposal that removes the most violation
    per score lost until none is left (proposing nobody always meets them), then add back, best
    score first, every pair that fits without breaking a row."""
    keep = chosen.copy()
    slack = rows[:, keep].sum(axis=1)
    while keep.size and (slack < -_TOLERANCE).any():
        violation = np.maximum(0.0, -slack).sum()
        after = np.maximum(0.0, -(slack[:, None] - rows[:, keep])).sum(axis=0)
        gain = violation - after
        if gain.max() <= _TOLERANCE:
            worst = int(np.argmin(slack))  # no single drop helps overall: drop the cheapest that helps this row
            helps = np.flatnonzero(rows[worst, keep] < 0)
            drop = int(helps[np.argmin(edges.score[keep[helps]])])
        else:
            drop = int(np.argmax(gain / np.maximum(edges.score[keep], 1e-12)))
        slack = slack - rows[:, keep[drop]]
        keep = np.delete(keep, drop)
    taken = np.zeros(len(capacity), dtype=np.int64)
    np.add.at(taken, edges.vacancy[keep], 1)
    left = np.asarray(capacity, dtype=np.int64) - taken
    busy = set(edges.candidate[keep].tolist())
    added: list[int] = []
    columns = rows.T
    for e in np.argsort(-edges.score, kind="stable").tolist():
        c, v = int(edges.candidate[e]), int(edges.vacancy[e])
        if c in busy or left[v] <= 0 or ((slack + columns[e]) < -_TOLERANCE).any():
            continue
        busy.add(c)
        left[v] -= 1
        slack = slack + columns[e]
        added.append(e)
    return np.sort(np.concatenate((keep, np.array(added, dtype=int))))


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
