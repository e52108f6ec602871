"""Reporting's HTTP API: thin, reads the projections through views."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from mile_platform.web import runtime_of
from mile_reporting import views
from mile_reporting.views import CityFunnel, FunnelOverview
from mile_schemas import CitySlug

router = APIRouter(prefix="/reports", tags=["reports"])

CityQuery = Annotated[CitySlug | None, Query(description="a partner city's slug; omit for every city and the total")]


@router.get("/funnel", response_model=CityFunnel | FunnelOverview)
async def funnel(request: Request, city: CityQuery = None) -> CityFunnel | FunnelOverview:
    """Distinct participants who reached each stage: registered, matched, placed, completed.

    The numbers are exact for now; small-cell suppression (DESIGN §4, threshold 5) comes
    with the indicators issue and will apply here too.
    """
    async with runtime_of(request).db().acquire() as conn:
        if city is None:
            return await views.funnel_overview(conn)
        return await views.city_funnel(conn, city)
