"""Versioned MILE event models, one module per producer."""

from mile_schemas.events.intake import (
    AssessmentCompleted,
    ConsentChanged,
    IntakeEvent,
    ParticipantErased,
    ParticipantProfileUpdated,
    ParticipantRegistered,
)
from mile_schemas.events.matching import (
    LanguageRequirement,
    MatchDecided,
    MatchEvent,
    MatchProposed,
    VacancyClosed,
    VacancyEvent,
    VacancyOpened,
)
from mile_schemas.events.placement import PlacementEnded, PlacementEvent, PlacementStarted
from mile_schemas.events.profile import (
    CandidateProfile,
    LanguageProficiency,
    OccupationExperience,
    StatisticalAttributes,
    WorkPermit,
)

__all__ = [
    "AssessmentCompleted",
    "CandidateProfile",
    "ConsentChanged",
    "IntakeEvent",
    "LanguageProficiency",
    "LanguageRequirement",
    "MatchDecided",
    "MatchEvent",
    "MatchProposed",
    "OccupationExperience",
    "ParticipantErased",
    "ParticipantProfileUpdated",
    "ParticipantRegistered",
    "PlacementEnded",
    "PlacementEvent",
    "PlacementStarted",
    "StatisticalAttributes",
    "VacancyClosed",
    "VacancyEvent",
    "VacancyOpened",
    "WorkPermit",
]
