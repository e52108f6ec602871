"""Every indicator table as CSV or XLSX, with the same (suppressed) figures and labels as the API."""

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font

from mile_reporting.i18n import text
from mile_reporting.report import IndicatorReport

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _rows(report: IndicatorReport) -> list[list[str | int | None]]:
    lang = report.lang
    header: list[str | int | None] = [
        "indicator",
        text("indicator", lang),
        "category",
        text("category", lang),
        text("value", lang),
        text("target", lang),
    ]
    rows = [header]
    for table in report.indicators:
        rows.append([table.id, table.label, "total", text("total", lang), table.total.display, table.target])
        rows.extend([table.id, table.label, cell.category, cell.label, cell.display, None] for cell in table.cells)
    return rows


def to_csv(report: IndicatorReport) -> str:
    """Figures as displayed ("<5" and "*" included), so a spreadsheet cannot show more than the API."""
    out = io.StringIO()
    csv.writer(out).writerows(_rows(report))
    return out.getvalue()


def to_xlsx(report: IndicatorReport) -> bytes:
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
    rows = _rows(report)
    sheet.append(rows[0])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in rows[1:]:
        # Shown figures are numbers where they are numbers, so spreadsheets can sum them.
        sheet.append([int(v) if isinstance(v, str) and v.isdigit() else v for v in row])
    for column, width in zip("ABCDEF", (24, 60, 20, 28, 14, 10), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
