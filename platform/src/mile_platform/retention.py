"""What every service keeps only for a while: responses stored for Idempotency-Keys, and its
consumer's inbox claims. Without it both tables grow with every write and every event, for ever."""

import asyncpg

from mile_platform import idempotency, inbox
from mile_platform.settings import PlatformSettings


async def apply(pool: asyncpg.Pool, settings: PlatformSettings) -> None:
    """Drop what is older than its retention. Replicas doing so side by side wait for each other's rows."""
    await idempotency.expire(pool, settings.idempotency_retention_h)
    await inbox.forget_older_than(pool, settings.inbox_retention_days)
