"""Placement settings: one shared deployment; everything it needs comes from the platform base."""

from pydantic_settings import SettingsConfigDict

from mile_platform.settings import ServiceSettings


class PlacementSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PLACEMENT_", extra="ignore")
