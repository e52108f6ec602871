"""Placement settings: the platform base plus the follow-up schedule."""

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from mile_placement.followups import DEFAULT_OFFSETS_MONTHS
from mile_platform.settings import ServiceSettings


class PlacementSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PLACEMENT_", extra="ignore")

    follow_up_offsets_months: tuple[int, ...] = Field(
        default=DEFAULT_OFFSETS_MONTHS, description="months after a placement's end a follow-up falls due (JSON list)"
    )
    follow_up_window_days: int = Field(default=30, ge=1, description="days a due follow-up stays open to record")
    scheduler_interval_s: float = Field(default=30.0, gt=0, description="how often the scheduler looks for due rows")
    scheduler_batch_size: int = Field(default=200, ge=1)

    @field_validator("follow_up_offsets_months")
    @classmethod
    def _offsets(cls, offsets: tuple[int, ...]) -> tuple[int, ...]:
        if not offsets or any(not 1 <= o <= 60 for o in offsets):
            raise ValueError("give one or more offsets between 1 and 60 months")
        return tuple(sorted(set(offsets)))
