"""After start-up, the garbage collector leaves a consumer's batch of decoded events alone: a
collection would scan all of it while it waits to be applied, and on a backlog that was 13 % of
a consumer's CPU."""

import gc
import uuid
from collections.abc import Iterator

import pytest

from mile_platform.collector import settle_collector
from mile_platform.settings import PlatformSettings
from mile_schemas import ParticipantRegistered, encode_event, from_headers, parse_event, to_headers
from mile_schemas.examples import load_examples

REGISTRATION = next(e for e in load_examples(ParticipantRegistered.event_type) if e.get("profile"))
"""A published example with a candidate profile: the largest event consumers decode by the thousand."""


@pytest.fixture
def settled() -> Iterator[list[int]]:
    """The collector as a service sets it once started; yields the generations it collects meanwhile."""
    threshold = gc.get_threshold()
    collected: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collected.append(info["generation"])

    settle_collector()
    gc.callbacks.append(count)
    try:
        yield collected
    finally:
        gc.callbacks.remove(count)
        gc.unfreeze()
        gc.set_threshold(*threshold)


def test_batches_of_registrations_with_profiles_are_freed_before_any_collection(settled: list[int]) -> None:
    records = []
    for _ in range(PlatformSettings.model_fields["consumer_max_records"].default):  # the largest batch by default
        event = ParticipantRegistered.model_validate({**REGISTRATION, "participant_id": uuid.uuid4()})
        records.append((to_headers(event.meta()), encode_event(event)))
    for _ in range(5):
        batch = []  # all of a batch alive at once, as while it is applied
        for headers, body in records:
            meta, _ = from_headers(headers)
            batch.append((meta, parse_event(meta.type, body)))
        assert gc.get_count()[0] > 40_000  # as large as the collector's note says: a threshold of 50,000 is reached
        del batch
    assert settled == []
