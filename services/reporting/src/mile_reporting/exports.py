"""Every indicator table as CSV or XLSX, with the same (suppressed) figures and labels as the API."""

import csv
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from mile_reporting.i18n import text
from mile_reporting.report import IndicatorReport, Outcomes

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


Row = list[str | int | float | None]


def _rows(*reports: IndicatorReport) -> list[Row]:
    lang = reports[0].lang
    header: Row = [
        "indicator",
        text("indicator", lang),
        "category",
        text("category", lang),
        text("value", lang),
        text("target", lang),
    ]
    rows = [header]
    for table in (table for report in reports for table in report.indicators):
        rows.append([table.id, table.label, "total", text("total", lang), table.total.display, table.target])
        rows.extend([table.id, table.label, cell.category, cell.label, cell.display, None] for cell in table.cells)
    return rows


def _outcome_rows(outcomes: Outcomes) -> list[Row]:
    """The outcomes as (table, category, label, participants or follow-ups, extra) rows."""
    lang = outcomes.lang
    timing = outcomes.registration_to_placement
    rows: list[Row] = [
        ["section", "category", text("category", lang), text("value", lang), "hours / days / %"],
        ["registration_to_placement", "median_days", "", timing.participants.display, timing.median_days],
        ["registration_to_placement", "p90_days", "", timing.participants.display, timing.p90_days],
    ]
    rows += [["drop_out_reasons", c.category, c.label, c.display, None] for c in outcomes.drop_out_reasons]
    rows += [["training_hours", h.category, h.label, h.participants.display, h.hours] for h in outcomes.training_hours]
    rows += [
        ["training_drop_out_reasons", c.category, c.label, c.display, None] for c in outcomes.training_drop_out_reasons
    ]
    coverage = outcomes.follow_up_coverage
    rows.append(["follow_up_coverage", "due", text("due", lang), coverage.due.display, coverage.recorded_percent])
    rows += [["follow_up_coverage", c.category, c.label, c.display, None] for c in coverage.states]
    return rows


def to_csv(report: IndicatorReport, stages: IndicatorReport) -> str:
    """Figures as displayed ("<5" and "*" included), so a spreadsheet cannot show more than the API."""
    out = io.StringIO()
    csv.writer(out).writerows(_rows(report, stages))
    return out.getvalue()


def to_xlsx(report: IndicatorReport, stages: IndicatorReport, outcomes: Outcomes) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = text("indicator", report.lang)[:31]
    meta = [
        ["period", report.period or "all"],
        ["city", report.city or "all"],
        ["breakdown", report.breakdown],
        [text("suppressed", report.lang)],
    ]
    for row in meta:
        sheet.append(row)
    sheet.append([])
    _table(sheet, _rows(report, stages), (24, 60, 20, 28, 14, 10))
    _table(workbook.create_sheet(text("outcomes", report.lang)[:31]), _outcome_rows(outcomes), (28, 24, 36, 14, 16))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _table(sheet: Any, rows: list[Row], widths: tuple[int, ...]) -> None:
    sheet.append(rows[0])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in rows[1:]:
        # Shown figures are numbers where they are numbers, so spreadsheets can sum them.
        sheet.append([int(v) if isinstance(v, str) and v.isdigit() else v for v in row])
    for column, width in zip("ABCDEF", widths, strict=False):
        sheet.column_dimensions[column].width = width
