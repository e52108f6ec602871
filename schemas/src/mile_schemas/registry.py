"""Event type -> model, and the (de)serialisation of event data (the Kafka message value)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import ClassVar, TypeVar

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

__all__ = ["EVENT_TYPES", "Readers", "UnknownEventType", "encode_event", "parse_event", "reader"]

E = TypeVar("E", bound=Event)
Readers = Mapping[str, type[Event]]
"""Event type -> the model a consumer reads it with, where that is a ``reader`` of the registered one."""

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


@cache
def reader(model: type[E], *skipped: str) -> type[E]:
    """``model`` as read by a consumer that never uses its optional parts ``skipped``: a subclass in
    which they are not validated nor built (their JSON is only scanned past), and read as None.
    ``isinstance`` and ``event_type`` still say ``model``: handlers dispatch on those, never on the
    exact class. The same arguments give the same class; its instances cannot be pickled (no event
    crosses a process boundary).

    A tolerant reader: each consumer validates what it uses, the producer validated the whole. So
    the model's own rules about a skipped part (a profile only with matching consent) are not checked
    either. It earns its place on a backlog: a registration's profile is half the cost of decoding
    it, and reporting has no use for it.
    """
    if model.model_config.get("extra") == "forbid":
        raise ValueError(f"{model.__name__} forbids unknown fields: a reader of it would reject the parts it skips")
    for name in skipped:
        if model.model_fields[name].default is not None:
            raise ValueError(f"{model.__name__}.{name} is not optional: a reader cannot skip it")
    name = f"{model.__name__}Without{''.join(part.title().replace('_', '') for part in skipped)}"
    namespace = {
        "__module__": __name__,
        "__qualname__": name,
        "__doc__": f"{model.__name__} read without {', '.join(skipped)} (see ``reader``).",
        "__annotations__": dict.fromkeys(skipped, ClassVar[None]),
        **dict.fromkeys(skipped),
    }
    return type(model)(name, (model,), namespace)  # type: ignore[return-value]


_NO_READERS: Readers = MappingProxyType({})


def parse_event(meta_type: str, data: bytes | str, readers: Readers = _NO_READERS) -> Event:
    """The event model for ``meta_type`` (or the consumer's reader of it) parsed from JSON;
    raises ValidationError if invalid. Its validator is called without ``model_validate_json``'s
    Python wrapper, which cost each consumed event half a microsecond."""
    model = readers.get(meta_type) or EVENT_TYPES.get(meta_type)
    if model is None:
        raise UnknownEventType(f"unknown event type {meta_type!r}")
    event: Event = model.__pydantic_validator__.validate_json(data)
    return event


def encode_event(event: Event) -> bytes:
    """Compact JSON bytes of the event data."""
    return event.model_dump_json().encode()
