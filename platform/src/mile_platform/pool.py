"""The service's PostgreSQL pool: connected with retries, and released without a reset round trip.

Every service keeps its session state transaction-local: ``set_config(..., true)`` for the
role and city, ``pg_advisory_xact_lock`` for its locks, no LISTEN or cursor on a pooled
connection (the relay listens on its own). The one session lock, the migrations', is
unlocked before its connection goes back (a service whose start fails exits, and its pool
with it). That is also what PgBouncer's transaction pooling demands. So a connection whose
transaction has ended holds nothing for the next request, and asyncpg's default reset on
release (``RESET ALL``, ``UNLISTEN *``, ``CLOSE ALL``, advisory unlocks) cost one more round
trip per request for nothing. asyncpg still rolls back a transaction left open, and drops
listeners, before the hook runs.
"""

import asyncio
import logging

import asyncpg

from mile_platform.settings import ServiceSettings

log = logging.getLogger(__name__)


async def connect_pool(settings: ServiceSettings, attempts: int = 30) -> asyncpg.Pool:
    """The database may still be starting beside us: wait for it a little."""
    for attempt in range(1, attempts + 1):
        try:
            return await asyncpg.create_pool(
                settings.database_url,
                min_size=settings.db_pool_min,
                max_size=settings.db_pool_max,
                reset=_transaction_ended,
            )
        except (OSError, asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError) as exc:
            if attempt == attempts:
                raise
            log.warning("database not reachable yet (%r); retrying", exc)
            await asyncio.sleep(1)
    raise AssertionError("unreachable")


async def _transaction_ended(conn: asyncpg.Connection) -> None:
    """Nothing to reset once asyncpg has rolled back any open transaction (see the module's docstring)."""
