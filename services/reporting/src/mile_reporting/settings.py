"""Reporting settings: one shared deployment reading every city's events."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from mile_platform.settings import ServiceSettings
from mile_schemas import CitySlug


class ReportingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTING_", extra="ignore")

    suppression_threshold: int = Field(default=5, ge=2, description="cells counting fewer people are hidden")
    gauges_interval_s: float = Field(default=15.0, gt=0, description="how often business gauges are refreshed")
    consortium_site: CitySlug = Field(
        default="consortium", description="a token of this site reads every city; any other site only its own"
    )
    indicators_file: Path | None = Field(default=None, description="indicator definitions; default: the shipped ones")
