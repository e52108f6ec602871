"""MILE event contracts: CloudEvents envelope, topics, versioned event models and codes.

Typical producer use::

    event = ParticipantRegistered(...)
    headers = to_headers(event.meta(), traceparent)
    send(event.topic(), key=event.key().encode(), value=encode_event(event), headers=headers)

and consumer use::

    meta, traceparent = from_headers(message.headers)
    event = parse_event(meta.type, message.value)
"""

from mile_schemas.base import Event, Producer
from mile_schemas.codes import (
    AgeBand,
    CEFRLevel,
    CitySlug,
    ConsentPurpose,
    ConsentStatus,
    Country,
    ESCOUri,
    ISCEDLevel,
    ISCO08Code,
    Language,
    LanguageSkill,
    LegalStatus,
    MatchDecision,
    PlacementOutcome,
    ReasonCode,
    Sex,
    VacancyKind,
    WorkPermitScope,
    age_band,
)
from mile_schemas.envelope import EnvelopeError, EventMeta, from_headers, to_headers
from mile_schemas.events import (
    AssessmentCompleted,
    CandidateProfile,
    ConsentChanged,
    IntakeEvent,
    LanguageProficiency,
    LanguageRequirement,
    MatchDecided,
    MatchEvent,
    MatchProposed,
    OccupationExperience,
    ParticipantErased,
    ParticipantProfileUpdated,
    ParticipantRegistered,
    PlacementEnded,
    PlacementEvent,
    PlacementStarted,
    StatisticalAttributes,
    VacancyClosed,
    VacancyEvent,
    VacancyOpened,
    WorkPermit,
)
from mile_schemas.registry import EVENT_TYPES, UnknownEventType, encode_event, parse_event
from mile_schemas.timestamps import UtcDateTime, utc_now
from mile_schemas.topics import (
    MATCHES,
    PARTICIPANTS_PATTERN,
    PLACEMENTS,
    VACANCIES,
    all_topics,
    city_of_participants_topic,
    dead_letter_topic,
    participants_topic,
)

__all__ = [
    "EVENT_TYPES",
    "MATCHES",
    "PARTICIPANTS_PATTERN",
    "PLACEMENTS",
    "VACANCIES",
    "AgeBand",
    "AssessmentCompleted",
    "CEFRLevel",
    "CandidateProfile",
    "CitySlug",
    "ConsentChanged",
    "ConsentPurpose",
    "ConsentStatus",
    "Country",
    "ESCOUri",
    "EnvelopeError",
    "Event",
    "EventMeta",
    "ISCEDLevel",
    "ISCO08Code",
    "IntakeEvent",
    "Language",
    "LanguageProficiency",
    "LanguageRequirement",
    "LanguageSkill",
    "LegalStatus",
    "MatchDecided",
    "MatchDecision",
    "MatchEvent",
    "MatchProposed",
    "OccupationExperience",
    "ParticipantErased",
    "ParticipantProfileUpdated",
    "ParticipantRegistered",
    "PlacementEnded",
    "PlacementEvent",
    "PlacementOutcome",
    "PlacementStarted",
    "Producer",
    "ReasonCode",
    "Sex",
    "StatisticalAttributes",
    "UnknownEventType",
    "UtcDateTime",
    "VacancyClosed",
    "VacancyEvent",
    "VacancyKind",
    "VacancyOpened",
    "WorkPermit",
    "WorkPermitScope",
    "age_band",
    "all_topics",
    "city_of_participants_topic",
    "dead_letter_topic",
    "encode_event",
    "from_headers",
    "parse_event",
    "participants_topic",
    "to_headers",
    "utc_now",
]
