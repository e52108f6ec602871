"""Public-standard codes shared by every event.

Events carry codes from public standards (ISO 3166, ISO 639, CEFR, ISCED 2011, ISCO-08,
ESCO) rather than project-invented labels, so funders' tools and other EU systems can
read them without a mapping table.
"""

from __future__ import annotations

from datetime import date
from enum import IntEnum, StrEnum
from functools import lru_cache
from typing import Annotated

import pycountry
from pydantic import AfterValidator, StringConstraints

__all__ = [
    "AgeBand",
    "CEFRLevel",
    "CitySlug",
    "ConsentPurpose",
    "ConsentStatus",
    "Country",
    "CourseType",
    "ESCOUri",
    "GuidanceKind",
    "ISCEDLevel",
    "ISCO08Code",
    "Language",
    "LanguageSkill",
    "LegalStatus",
    "MatchDecision",
    "PlacementOutcome",
    "ReasonCode",
    "RecognitionStatus",
    "Sex",
    "TrainingOutcome",
    "VacancyKind",
    "WorkPermitScope",
    "age_band",
    "load_code_tables",
]


class CEFRLevel(StrEnum):
    """Common European Framework of Reference level, assessed per language skill."""

    A1 = "A1"
    A2 = "A2"
    B1 = "B1"
    B2 = "B2"
    C1 = "C1"
    C2 = "C2"

    @property
    def rank(self) -> int:
        """1 (A1) to 6 (C2): string order happens to work, but matching should not rely on it."""
        return _CEFR_RANK[self]

    def meets(self, required: CEFRLevel) -> bool:
        """Whether this level satisfies a vacancy's minimum level."""
        return self.rank >= required.rank


_CEFR_RANK: dict[CEFRLevel, int] = {level: n for n, level in enumerate(CEFRLevel, start=1)}
"""Looked up rather than searched: matching asks for ranks several times per candidate and vacancy."""


class LanguageSkill(StrEnum):
    """The four CEFR skills a level is given for."""

    LISTENING = "listening"
    READING = "reading"
    SPEAKING = "speaking"
    WRITING = "writing"


@lru_cache(maxsize=1024)
def _normalise_language(code: str) -> str:
    """ISO 639-1 where the language has one, else ISO 639-3 (e.g. Dari ``prs``)."""
    code = code.strip().lower()
    found = None
    if len(code) == 2:
        found = pycountry.languages.get(alpha_2=code)
    elif len(code) == 3:
        found = pycountry.languages.get(alpha_3=code)
    if found is None:
        raise ValueError(f"{code!r} is not an ISO 639-1 or ISO 639-3 language code")
    code_639_1: str | None = getattr(found, "alpha_2", None)
    return code_639_1 or str(found.alpha_3)


Language = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z]{2,3}$"),
    AfterValidator(_normalise_language),
]
"""ISO 639 language code, normalised to 639-1 (``it``) or, when none exists, 639-3 (``prs``)."""

# Kosovo has no ISO 3166-1 code; the EU (Eurostat, EU visa rules) uses the user-assigned XK,
# and Kosovars are a significant group of third-country nationals.
_EXTRA_COUNTRIES = frozenset({"XK"})


@lru_cache(maxsize=512)
def _normalise_country(code: str) -> str:
    code = code.strip().upper()
    if code in _EXTRA_COUNTRIES or (len(code) == 2 and pycountry.countries.get(alpha_2=code) is not None):
        return code
    raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code")


Country = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z]{2}$"),
    AfterValidator(_normalise_country),
]
"""ISO 3166-1 alpha-2 country code, upper-case (plus ``XK`` for Kosovo, as the EU uses)."""


def load_code_tables() -> None:
    """Read pycountry's ISO 639 and ISO 3166 tables now. Each is read on its first lookup (the
    languages' took 46 ms here), which would otherwise fall on the first event or request naming
    a language or country: a service calls this while it starts."""
    pycountry.languages.get(alpha_2="en")
    pycountry.countries.get(alpha_2="EU")


class ISCEDLevel(IntEnum):
    """ISCED 2011 level of the highest completed education."""

    EARLY_CHILDHOOD = 0
    PRIMARY = 1
    LOWER_SECONDARY = 2
    UPPER_SECONDARY = 3
    POST_SECONDARY_NON_TERTIARY = 4
    SHORT_CYCLE_TERTIARY = 5
    BACHELOR = 6
    MASTER = 7
    DOCTORAL = 8


ISCO08Code = Annotated[str, StringConstraints(pattern=r"^\d{1,4}$")]
"""ISCO-08 code from major group (``7``) down to unit group (``7126``)."""

ESCOUri = Annotated[str, StringConstraints(pattern=r"^http://data\.europa\.eu/esco/\S+$", max_length=200)]
"""ESCO concept URI (occupation or skill), e.g. ``http://data.europa.eu/esco/occupation/<uuid>``."""


class Sex(StrEnum):
    """Sex as reported for funders' indicators; ``undisclosed`` is always allowed."""

    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNDISCLOSED = "undisclosed"


class AgeBand(StrEnum):
    """Age band: shared topics never carry an exact birth date."""

    FROM_15_TO_24 = "15-24"
    FROM_25_TO_34 = "25-34"
    FROM_35_TO_44 = "35-44"
    FROM_45_TO_54 = "45-54"
    FROM_55_TO_64 = "55-64"
    FROM_65 = "65+"


def age_band(birth_date: date, on_date: date) -> AgeBand:
    """The band of a person's age on ``on_date``; intake derives it before publishing."""
    age = on_date.year - birth_date.year - ((on_date.month, on_date.day) < (birth_date.month, birth_date.day))
    if age < 15:
        raise ValueError(f"age {age} is below working age (15)")
    if age >= 65:
        return AgeBand.FROM_65
    lower = 15 + (age - 15) // 10 * 10
    return AgeBand(f"{lower}-{lower + 9}")


class LegalStatus(StrEnum):
    """Residence status, which decides which vacancies a participant may take."""

    REFUGEE = "refugee"
    SUBSIDIARY_PROTECTION = "subsidiary_protection"
    ASYLUM_SEEKER = "asylum_seeker"
    TEMPORARY_PROTECTION = "temporary_protection"
    FAMILY_REUNIFICATION = "family_reunification"
    WORK_PERMIT_HOLDER = "work_permit_holder"
    OTHER = "other"


class WorkPermitScope(StrEnum):
    """How far a participant may work: ``restricted`` is e.g. hours- or sector-limited."""

    NONE = "none"
    RESTRICTED = "restricted"
    FULL = "full"


class ConsentPurpose(StrEnum):
    """Purposes consent is recorded for, one by one (GDPR art. 6/7)."""

    CASE_MANAGEMENT = "case_management"
    MATCHING = "matching"
    EMPLOYER_CONTACT = "employer_contact"
    STATISTICS = "statistics"


class ConsentStatus(StrEnum):
    GIVEN = "given"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


CitySlug = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,32}$")]
"""A partner city's slug (``milan``, ``viladecans``); it also names the city's intake topic."""


class RecognitionStatus(StrEnum):
    """Where recognition of a foreign qualification stands (ENIC-NARIC style)."""

    NONE = "none"
    REQUESTED = "requested"
    PARTIAL = "partial"
    FULL = "full"


class CourseType(StrEnum):
    """Kinds of training MILE offers; funders count participants supported per type of measure."""

    HOST_LANGUAGE = "host_language"
    CIVIC_ORIENTATION = "civic_orientation"
    VOCATIONAL = "vocational"
    DIGITAL = "digital"
    SOFT_SKILLS = "soft_skills"
    JOB_SEARCH = "job_search"


class TrainingOutcome(StrEnum):
    COMPLETED = "completed"
    DROPPED_OUT = "dropped_out"


class GuidanceKind(StrEnum):
    """Support sessions held by the city's intake (placement records its own tutoring)."""

    TUTORING = "tutoring"
    PROFESSIONAL_GUIDANCE = "professional_guidance"
    JOB_SEARCH_SUPPORT = "job_search_support"


class VacancyKind(StrEnum):
    WORK_EXPERIENCE = "work_experience"
    APPRENTICESHIP = "apprenticeship"
    JOB = "job"


class MatchDecision(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class PlacementOutcome(StrEnum):
    COMPLETED = "completed"
    CONVERTED_TO_EMPLOYMENT = "converted_to_employment"
    DROPPED_OUT = "dropped_out"
    ENDED_BY_EMPLOYER = "ended_by_employer"
    CANCELLED = "cancelled"


ReasonCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_]{0,63}$"),
]
"""A snake_case reason code (``participant_declined``): never free text, so no notes leak."""
