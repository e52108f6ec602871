"""Where intake's "now" comes from: consent expiry and recorded times ask a clock, so tests
can move time instead of waiting for it."""

from collections.abc import Callable
from datetime import datetime

from mile_schemas import utc_now

Clock = Callable[[], datetime]
"""Returns the current aware UTC time."""

SYSTEM_CLOCK: Clock = utc_now
