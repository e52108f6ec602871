"""Every candidate as columns of numbers, so one vacancy is scored against all of them at once.

`domain.assess` stays the rule book and the source of every reason; this index applies the
same rules with numpy to find who can reach the top, and `top_candidates` re-assesses only
those with `domain.assess`, so what a caseworker reads is exactly what the rules say.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

import numpy as np
from scipy import sparse

from mile_matching import domain
from mile_matching.settings import EligibilityRules, ScoreWeights
from mile_schemas import CandidateProfile, LanguageSkill, LegalStatus, VacancyOpened, WorkPermitScope

_STATUSES = list(LegalStatus)
_SCOPES = list(WorkPermitScope)
_FAR_FUTURE = date.max.toordinal()
_FAR_PAST = date.min.toordinal()
# Candidates whose vectorised score is this close to the k-th are re-assessed exactly, so
# float and rounding differences never change who is in the top k.
_MARGIN = 0.0011
_SHARED_WEIGHT = np.array([0.0, 0.25, 0.5, 0.75, 1.0])  # by leading ISCO digits shared, as in domain


@dataclass(frozen=True)
class Candidate:
    """One row of the index: a pseudonymous participant, their city and shared profile."""

    participant_id: UUID
    city: str
    profile: CandidateProfile
    placed: bool = False


def _prefixes(code: str) -> list[int]:
    """ISCO-08 code to its major, sub-major, minor and unit group numbers (-1 below its depth)."""
    return [int(code[:depth]) if len(code) >= depth else -1 for depth in range(1, 5)]


class CandidateIndex:
    """Column arrays over a fixed list of candidates (rebuild or replace to change them)."""

    def __init__(self, candidates: Sequence[Candidate]) -> None:
        self.candidates = list(candidates)
        n = len(self.candidates)
        profiles = [c.profile for c in self.candidates]
        self.ids = [c.participant_id for c in self.candidates]
        self.city = np.array([c.city for c in self.candidates], dtype=object)
        self.placed = np.array([c.placed for c in self.candidates], dtype=bool)
        self.status = np.array([_STATUSES.index(p.legal_status) for p in profiles], dtype=np.int8)
        self.scope = np.array([_SCOPES.index(p.work_permit.scope) for p in profiles], dtype=np.int8)
        self.permit_until = np.array(
            [p.work_permit.valid_until.toordinal() if p.work_permit.valid_until else _FAR_FUTURE for p in profiles],
            dtype=np.int64,
        )
        self.available_from = np.array(
            [p.available_from.toordinal() if p.available_from else _FAR_PAST for p in profiles], dtype=np.int64
        )
        self.hours = np.array([p.hours_per_week if p.hours_per_week else 10_000 for p in profiles], dtype=np.int32)
        self.lat = np.array([p.latitude if p.latitude is not None else np.nan for p in profiles])
        self.lon = np.array([p.longitude if p.longitude is not None else np.nan for p in profiles])
        self.max_commute = np.array([p.max_commute_km if p.max_commute_km is not None else -1 for p in profiles])
        self._languages: dict[str, np.ndarray] = {}
        for row, p in enumerate(profiles):
            for entry in p.languages:
                weakest = min(getattr(entry, skill.value).rank for skill in LanguageSkill)
                column = self._languages.setdefault(entry.language, np.full(n, -1, dtype=np.int8))
                column[row] = weakest
        self._occupations(profiles)
        self._skills(profiles)

    def _occupations(self, profiles: Sequence[CandidateProfile]) -> None:
        """Each candidate's experience and wishes as padded columns of ISCO prefixes and lifts."""
        width = max((len(p.experience) + len(p.desired_isco08) for p in profiles), default=0)
        n = len(profiles)
        self.occ_prefix = np.full((n, max(width, 1), 4), -1, dtype=np.int32)
        self.occ_lift = np.zeros((n, max(width, 1)))
        for row, p in enumerate(profiles):
            slot = 0
            for experience in p.experience:
                self.occ_prefix[row, slot] = _prefixes(experience.isco08)
                years = min(experience.years, domain.FULL_EXPERIENCE_YEARS) / domain.FULL_EXPERIENCE_YEARS
                self.occ_lift[row, slot] = domain.UNPROVEN_SHARE + (1 - domain.UNPROVEN_SHARE) * years
                slot += 1
            for desired in p.desired_isco08:
                self.occ_prefix[row, slot] = _prefixes(desired)
                self.occ_lift[row, slot] = domain.UNPROVEN_SHARE
                slot += 1

    def _skills(self, profiles: Sequence[CandidateProfile]) -> None:
        """A sparse candidate x skill matrix over case-blind labels."""
        self.vocabulary: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        for row, p in enumerate(profiles):
            for skill in {s.casefold() for s in p.skills}:
                rows.append(row)
                cols.append(self.vocabulary.setdefault(skill, len(self.vocabulary)))
        self.skills = sparse.csc_matrix(
            (np.ones(len(rows), dtype=np.float64), (rows, cols)), shape=(len(profiles), max(len(self.vocabulary), 1))
        )

    def __len__(self) -> int:
        return len(self.candidates)

    def score(
        self,
        vacancy: VacancyOpened,
        *,
        weights: ScoreWeights,
        rules: EligibilityRules,
        mask: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(positions, scores) of the eligible candidates (within `mask`), by the rules of `domain.assess`.

        Cheap column tests first, then distance and scores only for who is left.
        """
        ok = self._eligible(vacancy, rules)
        if mask is not None:
            ok &= mask
        positions = np.flatnonzero(ok)
        commute = self._commute(vacancy, positions)
        if commute is not None:
            limit = self._limit(rules, positions)
            near = ~(commute > limit)
            positions, commute, limit = positions[near], commute[near], limit[near]
        numerator = weights.occupation * self._occupation(vacancy.isco08, positions)
        denominator = np.full(positions.size, weights.occupation)
        for weight, part in (
            (weights.essential_skills, self._coverage(vacancy.essential_skills, positions)),
            (weights.optional_skills, self._coverage(vacancy.optional_skills, positions)),
            (weights.language, self._language_margin(vacancy, positions)),
        ):
            if part is not None:
                numerator = numerator + weight * part
                denominator = denominator + weight
        if commute is not None:
            known = ~np.isnan(commute)
            with np.errstate(divide="ignore", invalid="ignore"):
                nearness = np.where(limit == 0, 1.0, np.clip(1 - commute / np.where(limit == 0, 1, limit), 0, None))
            numerator = numerator + np.where(known, weights.distance * nearness, 0.0)
            denominator = denominator + np.where(known, weights.distance, 0.0)
        return positions, numerator / denominator

    def _eligible(self, vacancy: VacancyOpened, rules: EligibilityRules) -> np.ndarray:
        """Every hard constraint but the commute, on whole columns."""
        ok = ~self.placed
        if vacancy.accepted_legal_statuses:
            ok &= np.isin(self.status, [_STATUSES.index(s) for s in vacancy.accepted_legal_statuses])
        ok &= self.scope != _SCOPES.index(WorkPermitScope.NONE)
        ok &= self.permit_until >= vacancy.start_date.toordinal()
        if vacancy.hours_per_week > rules.restricted_permit_max_hours:
            ok &= self.scope != _SCOPES.index(WorkPermitScope.RESTRICTED)
        for requirement in vacancy.languages:
            column = self._languages.get(requirement.language)
            ok &= column >= requirement.min_level.rank if column is not None else False
        ok &= self.available_from <= vacancy.start_date.toordinal()
        ok &= self.hours >= vacancy.hours_per_week
        return ok

    def _occupation(self, isco08: str, positions: np.ndarray) -> np.ndarray:
        wanted = np.array([p if p >= 0 else -2 for p in _prefixes(isco08)], dtype=np.int32)
        shared = (self.occ_prefix[positions] == wanted).sum(axis=2)
        fit = _SHARED_WEIGHT[shared] * self.occ_lift[positions]
        return fit.max(axis=1)

    def _coverage(self, labels: Sequence[str], positions: np.ndarray) -> np.ndarray | None:
        wanted = [label.casefold() for label in labels]
        if not wanted:
            return None
        columns = [self.vocabulary[label] for label in wanted if label in self.vocabulary]
        if not columns:
            return np.zeros(positions.size)
        held = np.asarray(self.skills[:, columns].sum(axis=1)).ravel()
        return held[positions] / len(wanted)

    def _language_margin(self, vacancy: VacancyOpened, positions: np.ndarray) -> np.ndarray | None:
        if not vacancy.languages:
            return None
        total = np.zeros(positions.size)
        for requirement in vacancy.languages:
            column = self._languages.get(requirement.language)
            weakest = column[positions] if column is not None else np.full(positions.size, -1, dtype=np.int8)
            total += np.minimum(1.0, 0.5 + 0.25 * (weakest.astype(np.float64) - requirement.min_level.rank))
        return total / len(vacancy.languages)

    def _commute(self, vacancy: VacancyOpened, positions: np.ndarray) -> np.ndarray | None:
        if vacancy.latitude is None or vacancy.longitude is None:
            return None
        phi1, phi2 = np.radians(self.lat[positions]), np.radians(vacancy.latitude)
        dphi, dlambda = phi2 - phi1, np.radians(vacancy.longitude - self.lon[positions])
        a = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlambda / 2) ** 2
        return 2 * domain.EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))

    def _limit(self, rules: EligibilityRules, positions: np.ndarray) -> np.ndarray:
        own = self.max_commute[positions]
        return np.where(own >= 0, own, rules.default_max_commute_km)


@dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    assessment: domain.Assessment


def top_candidates(
    index: CandidateIndex,
    vacancy: VacancyOpened,
    *,
    k: int,
    weights: ScoreWeights,
    rules: EligibilityRules,
    mask: np.ndarray | None = None,
) -> list[Ranked]:
    """The k best eligible candidates (within `mask`), best first, assessed by `domain.assess`.

    Ties go to the lower participant id, as in `domain.rank`.
    """
    if len(index) == 0 or k <= 0:
        return []
    positions, scores = index.score(vacancy, weights=weights, rules=rules, mask=mask)
    if positions.size > k:
        kth = np.partition(scores, positions.size - k)[positions.size - k]
        positions = positions[scores >= kth - _MARGIN]
    chosen = [
        Ranked(
            candidate=index.candidates[i],
            assessment=domain.assess(
                vacancy, index.candidates[i].profile, weights=weights, rules=rules, placed=index.candidates[i].placed
            ),
        )
        for i in positions.tolist()
    ]
    chosen.sort(key=lambda r: (-r.assessment.score, str(r.candidate.participant_id)))
    return chosen[:k]
