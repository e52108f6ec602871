"""Benchmark: matching's ranking and batch assignment at country scale, beside baselines.

Synthetic candidates and vacancies use real ISCO-08 unit groups, ESCO occupations and ESCO
skill groups from ``../shared/data/esco`` (``--esco DIR``). Each scenario runs in its own
process, so its peak memory (max RSS) is its own. Figures are printed beside a baseline
measured in the same run:

- top-50 candidates of 100,000 for one vacancy: the vectorised index (``index.top_candidates``)
  vs assessing every candidate with ``domain.assess`` (the rule book, as the API did before);
- batch assignment of 50,000 candidates to 5,000 vacancies (capacity 1-5): the exact b-matching
  (minimum-cost flow) of the best candidates per position vs a greedy pass over the same pairs;
  with balance constraints (a minimum refugee share and balance across cities), the Lagrangian
  flow solver vs HiGHS's MILP (``scipy.optimize.milp``, the solver used before; ``--highs-baseline``);
- quality on 2,000 x 500: the objective vs the exact optimum over every eligible pair, and greedy;
  balanced, vs the exact balanced optimum (HiGHS) over every eligible pair.

    uv run python bench/matching.py [--quick] [--results bench/RESULTS.md]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from mile_matching import domain
from mile_matching.assignment import Balance, Edges, balance_rows, balanced, candidate_edges, greedy, refugees, solve
from mile_matching.index import Candidate, CandidateIndex, top_candidates
from mile_matching.settings import EligibilityRules, ScoreWeights
from mile_schemas import CandidateProfile, VacancyOpened

DEFAULT_ESCO = Path(__file__).resolve().parents[2] / "shared" / "data" / "esco"
WEIGHTS = ScoreWeights()
RULES = EligibilityRules()
CITIES = {  # city: (latitude, longitude) of its centre
    "milan": (45.46, 9.19),
    "viladecans": (41.31, 2.01),
    "innsbruck": (47.26, 11.39),
    "athens": (37.98, 23.73),
    "patras": (38.25, 21.73),
}
HOST_LANGUAGE = {"milan": "it", "viladecans": "es", "innsbruck": "de", "athens": "el", "patras": "el"}
ORIGIN_LANGUAGES = ["ar", "fa", "ti", "uk", "ps", "so", "ur", "fr", "en"]
LEVELS = ["A1", "A2", "B1", "B2", "C1", "C2"]
STATUSES = ["refugee", "subsidiary_protection", "asylum_seeker", "temporary_protection", "work_permit_holder"]
START = date(2026, 4, 1)
# Binding on the synthetic data: a fifth of the candidates are refugees, cities are even.
BALANCE = Balance(min_refugee_share=0.3, city_balance=0.9)
HIGHS_TIME_LIMIT_S = 600.0  # the country-scale baseline
EXACT_TIME_LIMIT_S = 300.0  # the balanced quality reference; past it, HiGHS's proven bound stands in


class Esco:
    """Unit groups (with how many ESCO occupations each has, as a popularity weight) and skills."""

    def __init__(self, folder: Path) -> None:
        with (folder / "esco_occupations.csv").open() as f:
            occupations = list(csv.DictReader(f))
        counts: dict[str, int] = {}
        for row in occupations:
            counts[row["isco08_code"]] = counts.get(row["isco08_code"], 0) + 1
        self.units = sorted(counts)
        weights = np.array([counts[u] for u in self.units], dtype=float)
        self.unit_weights = weights / weights.sum()
        self.occupation_uri = {row["isco08_code"]: row["esco_uri"] for row in occupations}
        with (folder / "esco_skill_groups.csv").open() as f:
            self.skills = [row["esco_uri"] for row in csv.DictReader(f)]


def _level(rng: np.random.Generator, low: int, high: int) -> str:
    return LEVELS[int(rng.integers(low, high + 1))]


def _place(rng: np.random.Generator, city: str) -> tuple[float, float]:
    lat, lon = CITIES[city]
    return round(lat + rng.normal(0, 0.12), 2), round(lon + rng.normal(0, 0.12), 2)


def make_candidates(n: int, esco: Esco, seed: int) -> list[Candidate]:
    rng = np.random.default_rng(seed)
    cities = list(CITIES)
    units = rng.choice(len(esco.units), size=(n, 3), p=esco.unit_weights)
    found: list[Candidate] = []
    for i in range(n):
        city = cities[int(rng.integers(len(cities)))]
        lat, lon = _place(rng, city)
        host = _level(rng, 0, 4)
        languages = [
            {"language": HOST_LANGUAGE[city], "listening": host, "reading": host, "speaking": host, "writing": host},
            {"language": ORIGIN_LANGUAGES[int(rng.integers(len(ORIGIN_LANGUAGES)))]}
            | dict.fromkeys(("listening", "reading", "speaking", "writing"), "C2"),
        ]
        if rng.random() < 0.4:
            en = _level(rng, 0, 4)
            languages.append({"language": "en", "listening": en, "reading": en, "speaking": en, "writing": en})
        unique_languages = {entry["language"]: entry for entry in languages}
        experience = [
            {"isco08": esco.units[int(units[i, j])], "years": int(rng.integers(0, 12))}
            for j in range(int(rng.integers(0, 3)))
        ]
        experience = list({e["isco08"]: e for e in experience}.values())
        profile = CandidateProfile.model_validate(
            {
                "legal_status": STATUSES[int(rng.integers(len(STATUSES)))],
                "work_permit": {
                    "scope": ["full", "full", "restricted", "none"][int(rng.integers(4))],
                    "valid_until": (START + timedelta(days=int(rng.integers(-60, 900)))).isoformat(),
                },
                "languages": list(unique_languages.values()),
                "experience": experience,
                "desired_isco08": [esco.units[int(units[i, 2])]],
                "skills": sorted({esco.skills[int(s)] for s in rng.integers(0, len(esco.skills), size=6)}),
                "municipality": city.title(),
                "latitude": lat,
                "longitude": lon,
                "hours_per_week": int(rng.choice([20, 30, 40])),
                "available_from": (START + timedelta(days=int(rng.integers(-90, 30)))).isoformat(),
                "max_commute_km": int(rng.choice([10, 25, 50])),
            }
        )
        found.append(
            Candidate(participant_id=uuid.UUID(int=int(rng.integers(1 << 62)) << 64 | i), city=city, profile=profile)
        )
    return found


def make_vacancies(n: int, esco: Esco, seed: int) -> list[VacancyOpened]:
    rng = np.random.default_rng(seed)
    cities = list(CITIES)
    units = rng.choice(len(esco.units), size=n, p=esco.unit_weights)
    opened = datetime(2026, 3, 1, 8, tzinfo=UTC)
    found: list[VacancyOpened] = []
    for i in range(n):
        city = cities[int(rng.integers(len(cities)))]
        lat, lon = _place(rng, city)
        unit = esco.units[int(units[i])]
        skills = sorted({esco.skills[int(s)] for s in rng.integers(0, len(esco.skills), size=5)})
        found.append(
            VacancyOpened.model_validate(
                {
                    "vacancy_id": uuid.UUID(int=i + 1),
                    "city": city,
                    "employer_id": uuid.UUID(int=i + 1),
                    "kind": ["work_experience", "apprenticeship", "job"][int(rng.integers(3))],
                    "title": f"Place {i}",
                    "isco08": unit,
                    "esco_uri": esco.occupation_uri[unit],
                    "essential_skills": skills[:3],
                    "optional_skills": skills[3:],
                    "languages": [{"language": HOST_LANGUAGE[city], "min_level": _level(rng, 0, 2)}],
                    "municipality": city.title(),
                    "latitude": lat,
                    "longitude": lon,
                    "positions": int(rng.integers(1, 6)),
                    "hours_per_week": int(rng.choice([20, 30, 40])),
                    "start_date": (START + timedelta(days=int(rng.integers(0, 60)))).isoformat(),
                    "opened_at": opened,
                }
            )
        )
    return found


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def scenario_topk(esco: Esco, n: int, vacancies: int, queries: int, baseline_queries: int) -> dict[str, Any]:
    t = time.perf_counter()
    candidates = make_candidates(n, esco, seed=1)
    generated = time.perf_counter() - t
    t = time.perf_counter()
    index = CandidateIndex(candidates)
    built = time.perf_counter() - t
    pool = make_vacancies(vacancies, esco, seed=2)
    rng = np.random.default_rng(3)
    asked = [pool[int(i)] for i in rng.choice(len(pool), size=queries, replace=False)]
    latencies = []
    for vacancy in asked:
        t = time.perf_counter()
        top_candidates(index, vacancy, k=50, weights=WEIGHTS, rules=RULES)
        latencies.append((time.perf_counter() - t) * 1000)
    baseline = []
    for vacancy in asked[:baseline_queries]:
        t = time.perf_counter()
        ranked = domain.rank((c.participant_id, domain.assess(vacancy, c.profile)) for c in candidates)[:50]
        baseline.append((time.perf_counter() - t) * 1000)
        fast = top_candidates(index, vacancy, k=50, weights=WEIGHTS, rules=RULES)
        assert [(r.candidate.participant_id, r.assessment) for r in fast] == ranked, "index and rule book disagree"
    return {
        "candidates": n,
        "vacancies": vacancies,
        "generate_s": generated,
        "index_build_s": built,
        "queries": queries,
        "p50_ms": float(np.percentile(latencies, 50)),
        "p99_ms": float(np.percentile(latencies, 99)),
        "baseline_queries": baseline_queries,
        "baseline_p50_ms": float(statistics.median(baseline)),
        "peak_mb": _peak_mb(),
    }


def scenario_batch(esco: Esco, n: int, vacancies: int) -> dict[str, Any]:
    candidates = make_candidates(n, esco, seed=4)
    pool = make_vacancies(vacancies, esco, seed=5)
    capacity = [v.positions for v in pool]
    before = _peak_mb()
    t0 = time.perf_counter()
    index = CandidateIndex(candidates)
    t1 = time.perf_counter()
    edges = candidate_edges(index, pool, capacity, weights=WEIGHTS, rules=RULES, min_score=0.3, per_position=10)
    t2 = time.perf_counter()
    chosen = solve(edges, capacity)
    t3 = time.perf_counter()
    baseline = greedy(edges, capacity)
    t4 = time.perf_counter()
    rows = balance_rows(edges, refugee=refugees(index), city=index.city, balance=BALANCE)
    fair = balanced(edges, capacity, rows)
    t5 = time.perf_counter()
    return {
        "balanced_s": t5 - t4,
        "balanced_wall_s": (t2 - t0) + (t5 - t4),
        "balanced_proposed": int(fair.chosen.size),
        "balanced_objective": fair.objective,
        "balanced_bound": fair.upper_bound,
        "balanced_rounds": fair.rounds,
        **_balance_figures(index, edges, fair.chosen),
        "candidates": n,
        "vacancies": vacancies,
        "positions": int(sum(capacity)),
        "pairs": int(edges.score.size),
        "index_s": t1 - t0,
        "pairs_s": t2 - t1,
        "solve_s": t3 - t2,
        "wall_s": t3 - t0,
        "proposed": int(chosen.size),
        "objective": float(edges.score[chosen].sum()),
        "greedy_s": t4 - t3,
        "greedy_proposed": int(baseline.size),
        "greedy_objective": float(edges.score[baseline].sum()),
        "peak_mb": _peak_mb(),
        "data_mb": before,
    }


def scenario_batch_highs(esco: Esco, n: int, vacancies: int) -> dict[str, Any]:
    """The balanced batch instance solved as HiGHS's MILP: the baseline of the flow solver."""
    candidates = make_candidates(n, esco, seed=4)
    pool = make_vacancies(vacancies, esco, seed=5)
    capacity = [v.positions for v in pool]
    index = CandidateIndex(candidates)
    edges = candidate_edges(index, pool, capacity, weights=WEIGHTS, rules=RULES, min_score=0.3, per_position=10)
    rows = balance_rows(edges, refugee=refugees(index), city=index.city, balance=BALANCE)
    before = _peak_mb()
    t = time.perf_counter()
    chosen, status, _ = highs(edges, capacity, rows, time_limit=HIGHS_TIME_LIMIT_S)
    return {
        "highs_s": time.perf_counter() - t,
        "highs_status": status,
        "highs_proposed": int(chosen.size),
        "highs_objective": float(edges.score[chosen].sum()),
        "highs_peak_mb": _peak_mb(),
        "highs_data_mb": before,
    }


def highs(edges: Edges, capacity: list[int], rows: np.ndarray, *, time_limit: float) -> tuple[np.ndarray, str, float]:
    """The balanced assignment as a mixed-integer program: its edges, whether HiGHS proved it
    optimal within the time limit, and HiGHS's upper bound on the optimum."""
    m = edges.score.size
    columns = np.arange(m)
    used_c, cand_rows = np.unique(edges.candidate, return_inverse=True)
    used_v, vac_rows = np.unique(edges.vacancy, return_inverse=True)
    constraints = [
        LinearConstraint(sparse.csr_matrix((np.ones(m), (cand_rows, columns)), shape=(used_c.size, m)), -np.inf, 1),
        LinearConstraint(
            sparse.csr_matrix((np.ones(m), (vac_rows, columns)), shape=(used_v.size, m)),
            -np.inf,
            np.asarray(capacity, dtype=float)[used_v],
        ),
        LinearConstraint(rows, 0, np.inf),
    ]
    options = {"mip_rel_gap": 1e-6, "time_limit": time_limit}
    result = milp(c=-edges.score, constraints=constraints, integrality=np.ones(m), bounds=Bounds(0, 1), options=options)
    status = {0: "optimal", 1: f"stopped at the {time_limit:.0f} s limit"}.get(result.status, str(result.message))
    bound = -float(getattr(result, "mip_dual_bound", np.nan) or np.nan)
    if result.x is None:
        return np.array([], dtype=int), status, bound
    chosen = np.flatnonzero(result.x > 0.5)
    return chosen, status, float(edges.score[chosen].sum()) if status == "optimal" else bound


def _balance_figures(index: CandidateIndex, edges: Edges, chosen: np.ndarray) -> dict[str, float]:
    """The refugee share among those proposed, and the lowest city rate over the overall rate."""
    proposable = np.unique(edges.candidate)
    picked = edges.candidate[chosen]
    overall = picked.size / proposable.size
    rates = [
        np.isin(picked, proposable[index.city[proposable] == name]).sum() / (index.city[proposable] == name).sum()
        for name in np.unique(index.city[proposable])
    ]
    return {
        "refugee_share": float(refugees(index)[picked].mean()) if picked.size else 0.0,
        "city_ratio": float(min(rates) / overall) if overall else 1.0,
    }


def scenario_quality(esco: Esco, n: int, vacancies: int) -> dict[str, Any]:
    candidates = make_candidates(n, esco, seed=6)
    pool = make_vacancies(vacancies, esco, seed=7)
    capacity = [v.positions for v in pool]
    index = CandidateIndex(candidates)
    every = candidate_edges(index, pool, capacity, weights=WEIGHTS, rules=RULES, min_score=0.3, per_position=n)
    t = time.perf_counter()
    exact = every.score[solve(every, capacity)].sum()
    exact_s = time.perf_counter() - t
    pruned = candidate_edges(index, pool, capacity, weights=WEIGHTS, rules=RULES, min_score=0.3, per_position=10)
    t = time.perf_counter()
    ours = pruned.score[solve(pruned, capacity)].sum()
    ours_s = time.perf_counter() - t
    baseline = every.score[greedy(every, capacity)].sum()
    every_rows = balance_rows(every, refugee=refugees(index), city=index.city, balance=BALANCE)
    t = time.perf_counter()
    exact_chosen, exact_status, exact_bound = highs(every, capacity, every_rows, time_limit=EXACT_TIME_LIMIT_S)
    exact_balanced = every.score[exact_chosen].sum()
    exact_balanced_s = time.perf_counter() - t
    t = time.perf_counter()
    fair = balanced(pruned, capacity, balance_rows(pruned, refugee=refugees(index), city=index.city, balance=BALANCE))
    balanced_s = time.perf_counter() - t
    return {
        "exact_balanced": float(exact_balanced),
        "exact_balanced_status": exact_status,
        "exact_balanced_bound": exact_bound,
        "exact_balanced_s": exact_balanced_s,
        "balanced": fair.objective,
        "balanced_s": balanced_s,
        "balanced_bound": fair.upper_bound,
        # of the optimum when HiGHS proved it, else of HiGHS's upper bound (so at least this)
        "balanced_pct": float(100 * fair.objective / exact_bound) if exact_bound else 100.0,
        "highs_incumbent_pct": float(100 * exact_balanced / exact_bound) if exact_bound else 100.0,
        "candidates": n,
        "vacancies": vacancies,
        "all_pairs": int(every.score.size),
        "pruned_pairs": int(pruned.score.size),
        "exact": float(exact),
        "exact_s": exact_s,
        "ours": float(ours),
        "ours_s": ours_s,
        "greedy": float(baseline),
        "ours_pct": float(100 * ours / exact) if exact else 100.0,
        "greedy_pct": float(100 * baseline / exact) if exact else 100.0,
    }


SIZES = {
    "full": {
        "topk": {"n": 100_000, "vacancies": 10_000, "queries": 200, "baseline_queries": 5},
        "batch": {"n": 50_000, "vacancies": 5_000},
        "quality": {"n": 2_000, "vacancies": 500},
    },
    "quick": {
        "topk": {"n": 5_000, "vacancies": 500, "queries": 50, "baseline_queries": 3},
        "batch": {"n": 2_000, "vacancies": 200},
        "quality": {"n": 300, "vacancies": 80},
    },
}


def _in_subprocess(name: str, esco: Path, size: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--scenario", name, "--esco", str(esco), "--size", size],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _report(results: dict[str, dict[str, Any]], size: str) -> str:
    topk, batch, quality = results["topk"], results["batch"], results["quality"]
    machine = f"{platform.machine()}, {_cpus()} CPUs, Python {platform.python_version()}"
    steps = f"index {batch['index_s']:.1f}, pairs {batch['pairs_s']:.1f}, solve {batch['solve_s']:.1f}"
    rows_topk = [
        f"| index (numpy, then `domain.assess` on the leaders) | {topk['p50_ms']:.1f} ms "
        f"| {topk['p99_ms']:.1f} ms | {topk['queries']} |",
        f"| baseline: `domain.assess` on every candidate | {topk['baseline_p50_ms']:.0f} ms "
        f"| | {topk['baseline_queries']} |",
    ]
    rows_batch = [
        f"| exact b-matching (OR-Tools min-cost flow) on the best 10 per position | {batch['wall_s']:.1f} s ({steps}) "
        f"| {batch['proposed']:,} | {batch['objective']:,.1f} |",
        f"| baseline: greedy on the same {batch['pairs']:,} pairs | {batch['greedy_s']:.1f} s "
        f"(+ the same index and pairs) | {batch['greedy_proposed']:,} | {batch['greedy_objective']:,.1f} |",
    ]
    gap = 100 * (batch["balanced_bound"] - batch["balanced_objective"]) / batch["balanced_bound"]
    rows_balanced = [
        f"| Lagrangian min-cost flows, {batch['balanced_rounds']} rounds | {batch['balanced_wall_s']:.1f} s "
        f"(solve {batch['balanced_s']:.1f}) | {batch['balanced_proposed']:,} | {batch['balanced_objective']:,.1f} "
        f"| {batch['refugee_share']:.3f} | {batch['city_ratio']:.3f} |",
    ]
    if "highs_s" in batch:
        rows_balanced.append(
            f"| baseline: HiGHS MILP (`scipy.optimize.milp`) on the same pairs | {batch['highs_s']:.1f} s (solve "
            f"only; {batch['highs_status']}) | {batch['highs_proposed']:,} | {batch['highs_objective']:,.1f} | | |"
        )
    rows_quality = [
        f"| exact optimum (all {quality['all_pairs']:,} eligible pairs) | {quality['exact']:,.2f} | 100 % "
        f"| {quality['exact_s']:.2f} s |",
        f"| ours (best 10 per position, {quality['pruned_pairs']:,} pairs) | {quality['ours']:,.2f} "
        f"| {quality['ours_pct']:.3f} % | {quality['ours_s']:.2f} s |",
        f"| greedy baseline | {quality['greedy']:,.2f} | {quality['greedy_pct']:.2f} % | |",
        (
            f"| balanced: exact optimum (HiGHS MILP, all eligible pairs) | {quality['exact_balanced']:,.2f} | 100 % "
            f"| {quality['exact_balanced_s']:.2f} s |"
            if quality["exact_balanced_status"] == "optimal"
            else f"| balanced: HiGHS MILP, all eligible pairs ({quality['exact_balanced_status']}; its proven bound "
            f"{quality['exact_balanced_bound']:,.2f} stands for the optimum) | {quality['exact_balanced']:,.2f} "
            f"| {quality['highs_incumbent_pct']:.3f} % | {quality['exact_balanced_s']:.2f} s |"
        ),
        f"| balanced: ours (Lagrangian flows, best 10 per position) | {quality['balanced']:,.2f} "
        f"| {quality['balanced_pct']:.3f} % | {quality['balanced_s']:.2f} s |",
    ]
    nl = "\n"
    return f"""# Matching benchmarks

Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} ({machine}), size `{size}`:
`uv run python bench/matching.py{" --quick" if size == "quick" else ""}`. Synthetic data from the
real ISCO-08 / ESCO codes in `../shared/data/esco`.

## Top-50 candidates for one vacancy ({topk["candidates"]:,} candidates, {topk["vacancies"]:,} vacancies)

| | p50 | p99 | queries |
|---|---|---|---|
{nl.join(rows_topk)}

Goal p50 < 50 ms. Index build {topk["index_build_s"]:.1f} s (from parsed profiles); peak RSS {topk["peak_mb"]:.0f} MB.
The index's top 50 equalled the rule book's on every baseline query.

## Batch assignment ({batch["candidates"]:,} candidates, {batch["vacancies"]:,} vacancies)

{batch["positions"]:,} positions (capacity 1-5).

| | wall | proposed | total score |
|---|---|---|---|
{nl.join(rows_batch)}

Goal < 60 s. Peak RSS {batch["peak_mb"]:.0f} MB ({batch["data_mb"]:.0f} MB before solving: generated profiles).

With balance constraints (at least {BALANCE.min_refugee_share:.0%} refugees among those proposed, a fifth of
the candidates being refugees; every city's rate at least {BALANCE.city_balance} x the overall rate):

| | wall | proposed | total score | refugee share | lowest city rate / overall |
|---|---|---|---|---|---|
{nl.join(rows_balanced)}

Wall of the flow solver includes the same index and pairs. Its proven upper bound is
{batch["balanced_bound"]:,.1f}, so it is within {gap:.3f} % of the balanced optimum.

## Quality ({quality["candidates"]:,} candidates, {quality["vacancies"]:,} vacancies)

| | objective | % of optimum | time |
|---|---|---|---|
{nl.join(rows_quality)}

Goal >= 99 %, balanced too (same constraints as above).
"""


def _cpus() -> int:
    return os.cpu_count() or 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--esco", type=Path, default=DEFAULT_ESCO)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--results", type=Path, help="also write the report here (Markdown)")
    parser.add_argument(
        "--highs-baseline",
        action="store_true",
        help="also solve the balanced batch with HiGHS (at full size it ran > 30 min, past its time limit)",
    )
    parser.add_argument("--scenario", choices=["topk", "batch", "batch_highs", "quality"], help=argparse.SUPPRESS)
    parser.add_argument("--size", choices=list(SIZES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scenario:
        sizes = SIZES[args.size][args.scenario.removesuffix("_highs")]
        esco = Esco(args.esco)
        run = {
            "topk": scenario_topk,
            "batch": scenario_batch,
            "batch_highs": scenario_batch_highs,
            "quality": scenario_quality,
        }[args.scenario]
        print(json.dumps(run(esco, **sizes)))
        return
    size = "quick" if args.quick else "full"
    results = {name: _in_subprocess(name, args.esco, size) for name in ("topk", "batch", "quality")}
    if args.highs_baseline:
        results["batch"] |= _in_subprocess("batch_highs", args.esco, size)
    report = _report(results, size)
    print(report)
    if args.results:
        args.results.write_text(report)


if __name__ == "__main__":
    main()
