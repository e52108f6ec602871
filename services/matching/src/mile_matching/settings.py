"""Matching settings: one shared deployment, tuned by how strict, how many proposals, and
how much each part of the score weighs."""

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import SettingsConfigDict

from mile_platform.settings import ServiceSettings


class ScoreWeights(BaseModel):
    """Relative weight of each part of the score; parts a vacancy does not ask for drop out."""

    model_config = ConfigDict(frozen=True)

    occupation: float = Field(default=0.5, gt=0, description="always counted, so never zero")
    essential_skills: float = Field(default=0.3, ge=0)
    optional_skills: float = Field(default=0.05, ge=0)
    language: float = Field(default=0.2, ge=0)
    distance: float = Field(default=0.05, ge=0)


class EligibilityRules(BaseModel):
    """Hard limits the law or the programme sets, the same for every vacancy."""

    model_config = ConfigDict(frozen=True)

    restricted_permit_max_hours: int = Field(
        default=20, ge=1, le=60, description="weekly hours a restricted work permit covers"
    )
    default_max_commute_km: int = Field(
        default=50, ge=0, le=500, description="commute limit for participants who gave none"
    )


class MatchingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MATCHING_", env_nested_delimiter="__", extra="ignore")

    min_score: float = Field(default=0.3, ge=0, le=1, description="lowest score worth proposing")
    proposals_per_position: int = Field(default=3, ge=1, description="open proposals a vacancy may hold per position")
    index_max_age_s: float = Field(
        default=2.0, ge=0, description="how old the in-memory ranking index may get before it is checked"
    )
    assignment_candidates_per_position: int = Field(
        default=10, ge=1, le=100, description="best candidates per free position the batch assignment considers"
    )
    waiting_fold_interval_s: float = Field(
        default=5.0, gt=0, description="how often each vacancy's changes to its count of waiting proposals are folded"
    )
    weights: ScoreWeights = ScoreWeights()
    rules: EligibilityRules = EligibilityRules()
