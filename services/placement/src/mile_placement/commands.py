"""Commands caseworkers and employer liaisons send to placement (HTTP request bodies are these models).

Request models forbid unknown fields, so a client can never set what the server owns
(ids, state, the ``early`` flag) by adding it to a body.
"""

import uuid
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

from mile_placement.domain import reason_required
from mile_schemas import ContractType, HoursBand, PlacementOutcome, ReasonCode, UtcDateTime, VacancyKind


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _unique(values: tuple[str, ...]) -> tuple[str, ...]:
    if len(set(values)) != len(values):
        raise ValueError("codes must not repeat")
    return values


Codes = Annotated[tuple[ReasonCode, ...], Field(max_length=20), AfterValidator(_unique)]
Rating = Annotated[int, Field(ge=1, le=5, description="1 (poor) to 5 (excellent)")]


class ConfirmPlacement(Strict):
    kind: VacancyKind | None = Field(default=None, description="default: the vacancy's kind")
    contract_type: ContractType
    start_date: date
    weekly_hours: float = Field(gt=0, le=60)
    tutor_ref: uuid.UUID | None = Field(
        default=None, description="pseudonymous reference the city's frontend resolves to its tutor"
    )


class StartPlacement(Strict):
    started_at: UtcDateTime | None = Field(default=None, description="when the participant started; default now")


class EndPlacement(Strict):
    outcome: PlacementOutcome = Field(description="`cancelled` only for a placement that never started")
    reason: ReasonCode | None = Field(
        default=None,
        validate_default=True,
        description="snake_case reason code, required for dropped_out and ended_by_employer",
    )
    ended_at: UtcDateTime | None = Field(default=None, description="when the placement ended; default now")

    @field_validator("reason")
    @classmethod
    def _reason_when_required(cls, reason: str | None, info: ValidationInfo) -> str | None:
        """Refused here too, so the 422 names the field before any database work."""
        outcome = info.data.get("outcome")
        if reason is None and outcome is not None and reason_required(outcome):
            raise ValueError(f"a reason code is required when the outcome is {outcome.value}")
        return reason


class RecordTutoringSession(Strict):
    held_on: date
    tutor_ref: uuid.UUID = Field(description="pseudonymous reference the city's frontend resolves to its tutor")
    topics: Codes = Field(default=(), description="snake_case topic codes (workplace_safety...)")
    issues_raised: Codes = Field(default=(), description="snake_case issue codes (commute_time...)")


class GiveFeedback(Strict):
    """The employer's view of the participant: ratings travel nowhere, the note never leaves placement."""

    punctuality: Rating
    teamwork: Rating
    technical_skills: Rating
    language: Rating
    would_hire: bool
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


_WHEN_EMPLOYED = "required when employed, refused otherwise"


class RecordFollowUp(Strict):
    employed: bool
    same_employer: bool | None = Field(default=None, validate_default=True, description=_WHEN_EMPLOYED)
    contract_type: ContractType | None = Field(default=None, validate_default=True, description=_WHEN_EMPLOYED)
    hours_band: HoursBand | None = Field(default=None, validate_default=True, description=_WHEN_EMPLOYED)
    in_education_or_training: bool

    @field_validator("same_employer", "contract_type", "hours_band")
    @classmethod
    def _only_when_employed(cls, value: object, info: ValidationInfo) -> object:
        employed = info.data.get("employed")
        if employed is True and value is None:
            raise ValueError("required when employed")
        if employed is False and value is not None:
            raise ValueError("only given when employed")
        return value
