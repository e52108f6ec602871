"""Indicators as configuration: definitions over the projections, validated when reporting starts.

A definition names what it counts (participants who reached a stage, optionally without
having reached another, optionally of some legal statuses; participants whose tested
level in a language rose; participants who received a type of measure; participants who
applied for recognition of a qualification), its labels in the partner cities' languages
and its target.
Every indicator counts participants, so a participant who re-enters counts once.
"""

from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal, Self

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from mile_reporting.domain import Stage
from mile_reporting.measures import MEASURES
from mile_schemas import LegalStatus, RecognitionStatus

LANGUAGES: tuple[str, ...] = ("en", "it", "es", "de", "el")
"""The partner cities' languages; English is the fallback."""


class Measure(StrEnum):
    REACHED_STAGE = "reached_stage"
    CEFR_IMPROVED = "cefr_improved"
    SUPPORTED = "supported"  # received one of ``measures`` (a course type or guidance kind), from the first time
    RECOGNITION = "recognition"  # entered in the period and applied for recognition (ESF+ counts at entry)


APPLIED_FOR_RECOGNITION = (RecognitionStatus.REQUESTED, RecognitionStatus.PARTIAL, RecognitionStatus.FULL)


def _known_measure(code: str) -> str:
    if code not in MEASURES:
        raise ValueError(f"unknown measure {code!r}; one of {', '.join(sorted(MEASURES))}")
    return code


MeasureCode = Annotated[str, AfterValidator(_known_measure)]


class Labels(BaseModel):
    """One text per partner language; none may be missing."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    en: str = Field(min_length=1)
    it: str = Field(min_length=1)
    es: str = Field(min_length=1)
    de: str = Field(min_length=1)
    el: str = Field(min_length=1)

    def in_language(self, lang: str) -> str:
        return str(getattr(self, lang))


class Indicator(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
    labels: Labels
    measure: Measure = Measure.REACHED_STAGE
    stage: Stage | None = None
    without_stage: Stage | None = Field(default=None, description="count only those who have not reached it")
    legal_status: tuple[LegalStatus, ...] = Field(default=(), description="empty: every legal status")
    measures: tuple[MeasureCode, ...] = Field(default=(), description="supported: course types or guidance kinds")
    recognition: tuple[RecognitionStatus, ...] = Field(
        default=APPLIED_FOR_RECOGNITION, description="recognition: the statuses that count as applied"
    )
    target: int | None = Field(default=None, ge=1)
    common: Literal["mile", "amif_esf"] = Field(description="MILE's own target or an EU common indicator")

    @model_validator(mode="after")
    def _stage_fits_measure(self) -> Self:
        if self.measure is Measure.REACHED_STAGE and self.stage is None:
            raise ValueError("a reached_stage indicator names its stage")
        if self.measure is not Measure.REACHED_STAGE and (self.stage or self.without_stage):
            raise ValueError(f"a {self.measure} indicator takes no stage")
        if (self.measure is Measure.SUPPORTED) != bool(self.measures):
            raise ValueError("measures are named by, and only by, a supported indicator")
        if self.measure is Measure.RECOGNITION and not self.recognition:
            raise ValueError("a recognition indicator names at least one status")
        if self.stage is not None and self.stage == self.without_stage:
            raise ValueError("stage and without_stage differ")
        return self


class IndicatorSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    indicators: tuple[Indicator, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Self:
        ids = [indicator.id for indicator in self.indicators]
        if len(ids) != len(set(ids)):
            raise ValueError("indicator ids are unique")
        return self

    def by_id(self, indicator_id: str) -> Indicator | None:
        return next((i for i in self.indicators if i.id == indicator_id), None)


def load_indicators(path: Path | None = None) -> IndicatorSet:
    """The definitions at ``path``, or the ones shipped with reporting; invalid ones stop the start."""
    text = path.read_text() if path else resources.files("mile_reporting").joinpath("indicators.yaml").read_text()
    return IndicatorSet.model_validate(yaml.safe_load(text))
