"""Field types reused by several event modules."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Annotated, TypeVar

from pydantic import AfterValidator, Field, StringConstraints

__all__ = ["CoarseLatitude", "CoarseLongitude", "Label", "Latitude", "Longitude", "unique"]

H = TypeVar("H", bound=Hashable)


def unique(values: tuple[H, ...]) -> tuple[H, ...]:
    """Reject repeated items: a repeat is a producer bug, not something to merge silently."""
    seen: set[H] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate item {value!r}")
        seen.add(value)
    return values


Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
"""A short machine-written label (skill URI or name, match reason), not free-text notes."""

Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]

# A participant's position is rounded to 0.01° (about 1 km) so a shared topic can place them
# in their neighbourhood for commuting distance but never at their address.
CoarseLatitude = Annotated[Latitude, AfterValidator(lambda v: round(v, 2))]
CoarseLongitude = Annotated[Longitude, AfterValidator(lambda v: round(v, 2))]
