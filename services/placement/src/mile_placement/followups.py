"""Pure rules of follow-ups: when they fall due, when they are missed, what a record must hold.

    scheduled --(due_at passes)--> due --record--> recorded
                                   due --(window_closes_at passes)--> missed
    scheduled | due --(participant erased)--> withdrawn

Follow-ups are planned only when a placement ends (never for a cancelled one), at offsets in
months after the end; their ids derive from the placement and offset, so planning twice
plans the same rows.
"""

import calendar
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from mile_placement.domain import Placement, PlacementState
from mile_platform.errors import Conflict, DomainError
from mile_schemas import ContractType, FollowUpDue, FollowUpMissed, FollowUpRecorded, HoursBand

FOLLOW_UP_NAMESPACE = uuid.UUID("5d3b0c3e-0f0e-4f7a-9d55-6a1c2b7e4f10")
DEFAULT_OFFSETS_MONTHS = (1, 3, 6, 12)


class FollowUpState(StrEnum):
    SCHEDULED = "scheduled"
    DUE = "due"
    RECORDED = "recorded"
    MISSED = "missed"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class Outcome:
    """Where the participant stands at a follow-up."""

    employed: bool
    same_employer: bool | None
    contract_type: ContractType | None
    hours_band: HoursBand | None
    in_education_or_training: bool


@dataclass(frozen=True)
class FollowUp:
    follow_up_id: uuid.UUID
    placement: Placement
    offset_months: int
    due_at: datetime
    window_closes_at: datetime
    state: FollowUpState = FollowUpState.SCHEDULED


def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` later, or the month's last day when it is shorter (31 Jan + 1 = 28/29 Feb)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def plan(placement: Placement, offsets_months: tuple[int, ...], window: timedelta) -> list[FollowUp]:
    """The follow-ups of a placement that just ended; none for a cancelled or running one."""
    if placement.state is not PlacementState.ENDED or placement.ended_at is None:
        return []
    follow_ups = []
    for offset in sorted(set(offsets_months)):
        due_at = add_months(placement.ended_at, offset)
        follow_ups.append(
            FollowUp(
                follow_up_id=uuid.uuid5(FOLLOW_UP_NAMESPACE, f"{placement.placement_id}:{offset}"),
                placement=placement,
                offset_months=offset,
                due_at=due_at,
                window_closes_at=due_at + window,
            )
        )
    return follow_ups


def fall_due(follow_up: FollowUp, now: datetime) -> tuple[FollowUp, FollowUpDue]:
    if follow_up.state is not FollowUpState.SCHEDULED or now < follow_up.due_at:
        raise Conflict(f"follow-up {follow_up.follow_up_id} is {follow_up.state.value} and cannot fall due")
    return replace(follow_up, state=FollowUpState.DUE), FollowUpDue(
        **_identity(follow_up), due_at=follow_up.due_at, window_closes_at=follow_up.window_closes_at
    )


def miss(follow_up: FollowUp, now: datetime) -> tuple[FollowUp, FollowUpMissed]:
    if follow_up.state is not FollowUpState.DUE or now < follow_up.window_closes_at:
        raise Conflict(f"follow-up {follow_up.follow_up_id} is {follow_up.state.value} and cannot be missed")
    return replace(follow_up, state=FollowUpState.MISSED), FollowUpMissed(
        **_identity(follow_up), due_at=follow_up.due_at, missed_at=follow_up.window_closes_at
    )


def record(follow_up: FollowUp, outcome: Outcome, recorded_at: datetime) -> tuple[FollowUp, FollowUpRecorded]:
    """Only a due follow-up is recorded: before it falls due there is nothing to ask yet."""
    if follow_up.state is not FollowUpState.DUE:
        allowed = "none until it falls due" if follow_up.state is FollowUpState.SCHEDULED else "none (final state)"
        raise Conflict(f"follow-up {follow_up.follow_up_id} is {follow_up.state.value}; allowed: {allowed}")
    check_outcome(outcome)
    return replace(follow_up, state=FollowUpState.RECORDED), FollowUpRecorded(
        **_identity(follow_up),
        employed=outcome.employed,
        same_employer=outcome.same_employer,
        contract_type=outcome.contract_type,
        hours_band=outcome.hours_band,
        in_education_or_training=outcome.in_education_or_training,
        recorded_at=recorded_at,
    )


def check_outcome(outcome: Outcome) -> None:
    """Employment details belong to someone employed, and only to them."""
    details = {
        "same_employer": outcome.same_employer,
        "contract_type": outcome.contract_type,
        "hours_band": outcome.hours_band,
    }
    for field, value in details.items():
        if outcome.employed and value is None:
            raise DomainError(f"{field}: required when employed")
        if not outcome.employed and value is not None:
            raise DomainError(f"{field}: only given when employed")


def _identity(follow_up: FollowUp) -> dict[str, Any]:
    placement = follow_up.placement
    return {
        "placement_id": placement.placement_id,
        "match_id": placement.match_id,
        "vacancy_id": placement.vacancy_id,
        "participant_id": placement.participant_id,
        "city": placement.city,
        "follow_up_id": follow_up.follow_up_id,
        "offset_months": follow_up.offset_months,
    }
