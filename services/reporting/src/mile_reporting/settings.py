"""Reporting settings: one shared deployment reading every city's events."""

from mile_platform.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict


class ReportingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTING_", extra="ignore")
