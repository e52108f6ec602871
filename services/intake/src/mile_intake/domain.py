"""Pure rules of intake: what may leave the city, decided from consent (fail-closed)."""

import uuid
from datetime import UTC, date, datetime
from typing import Any

from mile_intake.profile import ParticipantProfile, candidate_profile, furthest_recognition
from mile_schemas import (
    CandidateProfile,
    ConsentChanged,
    ConsentPurpose,
    ConsentStatus,
    Country,
    ParticipantProfileUpdated,
    ParticipantRegistered,
    Sex,
    StatisticalAttributes,
    age_band,
)


def shared_profile(profile: ParticipantProfile, consents: set[ConsentPurpose]) -> CandidateProfile | None:
    """The candidate profile, only when matching consent is given."""
    if ConsentPurpose.MATCHING not in consents:
        return None
    return candidate_profile(profile)


def statistics(
    *, birth_date: date, sex: Sex, nationality: Country | None, profile: ParticipantProfile, on: date
) -> StatisticalAttributes:
    return StatisticalAttributes(
        age_band=age_band(birth_date, on),
        sex=sex,
        nationality=nationality,
        legal_status=profile.legal_status,
        recognition=furthest_recognition(profile),
    )


def registered_event(
    *,
    participant_id: uuid.UUID,
    city: str,
    registered_at: datetime,
    consents: set[ConsentPurpose],
    stats: StatisticalAttributes,
    profile: ParticipantProfile,
) -> ParticipantRegistered:
    """The event announcing a registration, carrying only what consent allows."""
    return ParticipantRegistered(
        participant_id=participant_id,
        city=city,
        registered_at=registered_at.astimezone(UTC),
        consents=tuple(sorted(consents)),
        statistics=stats if ConsentPurpose.STATISTICS in consents else None,
        profile=shared_profile(profile, consents),
    )


def profile_updated_event(
    *,
    participant_id: uuid.UUID,
    city: str,
    updated_at: datetime,
    consents: set[ConsentPurpose],
    stats: StatisticalAttributes,
    profile: ParticipantProfile,
) -> ParticipantProfileUpdated:
    """The new shareable snapshot, each part only with its consent (fail-closed)."""
    return ParticipantProfileUpdated(
        participant_id=participant_id,
        city=city,
        updated_at=updated_at.astimezone(UTC),
        statistics=stats if ConsentPurpose.STATISTICS in consents else None,
        profile=shared_profile(profile, consents),
    )


def merged(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A partial update applied: only the fields the caller sent change."""
    return {**current, **changes}


def consents_after(current: set[ConsentPurpose], purpose: ConsentPurpose, status: ConsentStatus) -> set[ConsentPurpose]:
    """Given adds the purpose; withdrawn or expired removes it."""
    return current | {purpose} if status is ConsentStatus.GIVEN else current - {purpose}


def consent_changed_event(
    *,
    participant_id: uuid.UUID,
    city: str,
    purpose: ConsentPurpose,
    status: ConsentStatus,
    notice_version: str,
    changed_at: datetime,
    stats: StatisticalAttributes | None,
    profile: ParticipantProfile | None,
) -> ConsentChanged:
    """What the shared services need: the profile or statistics travel only with their consent being
    given (a caller may leave out what a withdrawal or expiry never sends)."""
    given = status is ConsentStatus.GIVEN
    matching = candidate_profile(profile) if given and purpose is ConsentPurpose.MATCHING and profile else None
    return ConsentChanged(
        participant_id=participant_id,
        city=city,
        purpose=purpose,
        status=status,
        notice_version=notice_version,
        changed_at=changed_at.astimezone(UTC),
        profile=matching,
        statistics=stats if given and purpose is ConsentPurpose.STATISTICS else None,
    )
