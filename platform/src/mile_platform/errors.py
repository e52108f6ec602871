"""Error vocabulary shared by HTTP edges and event consumers.

Domain code raises these; the HTTP edge maps them to problem+json statuses and the
subscriber wrapper decides from them whether to retry (transient) or dead-letter
(permanent).
"""

import asyncio

import asyncpg
from aiokafka.errors import KafkaError
from pydantic import ValidationError


class PermanentError(Exception):
    """Processing this input can never succeed: dead-letter it and move on."""


class DomainError(PermanentError):
    """A business rule refused the command; ``status`` is its HTTP meaning."""

    status = 422
    title = "Rule violated"


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.TooManyConnectionsError,
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    KafkaError,
    ConnectionError,
    OSError,
    asyncio.TimeoutError,
)

PERMANENT_ERRORS: tuple[type[BaseException], ...] = (
    PermanentError,
    ValidationError,
    ValueError,
    asyncpg.DataError,
    asyncpg.IntegrityConstraintViolationError,
)


def is_transient(exc: BaseException) -> bool:
    """True when retrying later may succeed (an outage, not a bad message)."""
    return isinstance(exc, TRANSIENT_ERRORS) and not isinstance(exc, PERMANENT_ERRORS)


def is_permanent(exc: BaseException) -> bool:
    return isinstance(exc, PERMANENT_ERRORS)
