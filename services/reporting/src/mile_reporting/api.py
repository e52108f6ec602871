"""Reporting's HTTP API: thin, reads the projections through views."""

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import HTMLResponse

from mile_platform.web import runtime_of
from mile_reporting import dashboard, exports, report, views
from mile_reporting.i18n import choose_language
from mile_reporting.indicators import IndicatorSet
from mile_reporting.report import Breakdown, IndicatorReport, Outcomes, Period, Trend
from mile_reporting.settings import ReportingSettings
from mile_reporting.views import CityFunnel, FunnelOverview
from mile_schemas import CitySlug

router = APIRouter(prefix="/reports", tags=["reports"])

CityQuery = Annotated[CitySlug | None, Query(description="a partner city's slug; omit for every city and the total")]
PeriodQuery = Annotated[
    str | None, Query(pattern=report.PERIOD_PATTERN, description="a year (2026) or month (2026-03); omit for all time")
]
LangQuery = Annotated[str | None, Query(description="en, it, es, de or el; else Accept-Language decides")]
BreakdownQuery = Annotated[Breakdown, Query(description="the cells of each table")]


@router.get("/funnel", response_model=CityFunnel | FunnelOverview)
async def funnel(request: Request, city: CityQuery = None) -> CityFunnel | FunnelOverview:
    """Distinct participants who reached each stage: registered, matched, placed, completed (exact counts).

    The indicators (``/reports/indicators``) are the suppressed figures for publication.
    """
    async with runtime_of(request).db().acquire() as conn:
        if city is None:
            return await views.funnel_overview(conn)
        return await views.city_funnel(conn, city)


@router.get("/indicators", response_model=IndicatorReport)
async def indicators(
    request: Request,
    period: PeriodQuery = None,
    city: CityQuery = None,
    breakdown: BreakdownQuery = "city",
    lang: LangQuery = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> IndicatorReport:
    """Every configured indicator for ``period`` and ``city``, by ``breakdown``, small cells suppressed."""
    return await indicator_report(request, period, city, breakdown, choose_language(lang, accept_language))


@router.get("/indicators.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
async def indicators_csv(
    request: Request,
    period: PeriodQuery = None,
    city: CityQuery = None,
    breakdown: BreakdownQuery = "city",
    lang: LangQuery = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> Response:
    """The indicator tables as CSV: the same suppressed figures as the JSON."""
    body = await indicator_report(request, period, city, breakdown, choose_language(lang, accept_language))
    return Response(
        exports.to_csv(body),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="mile-indicators.csv"'},
    )


@router.get("/indicators.xlsx", response_class=Response, responses={200: {"content": {exports.XLSX_MEDIA_TYPE: {}}}})
async def indicators_xlsx(
    request: Request,
    period: PeriodQuery = None,
    city: CityQuery = None,
    breakdown: BreakdownQuery = "city",
    lang: LangQuery = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> Response:
    """The indicator tables as an Excel workbook: the same suppressed figures as the JSON."""
    body = await indicator_report(request, period, city, breakdown, choose_language(lang, accept_language))
    return Response(
        exports.to_xlsx(body),
        media_type=exports.XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="mile-indicators.xlsx"'},
    )


@router.get("/stages", response_model=IndicatorReport)
async def stages(
    request: Request,
    period: PeriodQuery = None,
    city: CityQuery = None,
    breakdown: BreakdownQuery = "city",
    lang: LangQuery = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> IndicatorReport:
    """The full funnel (registered → … → employed at 6 months) as suppressed tables, one per stage."""
    language = choose_language(lang, accept_language)
    return await indicator_report(request, period, city, breakdown, language, report.stage_indicators())


@router.get("/outcomes", response_model=Outcomes)
async def outcomes(
    request: Request,
    period: PeriodQuery = None,
    city: CityQuery = None,
    lang: LangQuery = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> Outcomes:
    """Days from registration to placement (median, 90th percentile) and drop-out reasons, suppressed."""
    runtime = runtime_of(request)
    settings: ReportingSettings = runtime.settings  # type: ignore[assignment]  # reporting's own
    async with runtime.db().acquire() as conn:
        return await report.outcomes(
            conn,
            period=Period.parse(period),
            city=city,
            threshold=settings.suppression_threshold,
            lang=choose_language(lang, accept_language),
        )


@router.get("/trend", response_model=Trend)
async def trend(
    request: Request, lang: LangQuery = None, accept_language: Annotated[str | None, Header()] = None
) -> Trend:
    """Registrations per month, all cities together, suppressed."""
    runtime = runtime_of(request)
    settings: ReportingSettings = runtime.settings  # type: ignore[assignment]  # reporting's own
    async with runtime.db().acquire() as conn:
        return await report.registration_trend(
            conn, threshold=settings.suppression_threshold, lang=choose_language(lang, accept_language)
        )


@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard_page(
    request: Request, lang: LangQuery = None, accept_language: Annotated[str | None, Header()] = None
) -> HTMLResponse:
    """Funnel per city, progress against targets, registrations by month: the API's figures, drawn."""
    language = choose_language(lang, accept_language)
    indicators = await indicator_report(request, None, None, "city", language)
    funnel_tables = await indicator_report(request, None, None, "city", language, report.stage_indicators())
    months = await trend(request, language)
    return HTMLResponse(dashboard.render(indicators, funnel_tables, months), headers={"Content-Language": language})


async def indicator_report(
    request: Request,
    period: str | None,
    city: str | None,
    breakdown: Breakdown,
    lang: str,
    definitions: IndicatorSet | None = None,
) -> IndicatorReport:
    runtime = runtime_of(request)
    settings: ReportingSettings = runtime.settings  # type: ignore[assignment]  # reporting's own
    definitions = definitions or request.app.state.indicators
    async with runtime.db().acquire() as conn:
        return await report.indicator_report(
            conn,
            definitions,
            period=Period.parse(period),
            city=city,
            breakdown=breakdown,
            threshold=settings.suppression_threshold,
            lang=lang,
        )
