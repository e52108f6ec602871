"""Placement settings: one shared deployment; everything it needs comes from the platform base."""

from mile_platform.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict


class PlacementSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PLACEMENT_", extra="ignore")
