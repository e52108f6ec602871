"""Reporting's consumer: every event topic of every city (never a ``.dlt``), in batches."""

import re
from collections.abc import Sequence

import asyncpg

from mile_platform.subscriber import Consumer, Delivery
from mile_reporting import domain, handlers
from mile_schemas import MATCHES, PARTICIPANTS_PATTERN, PLACEMENTS, VACANCIES, reader

TOPICS_PATTERN = "|".join(
    [PARTICIPANTS_PATTERN, *(f"^{re.escape(topic)}$" for topic in (VACANCIES, MATCHES, PLACEMENTS))]
)
"""Each alternative is anchored, so dead-letter topics (``<topic>.dlt``) never match."""


async def apply_batch(conn: asyncpg.Connection, deliveries: Sequence[Delivery]) -> None:
    await handlers.project(conn, [delivery.event for delivery in deliveries])


consumer = Consumer(
    pattern=TOPICS_PATTERN,
    handler=apply_batch,
    handles=frozenset(model.event_type for model in domain.PROJECTED_EVENTS),
    # No projection reads a profile (matching's): neither validated nor built, a registration decodes
    # in half the time.
    readers={
        model.event_type: reader(model, "profile")
        for model in domain.PROJECTED_EVENTS
        if "profile" in model.model_fields
    },
)
