"""Commands caseworkers send to placement (HTTP request bodies are these models).

Request models forbid unknown fields, so a client can never set what the server owns
(ids, state, the ``early`` flag) by adding it to a body.
"""

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from mile_placement.domain import reason_required
from mile_schemas import PlacementOutcome, ReasonCode, UtcDateTime


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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
