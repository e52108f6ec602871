"""Where a service's "now" comes from: schedulers, recorded times and event times ask one
injected clock, so tests (and a replay of a schedule) can move time instead of waiting for it."""

from collections.abc import Callable
from datetime import datetime

from mile_schemas import utc_now

Clock = Callable[[], datetime]
"""Returns the current aware UTC time."""

SYSTEM_CLOCK: Clock = utc_now
