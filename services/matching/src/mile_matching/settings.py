"""Matching settings: one shared deployment, tuned by how strict and how many proposals."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from mile_platform.settings import ServiceSettings


class MatchingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MATCHING_", extra="ignore")

    min_score: float = Field(default=0.3, ge=0, le=1, description="lowest score worth proposing")
    proposals_per_position: int = Field(default=3, ge=1, description="open proposals a vacancy may hold per position")
