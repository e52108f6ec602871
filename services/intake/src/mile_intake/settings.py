"""Intake settings: one deployment per city, so the city is configuration."""

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from mile_platform.settings import ServiceSettings
from mile_schemas import CitySlug


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")

    city: CitySlug
    master_key: SecretStr  # urlsafe base64 of 32 bytes; wraps every participant's data key
    consent_expiry_interval_s: float = Field(default=60.0, gt=0, description="how often expired consents are sought")
    consent_expiry_batch_size: int = Field(default=200, ge=1)
