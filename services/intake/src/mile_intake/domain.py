"""Pure rules of intake: what may leave the city, decided from consent (fail-closed)."""

import uuid
from datetime import UTC, date, datetime

from mile_schemas import (
    CandidateProfile,
    ConsentPurpose,
    Country,
    ParticipantRegistered,
    Sex,
    StatisticalAttributes,
    age_band,
)


def shared_profile(profile: CandidateProfile, consents: set[ConsentPurpose]) -> CandidateProfile | None:
    """The candidate profile, only when matching consent is given."""
    if ConsentPurpose.MATCHING not in consents:
        return None
    return CandidateProfile.model_validate(profile.model_dump())


def statistics(
    *, birth_date: date, sex: Sex, nationality: Country | None, profile: CandidateProfile, on: date
) -> StatisticalAttributes:
    return StatisticalAttributes(
        age_band=age_band(birth_date, on), sex=sex, nationality=nationality, legal_status=profile.legal_status
    )


def registered_event(
    *,
    participant_id: uuid.UUID,
    city: str,
    registered_at: datetime,
    consents: set[ConsentPurpose],
    stats: StatisticalAttributes,
    profile: CandidateProfile,
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
