"""Who may do what in matching, and which city's objects they manage.

Employer liaisons (and admins) manage their own city's employers and vacancies; caseworkers
(and admins) decide on proposals for their own city's participants; programme managers and
admins run batch assignments. Another city's employer, vacancy or proposal is answered as
absent (404), so its id cannot even be confirmed.
"""

from typing import Annotated

from fastapi import Depends
from starlette.exceptions import HTTPException

from mile_platform.auth import Principal, Role, require_roles

Liaison = Annotated[Principal, Depends(require_roles(Role.EMPLOYER_LIAISON, Role.ADMIN))]
Decider = Annotated[Principal, Depends(require_roles(Role.CASEWORKER, Role.ADMIN))]
Planner = Annotated[Principal, Depends(require_roles(Role.PROGRAMME_MANAGER, Role.ADMIN))]
Reader = Annotated[
    Principal,
    Depends(require_roles(Role.EMPLOYER_LIAISON, Role.CASEWORKER, Role.PROGRAMME_MANAGER, Role.AUDITOR, Role.ADMIN)),
]


def require_own_city(principal: Principal, city: str) -> None:
    """A body naming another city than the token's is refused."""
    if city != principal.site:
        raise HTTPException(403, f"Forbidden: the token is for {principal.site}, not {city}")
