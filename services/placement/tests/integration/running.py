"""The placement service a test talks to, and how the test publishes events to it."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from aiokafka import AIOKafkaProducer
from aiokafka.structs import RecordMetadata

from mile_devstack.tokens import DevIssuer
from mile_schemas import Event, encode_event, to_headers


@dataclass
class MovableClock:
    """The service's clock in tests: time moves only when the test says so."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


@dataclass(frozen=True)
class RunningPlacement:
    """The running service, the broker it reads, and a city no other test uses."""

    http: httpx.AsyncClient
    bootstrap: str
    city: str
    producer: AIOKafkaProducer
    clock: MovableClock = field(compare=False)
    issuer: DevIssuer = field(compare=False)
    database: str = field(compare=False)  # its URL, to read what the service stored

    def auth(self, site: str, *roles: str) -> dict[str, str]:
        """Headers carrying a token for ``site`` with ``roles`` (a caseworker by default)."""
        return {"Authorization": f"Bearer {self.issuer.token(site=site, roles=roles or ('caseworker',))}"}

    async def publish(
        self, event: Event, *, event_id: uuid.UUID | None = None, partition: int | None = None
    ) -> RecordMetadata:
        """Send ``event`` as its producer would: CloudEvents headers, key = aggregate id."""
        metadata: RecordMetadata = await self.producer.send_and_wait(
            event.topic(),
            key=event.key().encode(),
            value=encode_event(event),
            headers=to_headers(event.meta(event_id)),
            partition=partition,
        )
        return metadata
