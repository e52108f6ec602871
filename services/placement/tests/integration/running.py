"""The placement service a test talks to, and how the test publishes events to it."""

import uuid
from dataclasses import dataclass

import httpx
from aiokafka import AIOKafkaProducer
from aiokafka.structs import RecordMetadata

from mile_schemas import Event, encode_event, to_headers


@dataclass(frozen=True)
class RunningPlacement:
    """The running service, the broker it reads, and a city no other test uses."""

    http: httpx.AsyncClient
    bootstrap: str
    city: str
    producer: AIOKafkaProducer

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
