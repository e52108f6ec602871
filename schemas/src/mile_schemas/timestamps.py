"""UTC timestamps: events state when something happened, in one time zone (ISO 8601, UTC)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime

__all__ = ["UtcDateTime", "utc_now"]


def _to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:  # not a ValueError, so pydantic would let it out bare: a 500, not a 422
        raise ValueError("is out of range once in UTC") from None


UtcDateTime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""An aware datetime normalised to UTC; naive datetimes are rejected, never guessed."""


def utc_now() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)
