"""Which failures are retried and which are dead-lettered."""

import asyncpg
from aiokafka.errors import KafkaConnectionError

from mile_platform.errors import Conflict, is_permanent, is_transient


def test_outages_are_transient() -> None:
    assert is_transient(ConnectionRefusedError())
    assert is_transient(asyncpg.CannotConnectNowError("starting up"))
    assert is_transient(KafkaConnectionError())
    assert not is_permanent(ConnectionRefusedError())


def test_bad_input_and_rule_violations_are_permanent() -> None:
    assert is_permanent(Conflict("already decided"))
    assert is_permanent(ValueError("bad"))
    assert not is_transient(Conflict("already decided"))
