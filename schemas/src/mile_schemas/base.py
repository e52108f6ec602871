"""The base of every event model.

Each concrete event declares, right beside its fields, its CloudEvents ``type``, its topic
and its key, so a reader of one class knows where it travels (DESIGN §8).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from mile_schemas.envelope import EventMeta, new_event_id

__all__ = ["Event", "Producer"]

Producer = Literal["intake", "matching", "placement"]


class Event(BaseModel, ABC):
    """A fact one service publishes; consumers ignore fields they do not know yet."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_type: ClassVar[str]
    """CloudEvents ``type``: ``eu.mile.<service>.<event>.v<N>``."""
    producer: ClassVar[Producer]
    time_field: ClassVar[str]
    """Name of the field holding when the fact happened; it becomes ``ce_time``."""

    @abstractmethod
    def topic(self) -> str:
        """The Kafka topic this event is published to."""

    @abstractmethod
    def key(self) -> str:
        """The aggregate id, used as Kafka key so one aggregate's events stay ordered."""

    @property
    def subject(self) -> str:
        """CloudEvents ``subject``: the aggregate id."""
        return self.key()

    def source(self) -> str:
        """CloudEvents ``source``: the emitting service (and city, for intake)."""
        return f"/mile/{self.producer}"

    @property
    def occurred_at(self) -> datetime:
        value: datetime = getattr(self, self.time_field)
        return value

    def meta(self, event_id: UUID | None = None) -> EventMeta:
        """The envelope for publishing this event (a fresh id unless one is given)."""
        return EventMeta(
            id=event_id or new_event_id(),
            type=self.event_type,
            source=self.source(),
            time=self.occurred_at,
            subject=self.subject,
        )
