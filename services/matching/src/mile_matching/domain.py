"""Pure rules of matching: who may take a vacancy, how well they fit, and who gets proposed.

Every score comes with reasons a caseworker can read and check against the profile, so a
proposal is never a black box (the foundation of explainable ranking).
"""

import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

import pycountry

from mile_matching.settings import EligibilityRules, ScoreWeights
from mile_schemas import CandidateProfile, CEFRLevel, LanguageSkill, VacancyOpened, WorkPermitScope

MatchStatus = Literal["proposed", "accepted", "rejected"]
"""A proposal awaits a caseworker's decision until accepted or rejected."""

DEFAULT_WEIGHTS = ScoreWeights()
DEFAULT_RULES = EligibilityRules()

# Weight of an occupation by how many leading ISCO-08 digits it shares with the vacancy.
_SHARED_DIGITS_WEIGHT = {4: 1.0, 3: 0.75, 2: 0.5, 1: 0.25}
_SHARED_DIGITS_WORDS = {3: "same minor group", 2: "same sub-major group", 1: "same major group"}
# Experience lifts an occupation's fit from 85% (wished for, never done) to 100% at 5 years.
UNPROVEN_SHARE = 0.85
FULL_EXPERIENCE_YEARS = 5.0
EARTH_RADIUS_KM = 6371.0
# The profile fields of the four CEFR skills, named once: iterating the enum costs more than a check.
_SKILL_FIELDS: tuple[str, ...] = tuple(skill.value for skill in LanguageSkill)


@dataclass(frozen=True)
class Assessment:
    """Whether a candidate may take a vacancy and, if so, how well they fit and why."""

    eligible: bool
    score: float
    reasons: tuple[str, ...]


def assess(
    vacancy: VacancyOpened,
    profile: CandidateProfile,
    *,
    weights: ScoreWeights = DEFAULT_WEIGHTS,
    rules: EligibilityRules = DEFAULT_RULES,
    placed: bool = False,
) -> Assessment:
    """Hard constraints first (each failure is a reason); the score only for the eligible.

    The score is the weighted mean of the parts the vacancy asks for: without essential
    skills, optional skills, language minimums or known places those parts do not count,
    so requirements nobody set can never lift a candidate whose occupation is unrelated.
    """
    failures = ineligibility(vacancy, profile, rules=rules, placed=placed)
    if failures:
        return Assessment(eligible=False, score=0.0, reasons=tuple(failures))
    occupation, occupation_reason = occupation_fit(vacancy.isco08, profile)
    skills, skills_reason = skill_coverage(vacancy.essential_skills, profile.skills)
    optional, optional_reason = optional_coverage(vacancy.optional_skills, profile.skills)
    language, language_reasons = language_margin(vacancy, profile)
    nearness, distance_reason = distance_fit(vacancy, profile, rules)
    weighted = (
        (weights.occupation, occupation),
        (weights.essential_skills, skills),
        (weights.optional_skills, optional),
        (weights.language, language),
        (weights.distance, nearness),
    )
    parts = [(weight, value) for weight, value in weighted if value is not None]
    score = sum(weight * value for weight, value in parts) / sum(weight for weight, _ in parts)
    extra = tuple(reason for reason in (optional_reason, distance_reason) if reason is not None)
    return Assessment(
        eligible=True,
        score=round(score, 3),
        reasons=(occupation_reason, skills_reason, *language_reasons, *extra),
    )


def ineligibility(
    vacancy: VacancyOpened,
    profile: CandidateProfile,
    *,
    rules: EligibilityRules = DEFAULT_RULES,
    placed: bool = False,
) -> list[str]:
    """Every hard constraint the candidate fails, in words; empty when eligible."""
    failures: list[str] = []
    if placed:
        failures.append("Already placed")
    accepted = vacancy.accepted_legal_statuses
    if accepted and profile.legal_status not in accepted:
        failures.append(
            f"Legal status {_words(profile.legal_status)} not accepted "
            f"(accepts {', '.join(_words(s) for s in accepted)})"
        )
    failures.extend(_permit_failures(vacancy, profile, rules))
    failures.extend(_language_failures(vacancy, profile))
    commute = commute_km(vacancy, profile)
    limit = commute_limit_km(profile, rules)
    if commute is not None and commute > limit:
        failures.append(f"Commute {commute:.0f} km to {vacancy.municipality} > {limit} km maximum")
    if profile.available_from is not None and profile.available_from > vacancy.start_date:
        failures.append(f"Available from {profile.available_from}, after start {vacancy.start_date}")
    if profile.hours_per_week is not None and vacancy.hours_per_week > profile.hours_per_week:
        failures.append(f"Vacancy needs {vacancy.hours_per_week} h/week, available {profile.hours_per_week} h/week")
    return failures


def _permit_failures(vacancy: VacancyOpened, profile: CandidateProfile, rules: EligibilityRules) -> list[str]:
    """A permit must exist, last until the start and cover the vacancy's hours."""
    permit = profile.work_permit
    if permit.scope is WorkPermitScope.NONE:
        return ["No work permit"]
    failures: list[str] = []
    if permit.valid_until is not None and permit.valid_until < vacancy.start_date:
        failures.append(f"Work permit valid until {permit.valid_until}, before start {vacancy.start_date}")
    if permit.scope is WorkPermitScope.RESTRICTED and vacancy.hours_per_week > rules.restricted_permit_max_hours:
        failures.append(
            f"Restricted work permit covers {rules.restricted_permit_max_hours} h/week, "
            f"vacancy needs {vacancy.hours_per_week} h/week"
        )
    return failures


def _language_failures(vacancy: VacancyOpened, profile: CandidateProfile) -> list[str]:
    """Each required language, every skill at or above its minimum."""
    failures: list[str] = []
    spoken = {entry.language: entry for entry in profile.languages}
    for requirement in vacancy.languages:
        name = language_name(requirement.language)
        entry = spoken.get(requirement.language)
        if entry is None:
            failures.append(f"No {name} ({requirement.min_level} required)")
            continue
        for skill in _SKILL_FIELDS:
            level: CEFRLevel = getattr(entry, skill)
            if not level.meets(requirement.min_level):
                failures.append(f"{name} {skill} {level} < {requirement.min_level} required")
    return failures


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance; profiles carry coordinates rounded to 0.01° (about 1 km)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def commute_km(vacancy: VacancyOpened, profile: CandidateProfile) -> float | None:
    """Distance from the participant's area to the vacancy; None when either place is unknown."""
    if vacancy.latitude is None or vacancy.longitude is None or profile.latitude is None or profile.longitude is None:
        return None
    return haversine_km(profile.latitude, profile.longitude, vacancy.latitude, vacancy.longitude)


def commute_limit_km(profile: CandidateProfile, rules: EligibilityRules) -> int:
    return profile.max_commute_km if profile.max_commute_km is not None else rules.default_max_commute_km


def distance_fit(
    vacancy: VacancyOpened, profile: CandidateProfile, rules: EligibilityRules
) -> tuple[float | None, str | None]:
    """Nearer is better: full at the door, nothing at the participant's limit; None when unknown."""
    commute = commute_km(vacancy, profile)
    if commute is None:
        return None, None
    limit = commute_limit_km(profile, rules)
    value = 1.0 if limit == 0 else max(0.0, 1 - commute / limit)
    return value, f"{commute:.0f} km to {vacancy.municipality} (maximum {limit} km)"


def optional_coverage(optional: Iterable[str], skills: Iterable[str]) -> tuple[float | None, str | None]:
    """Share of the vacancy's optional skills the candidate has; None when it names none."""
    wanted = [skill.casefold() for skill in optional]
    if not wanted:
        return None, None
    held = {skill.casefold() for skill in skills}
    covered = sum(1 for skill in wanted if skill in held)
    return covered / len(wanted), f"{covered} of {len(wanted)} optional skills"


def occupation_fit(vacancy_isco08: str, profile: CandidateProfile) -> tuple[float, str]:
    """Best fit over experience and desired occupations along the ISCO-08 hierarchy."""
    options: list[tuple[float, str]] = []
    for experience in profile.experience:
        shared = shared_isco_digits(vacancy_isco08, experience.isco08)
        if shared:
            lift = min(experience.years, FULL_EXPERIENCE_YEARS) / FULL_EXPERIENCE_YEARS
            fit = _SHARED_DIGITS_WEIGHT[shared] * (UNPROVEN_SHARE + (1 - UNPROVEN_SHARE) * lift)
            relation = _relation(shared, experience.isco08)
            options.append((fit, f"ISCO {experience.isco08}: {relation}, {_years(experience.years)}"))
    for desired in profile.desired_isco08:
        shared = shared_isco_digits(vacancy_isco08, desired)
        if shared:
            fit = _SHARED_DIGITS_WEIGHT[shared] * UNPROVEN_SHARE
            options.append((fit, f"ISCO {desired}: {_relation(shared, desired)}, desired, no experience"))
    if not options:
        return 0.0, f"No experience or wish related to ISCO {vacancy_isco08}"
    return max(options, key=lambda option: option[0])


def shared_isco_digits(a: str, b: str) -> int:
    """Leading ISCO-08 digits two codes share: 4 unit group, 3 minor, 2 sub-major, 1 major."""
    shared = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        shared += 1
    return shared


def skill_coverage(essential: Iterable[str], skills: Iterable[str]) -> tuple[float | None, str]:
    """Share of the vacancy's essential skills the candidate has (labels compared case-blind);
    None when the vacancy names none."""
    wanted = [skill.casefold() for skill in essential]
    if not wanted:
        return None, "No essential skills required"
    held = {skill.casefold() for skill in skills}
    covered = sum(1 for skill in wanted if skill in held)
    return covered / len(wanted), f"{covered} of {len(wanted)} essential skills"


def language_margin(vacancy: VacancyOpened, profile: CandidateProfile) -> tuple[float | None, tuple[str, ...]]:
    """How far the weakest skill in each required language exceeds its minimum; None without any.

    Just meeting a minimum counts half; each CEFR level above adds a quarter, up to full.
    Call only for eligible candidates (every requirement met).
    """
    if not vacancy.languages:
        return None, ("No language requirement",)
    spoken = {entry.language: entry for entry in profile.languages}
    values: list[float] = []
    reasons: list[str] = []
    for requirement in vacancy.languages:
        entry = spoken[requirement.language]
        weakest = min((getattr(entry, skill) for skill in _SKILL_FIELDS), key=lambda lvl: lvl.rank)
        margin = weakest.rank - requirement.min_level.rank
        values.append(min(1.0, 0.5 + 0.25 * margin))
        reasons.append(f"{language_name(requirement.language)} {weakest} ≥ {requirement.min_level} required")
    return sum(values) / len(values), tuple(reasons)


def proposal_room(*, positions: int, filled: int, open_proposals: int, per_position: int) -> int:
    """How many more proposals a vacancy may take: none once every position is filled."""
    if filled >= positions:
        return 0
    return max(0, positions * per_position - open_proposals)


def rank(assessed: Iterable[tuple[UUID, Assessment]]) -> list[tuple[UUID, Assessment]]:
    """The eligible candidates, best first; ties go to the lower participant id, so the same
    inputs always rank (and propose) the same people."""
    eligible = [(pid, a) for pid, a in assessed if a.eligible]
    eligible.sort(key=lambda item: (-item[1].score, str(item[0])))
    return eligible


def choose_proposals(
    assessed: Iterable[tuple[UUID, Assessment]], *, min_score: float, room: int
) -> list[tuple[UUID, Assessment]]:
    """The best-ranked candidates scoring at least ``min_score``, at most ``room`` of them."""
    return [(pid, a) for pid, a in rank(assessed) if a.score >= min_score][: max(room, 0)]


@functools.cache  # a few codes, looked up for every vacancy a candidate is assessed against
def language_name(code: str) -> str:
    """English name of an ISO 639 code (``it`` -> Italian), the code itself if unknown."""
    found = pycountry.languages.get(alpha_2=code) if len(code) == 2 else pycountry.languages.get(alpha_3=code)
    return str(found.name) if found is not None else code


def _relation(shared: int, code: str) -> str:
    if shared == 4:
        return "exact match"
    return f"{_SHARED_DIGITS_WORDS[shared]} {code[:shared]}"


def _years(years: float) -> str:
    shown = f"{years:g}"
    return f"{shown} year" if shown == "1" else f"{shown} years"


def _words(code: str) -> str:
    return code.replace("_", " ")
