"""Reporting settings: one shared deployment reading every city's events."""

from pydantic_settings import SettingsConfigDict

from mile_platform.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTING_", extra="ignore")
