"""What intake shows its city's caseworkers about a participant."""

import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from mile_intake.commands import PersonalData
from mile_intake.crypto import Keyring, decrypt_json
from mile_schemas import CandidateProfile, ConsentPurpose, StatisticalAttributes


class ParticipantView(BaseModel):
    participant_id: uuid.UUID
    city: str
    status: str
    personal: PersonalData
    statistics: StatisticalAttributes
    profile: CandidateProfile
    consents: list[ConsentPurpose]
    notice_version: str
    version: int
    created_at: datetime
    updated_at: datetime


def participant_view(row: Mapping[str, Any], keyring: Keyring) -> ParticipantView:
    data_key = keyring.open_data_key(row["wrapped_key"], row["id"])
    return ParticipantView(
        participant_id=row["id"],
        city=row["city"],
        status=row["status"],
        personal=PersonalData.model_validate(decrypt_json(data_key, row["personal"], row["id"])),
        statistics=StatisticalAttributes.model_validate(json.loads(row["statistics"])),
        profile=CandidateProfile.model_validate(json.loads(row["profile"])),
        consents=list(row["consents"]),
        notice_version=row["notice_version"],
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
