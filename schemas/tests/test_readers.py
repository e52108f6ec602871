"""Readers: a consumer leaves the parts of an event it never uses unparsed, and validates the rest."""

import json
from typing import Any

import pytest
from pydantic import ValidationError

from mile_schemas import (
    EVENT_TYPES,
    MatchDecided,
    ParticipantRegistered,
    encode_event,
    parse_event,
    reader,
)
from mile_schemas.examples import load_examples

WITHOUT_PROFILE = reader(ParticipantRegistered, "profile")
READERS = {WITHOUT_PROFILE.event_type: WITHOUT_PROFILE}


def _registration(**changes: Any) -> bytes:
    return json.dumps({**load_examples(ParticipantRegistered.event_type)[0], **changes}).encode()


def test_a_reader_is_the_model_without_the_skipped_part() -> None:
    full = parse_event(ParticipantRegistered.event_type, _registration())
    read = parse_event(ParticipantRegistered.event_type, _registration(), READERS)

    assert isinstance(read, ParticipantRegistered)  # handlers match it as the model it reads
    assert full.profile is not None
    assert read.profile is None
    assert "profile" not in type(read).model_fields
    assert read.model_dump(exclude={"profile"}) == full.model_dump(exclude={"profile"})


def test_the_skipped_part_is_not_validated_and_the_rest_is() -> None:
    bad_profile = _registration(profile={"municipality": ""})
    with pytest.raises(ValidationError, match="profile"):
        parse_event(ParticipantRegistered.event_type, bad_profile)
    assert parse_event(ParticipantRegistered.event_type, bad_profile, READERS).profile is None

    bad_statistics = json.loads(_registration())
    bad_statistics["statistics"]["sex"] = "unknown"
    with pytest.raises(ValidationError, match=r"statistics\.sex"):
        parse_event(ParticipantRegistered.event_type, json.dumps(bad_statistics).encode(), READERS)


def test_other_event_types_are_read_with_their_registered_model() -> None:
    event = MatchDecided.model_validate(load_examples(MatchDecided.event_type)[0])
    assert type(parse_event(MatchDecided.event_type, encode_event(event), READERS)) is EVENT_TYPES[event.event_type]


def test_only_an_optional_part_can_be_skipped() -> None:
    with pytest.raises(ValueError, match=r"ParticipantRegistered\.city is not optional"):
        reader(ParticipantRegistered, "city")


def test_the_same_reader_is_made_once() -> None:
    assert reader(ParticipantRegistered, "profile") is WITHOUT_PROFILE
