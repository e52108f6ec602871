"""Event type -> model, and the (de)serialisation of event data (the Kafka message value)."""

from __future__ import annotations

from mile_schemas.base import Event
from mile_schemas.events import (
    AssessmentCompleted,
    ConsentChanged,
    EmployerRegistered,
    FollowUpDue,
    FollowUpMissed,
    FollowUpRecorded,
    GuidanceSessionRecorded,
    MatchDecided,
    MatchProposed,
    ParticipantErased,
    ParticipantProfileUpdated,
    ParticipantRegistered,
    PlacementConfirmed,
    PlacementEnded,
    PlacementStarted,
    TrainingEnded,
    TrainingEnrolled,
    TutoringSessionRecorded,
    VacancyClosed,
    VacancyOpened,
    VacancyUpdated,
)

__all__ = ["EVENT_TYPES", "UnknownEventType", "encode_event", "parse_event"]

# Every version ever published stays here: old messages remain readable on replay.
_MODELS: tuple[type[Event], ...] = (
    ParticipantRegistered,
    ParticipantProfileUpdated,
    ConsentChanged,
    AssessmentCompleted,
    ParticipantErased,
    TrainingEnrolled,
    TrainingEnded,
    GuidanceSessionRecorded,
    VacancyOpened,
    VacancyClosed,
    VacancyUpdated,
    EmployerRegistered,
    MatchProposed,
    MatchDecided,
    PlacementStarted,
    PlacementEnded,
    PlacementConfirmed,
    TutoringSessionRecorded,
    FollowUpDue,
    FollowUpRecorded,
    FollowUpMissed,
)


def _by_type(models: tuple[type[Event], ...]) -> dict[str, type[Event]]:
    registry: dict[str, type[Event]] = {}
    for model in models:
        if model.event_type in registry:
            raise RuntimeError(f"event type {model.event_type!r} registered twice")
        registry[model.event_type] = model
    return registry


EVENT_TYPES: dict[str, type[Event]] = _by_type(_MODELS)


class UnknownEventType(ValueError):
    """No model is registered for a ``ce_type``: a permanent error (dead-letter it)."""


def parse_event(meta_type: str, data: bytes | str) -> Event:
    """The event model for ``meta_type`` parsed from JSON; raises ValidationError if invalid."""
    model = EVENT_TYPES.get(meta_type)
    if model is None:
        raise UnknownEventType(f"unknown event type {meta_type!r}")
    return model.model_validate_json(data)


def encode_event(event: Event) -> bytes:
    """Compact JSON bytes of the event data."""
    return event.model_dump_json().encode()
