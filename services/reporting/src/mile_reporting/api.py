"""Reporting's HTTP API: thin, reads the projections through views; every route needs a reader's token."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import HTMLResponse

from mile_platform.web import runtime_of
from mile_reporting import dashboard, exports, report, views
from mile_reporting.access import READER, City
from mile_reporting.domain import Stage
from mile_reporting.i18n import choose_language
from mile_reporting.indicators import IndicatorSet
from mile_reporting.report import Breakdown, IndicatorReport, Outcomes, Period, Trend, Trends
from mile_reporting.settings import ReportingSettings
from mile_reporting.views import CityFunnel, FunnelOverview

router = APIRouter(prefix="/reports", tags=["reports"], dependencies=[Depends(READER)])

PeriodQuery = Annotated[
    str | None, Query(pattern=report.PERIOD_PATTERN, description="a year (2026) or month (2026-03); omit for all time")
]
BreakdownQuery = Annotated[Breakdown, Query(description="the cells of each table")]


def _language(
    lang: Annotated[str | None, Query(description="en, it, es, de or el; else Accept-Language decides")] = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> str:
    return choose_language(lang, accept_language)


Language = Annotated[str, Depends(_language)]


def _settings(request: Request) -> ReportingSettings:
    return runtime_of(request).settings  # type: ignore[return-value]  # reporting's own


@router.get("/funnel", response_model=CityFunnel | FunnelOverview)
async def funnel(request: Request, city: City) -> CityFunnel | FunnelOverview:
    """Distinct participants who reached each stage: registered, matched, placed, completed (exact counts).

    The indicators (``/reports/indicators``) are the suppressed figures for publication.
    """
    async with runtime_of(request).db().acquire() as conn:
        if city is None:
            return await views.funnel_overview(conn)
        return await views.city_funnel(conn, city)


@router.get("/indicators", response_model=IndicatorReport)
async def indicators(
    request: Request, city: City, lang: Language, period: PeriodQuery = None, breakdown: BreakdownQuery = "city"
) -> IndicatorReport:
    """Every configured indicator for ``period`` and ``city``, by ``breakdown``, small cells suppressed."""
    return await indicator_report(request, period, city, breakdown, lang)


@router.get("/indicators.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
async def indicators_csv(
    request: Request, city: City, lang: Language, period: PeriodQuery = None, breakdown: BreakdownQuery = "city"
) -> Response:
    """The indicator tables and the full funnel as CSV: the same suppressed figures as the JSON."""
    body = await indicator_report(request, period, city, breakdown, lang)
    stage_tables = await indicator_report(request, period, city, breakdown, lang, report.stage_indicators())
    return Response(
        exports.to_csv(body, stage_tables),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="mile-indicators.csv"'},
    )


@router.get("/indicators.xlsx", response_class=Response, responses={200: {"content": {exports.XLSX_MEDIA_TYPE: {}}}})
async def indicators_xlsx(
    request: Request, city: City, lang: Language, period: PeriodQuery = None, breakdown: BreakdownQuery = "city"
) -> Response:
    """The indicator tables, the full funnel and the outcomes as an Excel workbook: the same figures as the JSON."""
    body = await indicator_report(request, period, city, breakdown, lang)
    stage_tables = await indicator_report(request, period, city, breakdown, lang, report.stage_indicators())
    results = await outcomes(request, city, lang, period)
    return Response(
        exports.to_xlsx(body, stage_tables, results),
        media_type=exports.XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="mile-indicators.xlsx"'},
    )


@router.get("/stages", response_model=IndicatorReport)
async def stages(
    request: Request, city: City, lang: Language, period: PeriodQuery = None, breakdown: BreakdownQuery = "city"
) -> IndicatorReport:
    """The full funnel (registered → assessed → in training → trained → … → employed at 6 months), suppressed."""
    return await indicator_report(request, period, city, breakdown, lang, report.stage_indicators())


@router.get("/outcomes", response_model=Outcomes)
async def outcomes(request: Request, city: City, lang: Language, period: PeriodQuery = None) -> Outcomes:
    """Days from registration to placement (median, p90), drop-out reasons of placements and training,
    training hours by course type and follow-up coverage; suppressed."""
    async with runtime_of(request).db().acquire() as conn:
        return await report.outcomes(
            conn, period=Period.parse(period), city=city, threshold=_settings(request).suppression_threshold, lang=lang
        )


@router.get("/trend", response_model=Trend)
async def trend(
    request: Request,
    city: City,
    lang: Language,
    stage: Annotated[Stage, Query(description="the funnel stage counted by month")] = Stage.REGISTERED,
) -> Trend:
    """Participants first reaching ``stage`` per month (registrations unless told), suppressed."""
    return (await trends(request, city, lang, (stage,))).stages[0]


@router.get("/trends", response_model=Trends)
async def all_trends(request: Request, city: City, lang: Language) -> Trends:
    """Every funnel stage by month, suppressed."""
    return await trends(request, city, lang)


@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard_page(request: Request, city: City, lang: Language) -> HTMLResponse:
    """Funnel per city, progress against targets, outcomes and every stage by month: the API's figures, drawn."""
    indicator_tables = await indicator_report(request, None, city, "city", lang)
    funnel_tables = await indicator_report(request, None, city, "city", lang, report.stage_indicators())
    results = await outcomes(request, city, lang)
    months = await trends(request, city, lang)
    return HTMLResponse(
        dashboard.render(indicator_tables, funnel_tables, results, months), headers={"Content-Language": lang}
    )


async def trends(request: Request, city: str | None, lang: str, stages: tuple[Stage, ...] = tuple(Stage)) -> Trends:
    async with runtime_of(request).db().acquire() as conn:
        return await report.stage_trends(
            conn, city=city, threshold=_settings(request).suppression_threshold, lang=lang, stages=stages
        )


async def indicator_report(
    request: Request,
    period: str | None,
    city: str | None,
    breakdown: Breakdown,
    lang: str,
    definitions: IndicatorSet | None = None,
) -> IndicatorReport:
    definitions = definitions or request.app.state.indicators
    async with runtime_of(request).db().acquire() as conn:
        return await report.indicator_report(
            conn,
            definitions,
            period=Period.parse(period),
            city=city,
            breakdown=breakdown,
            threshold=_settings(request).suppression_threshold,
            lang=lang,
        )
