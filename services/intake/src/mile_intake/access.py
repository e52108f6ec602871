"""Who may do what at this city's intake, and the audit trail of personal-data access.

Roles decide what a caller may do; the token's ``site`` decides whose people they
may see. A participant of another city is answered as absent (404), so ids of
other cities' people cannot even be confirmed.
"""

import re
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, Request
from starlette.exceptions import HTTPException

from mile_intake import repository
from mile_platform.auth import Principal, Role, require_roles
from mile_platform.errors import NotFound

WRITERS = (Role.CASEWORKER, Role.ADMIN)
READERS = (Role.CASEWORKER, Role.ADMIN, Role.AUDITOR)
LISTERS = (Role.CASEWORKER, Role.ADMIN, Role.AUDITOR, Role.PROGRAMME_MANAGER)  # the list is pseudonymous
AUDITORS = (Role.AUDITOR,)

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


@dataclass(frozen=True)
class Actor:
    """The caller of one request, as the audit trail records them."""

    principal: Principal
    request_id: str


def _actor_with(*roles: Role) -> Callable[..., Coroutine[Any, Any, Actor]]:
    checked = require_roles(*roles)

    async def dependency(request: Request, principal: Annotated[Principal, Depends(checked)]) -> Actor:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        return Actor(principal, given if _REQUEST_ID.match(given) else str(uuid.uuid4()))

    return dependency


Writer = Annotated[Actor, Depends(_actor_with(*WRITERS))]
Reader = Annotated[Actor, Depends(_actor_with(*READERS))]
Lister = Annotated[Actor, Depends(_actor_with(*LISTERS))]
Auditor = Annotated[Actor, Depends(_actor_with(*AUDITORS))]


def require_city(actor: Actor, city: str) -> None:
    """Requests that name no participant: another city's token is refused outright."""
    if actor.principal.site != city:
        raise HTTPException(403, f"Forbidden: this intake serves {city}, the token is for {actor.principal.site}")


def require_participant_city(actor: Actor, city: str, participant_id: uuid.UUID) -> None:
    """Requests that name a participant: another city's token finds nobody."""
    if actor.principal.site != city:
        raise NotFound(f"participant {participant_id} not found")


async def audit(
    conn: asyncpg.Connection, actor: Actor, *, city: str, action: str, participant_id: uuid.UUID | None
) -> None:
    """Record an access in the caller's transaction: no change without its record."""
    await repository.insert_audit(
        conn,
        city=city,
        actor=actor.principal.subject,
        roles=sorted(actor.principal.roles),
        action=action,
        participant_id=participant_id,
        request_id=actor.request_id,
    )
