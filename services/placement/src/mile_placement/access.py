"""Who may do what in placement, and whose placements they see.

Roles decide what a caller may do; the token's ``site`` decides whose placements they
see: a placement belongs to its participant's city. Another city's placement or
follow-up is answered as absent (404), so its id cannot even be confirmed, and list
queries are confined to the caller's own city.
"""

import uuid
from typing import Annotated

from fastapi import Depends
from starlette.exceptions import HTTPException

from mile_platform.auth import Principal, Role, require_roles
from mile_platform.errors import NotFound

Reader = Annotated[
    Principal,
    Depends(require_roles(Role.CASEWORKER, Role.EMPLOYER_LIAISON, Role.PROGRAMME_MANAGER, Role.AUDITOR, Role.ADMIN)),
]
Writer = Annotated[Principal, Depends(require_roles(Role.CASEWORKER, Role.ADMIN))]
FeedbackGiver = Annotated[Principal, Depends(require_roles(Role.CASEWORKER, Role.EMPLOYER_LIAISON, Role.ADMIN))]


def own_city(principal: Principal, city: str | None) -> str:
    """The city a list query covers: the caller's own; naming another is refused."""
    if city is not None and city != principal.site:
        raise HTTPException(403, f"Forbidden: the token is for {principal.site}, not {city}")
    return principal.site


def require_own(principal: Principal, city: str | None, what: str, object_id: uuid.UUID) -> None:
    """An object of another city (or none at all) is not found."""
    if city is None or city != principal.site:
        raise NotFound(f"{what} {object_id} not found")
