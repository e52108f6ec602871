"""Who may read reporting, and which cities' figures they see.

Programme managers, auditors and admins read reporting. A token's ``site`` confines it to
that city's figures (asking for another city is refused); a token whose ``site`` is the
consortium's (``REPORTING_CONSORTIUM_SITE``, default ``consortium``) reads every city and
the totals. ``/healthz``, ``/readyz`` and ``/metrics`` stay open for the platform's probes.
"""

from typing import Annotated

from fastapi import Depends, Query, Request
from starlette.exceptions import HTTPException

from mile_platform.auth import Principal, Role, require_roles
from mile_platform.web import runtime_of
from mile_schemas import CitySlug

READER = require_roles(Role.PROGRAMME_MANAGER, Role.AUDITOR, Role.ADMIN)
"""The dependency every reporting route needs (FastAPI runs it once per request)."""
Reader = Annotated[Principal, Depends(READER)]


def visible_city(principal: Principal, city: str | None, consortium_site: str) -> str | None:
    """The city a request covers (None: every city and the total)."""
    if principal.site == consortium_site:
        return city
    if city is not None and city != principal.site:
        raise HTTPException(403, f"Forbidden: the token is for {principal.site}, not {city}")
    return principal.site


async def scoped_city(
    request: Request,
    principal: Reader,
    city: Annotated[
        CitySlug | None,
        Query(description="a partner city's slug; omit for every city and the total (a city's token: its own)"),
    ] = None,
) -> str | None:
    settings = runtime_of(request).settings
    return visible_city(principal, city, settings.consortium_site)  # type: ignore[attr-defined]  # reporting's own


City = Annotated[str | None, Depends(scoped_city)]
"""The city a request covers, as the caller may see it."""
