"""Pure rules of matching: who may take a vacancy, how well they fit, and who gets proposed.

Every score comes with reasons a caseworker can read and check against the profile, so a
proposal is never a black box (the foundation of explainable ranking).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

import pycountry

from mile_schemas import CandidateProfile, CEFRLevel, LanguageSkill, VacancyOpened, WorkPermitScope

MatchStatus = Literal["proposed", "accepted", "rejected"]
"""A proposal awaits a caseworker's decision until accepted or rejected."""

OCCUPATION_WEIGHT = 0.5
SKILLS_WEIGHT = 0.3
LANGUAGE_WEIGHT = 0.2

# Weight of an occupation by how many leading ISCO-08 digits it shares with the vacancy.
_SHARED_DIGITS_WEIGHT = {4: 1.0, 3: 0.75, 2: 0.5, 1: 0.25}
_SHARED_DIGITS_WORDS = {3: "same minor group", 2: "same sub-major group", 1: "same major group"}
# Experience lifts an occupation's fit from 85% (wished for, never done) to 100% at 5 years.
_UNPROVEN_SHARE = 0.85
_FULL_EXPERIENCE_YEARS = 5.0


@dataclass(frozen=True)
class Assessment:
    """Whether a candidate may take a vacancy and, if so, how well they fit and why."""

    eligible: bool
    score: float
    reasons: tuple[str, ...]


def assess(vacancy: VacancyOpened, profile: CandidateProfile) -> Assessment:
    """Hard constraints first (each failure is a reason); the score only for the eligible.

    The score is the weighted mean of the parts the vacancy asks for: without essential
    skills or language minimums those parts do not count, so requirements nobody set can
    never lift a candidate whose occupation is unrelated.
    """
    failures = ineligibility(vacancy, profile)
    if failures:
        return Assessment(eligible=False, score=0.0, reasons=tuple(failures))
    occupation, occupation_reason = occupation_fit(vacancy.isco08, profile)
    skills, skills_reason = skill_coverage(vacancy.essential_skills, profile.skills)
    language, language_reasons = language_margin(vacancy, profile)
    parts = [
        (weight, value)
        for weight, value in ((OCCUPATION_WEIGHT, occupation), (SKILLS_WEIGHT, skills), (LANGUAGE_WEIGHT, language))
        if value is not None
    ]
    score = sum(weight * value for weight, value in parts) / sum(weight for weight, _ in parts)
    return Assessment(
        eligible=True,
        score=round(score, 3),
        reasons=(occupation_reason, skills_reason, *language_reasons),
    )


def ineligibility(vacancy: VacancyOpened, profile: CandidateProfile) -> list[str]:
    """Every hard constraint the candidate fails, in words; empty when eligible."""
    failures: list[str] = []
    accepted = vacancy.accepted_legal_statuses
    if accepted and profile.legal_status not in accepted:
        failures.append(
            f"Legal status {_words(profile.legal_status)} not accepted "
            f"(accepts {', '.join(_words(s) for s in accepted)})"
        )
    permit = profile.work_permit
    if permit.scope is WorkPermitScope.NONE:
        failures.append("No work permit")
    elif permit.valid_until is not None and permit.valid_until < vacancy.start_date:
        failures.append(f"Work permit valid until {permit.valid_until}, before start {vacancy.start_date}")
    spoken = {entry.language: entry for entry in profile.languages}
    for requirement in vacancy.languages:
        name = language_name(requirement.language)
        entry = spoken.get(requirement.language)
        if entry is None:
            failures.append(f"No {name} ({requirement.min_level} required)")
            continue
        for skill in LanguageSkill:
            level: CEFRLevel = getattr(entry, skill.value)
            if not level.meets(requirement.min_level):
                failures.append(f"{name} {skill.value} {level} < {requirement.min_level} required")
    return failures


def occupation_fit(vacancy_isco08: str, profile: CandidateProfile) -> tuple[float, str]:
    """Best fit over experience and desired occupations along the ISCO-08 hierarchy."""
    options: list[tuple[float, str]] = []
    for experience in profile.experience:
        shared = shared_isco_digits(vacancy_isco08, experience.isco08)
        if shared:
            lift = min(experience.years, _FULL_EXPERIENCE_YEARS) / _FULL_EXPERIENCE_YEARS
            fit = _SHARED_DIGITS_WEIGHT[shared] * (_UNPROVEN_SHARE + (1 - _UNPROVEN_SHARE) * lift)
            relation = _relation(shared, experience.isco08)
            options.append((fit, f"ISCO {experience.isco08}: {relation}, {_years(experience.years)}"))
    for desired in profile.desired_isco08:
        shared = shared_isco_digits(vacancy_isco08, desired)
        if shared:
            fit = _SHARED_DIGITS_WEIGHT[shared] * _UNPROVEN_SHARE
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
        weakest = min((getattr(entry, skill.value) for skill in LanguageSkill), key=lambda lvl: lvl.rank)
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
