"""The dashboard: one HTML page with server-side SVG charts, no scripts, no CDN (works offline).

Every figure carries ``data-table``/``data-category`` attributes so a browser test can read
exactly what people see and compare it with the JSON API.
"""

from html import escape

from mile_reporting.i18n import text
from mile_reporting.indicators import LANGUAGES
from mile_reporting.report import Figure, IndicatorReport, IndicatorTable, Trend

_ZERO = Figure(value=0, display="0")
_BAR = "#2f6db5"
_TARGET = "#d98c1f"
_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1d2733;background:#f7f8fa}
h1{font-size:1.5rem;margin:0 0 .25rem} h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
section{background:#fff;border:1px solid #dde2e8;border-radius:8px;padding:1rem;margin-bottom:1rem}
.cities{display:grid;grid-template-columns:repeat(auto-fill,minmax(410px,1fr));gap:1rem}
.note{color:#5a6572;font-size:.85rem} nav a{margin-right:.6rem}
svg text{font-size:12px;fill:#1d2733}
"""


def _value(figure: Figure) -> float:
    return float(figure.value or 0)


def _bars(rows: list[tuple[str, str, Figure]], *, table: str, width: int = 320, label_w: int = 130) -> str:
    """Horizontal bars: label, bar, displayed figure. Hidden figures get no bar."""
    top = max((_value(f) for _, _, f in rows), default=0) or 1
    bar_w, row_h = width - label_w - 40, 22
    parts = [f'<svg role="img" width="{width}" height="{row_h * len(rows) + 4}" aria-label="{escape(table)}">']
    for i, (category, label, figure) in enumerate(rows):
        y = i * row_h + 2
        length = bar_w * _value(figure) / top
        parts.append(f'<text x="0" y="{y + 15}">{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{length:.1f}" height="15" fill="{_BAR}"/>')
        parts.append(
            f'<text x="{label_w + length + 4:.1f}" y="{y + 15}" data-table="{escape(table)}"'
            f' data-category="{escape(category)}">{escape(figure.display)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _progress(table: IndicatorTable, width: int = 520) -> str:
    """Bar of the total against the target, with the target marked."""
    target = table.target or 1
    scale = (width - 60) / max(target, _value(table.total))
    length = _value(table.total) * scale
    mark = target * scale
    return (
        f'<svg role="img" width="{width}" height="26" aria-label="{escape(table.label)}">'
        f'<rect x="0" y="4" width="{mark:.1f}" height="16" fill="#e9edf2"/>'
        f'<rect x="0" y="4" width="{length:.1f}" height="16" fill="{_BAR}"/>'
        f'<line x1="{mark:.1f}" x2="{mark:.1f}" y1="0" y2="24" stroke="{_TARGET}" stroke-width="2"/>'
        f'<text x="{width - 55}" y="17" data-table="{escape(table.id)}" data-category="total">'
        f"{escape(table.total.display)}</text></svg>"
    )


def _trend(trend: Trend, width: int = 640, height: int = 160) -> str:
    months = trend.months[-24:]
    if not months:
        return "<p>0</p>"
    top = max(_value(m) for m in months) or 1
    step = min(48.0, (width - 20) / len(months))
    parts = [f'<svg role="img" width="{width}" height="{height + 40}" aria-label="{escape(trend.label)}">']
    for i, month in enumerate(months):
        h = (height - 20) * _value(month) / top
        x = 10 + i * step
        parts.append(
            f'<rect x="{x:.1f}" y="{height - h:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" fill="{_BAR}"/>'
        )
        parts.append(
            f'<text x="{x:.1f}" y="{height - h - 4:.1f}" data-table="trend" data-category="{escape(month.category)}">'
            f"{escape(month.display)}</text>"
        )
        parts.append(f'<text x="{x:.1f}" y="{height + 16}">{escape(month.label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def render(indicators: IndicatorReport, stages: IndicatorReport, trend: Trend) -> str:
    lang = indicators.lang
    cities = sorted({cell.category for table in stages.indicators for cell in table.cells})
    targets = [t for t in indicators.indicators if t.target]
    others = [t for t in indicators.indicators if not t.target]
    funnels = []
    for city in cities:
        rows = [
            (table.id, table.label, next((c for c in table.cells if c.category == city), _ZERO))
            for table in stages.indicators
        ]
        chart = _bars(rows, table=f"funnel:{city}", width=400, label_w=200)
        funnels.append(f"<div><h3>{escape(text(city, lang))}</h3>{chart}</div>")
    progress = "".join(
        f"<p>{escape(t.label)} — {escape(text('target', lang))}: {t.target}</p>{_progress(t)}" for t in targets
    )
    common_rows = [(t.id, t.label, t.total) for t in others]
    links = "".join(f'<a href="?lang={code}" hreflang="{code}">{code}</a>' for code in LANGUAGES)
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{escape(text("title", lang))}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_STYLE}</style></head>
<body><h1>{escape(text("title", lang))}</h1><nav>{links}</nav>
<section><h2>{escape(text("progress", lang))}</h2>{progress}
{_bars(common_rows, table="indicators", width=820, label_w=520)}</section>
<section><h2>{escape(text("funnel", lang))}</h2><div class="cities">{"".join(funnels)}</div></section>
<section><h2>{escape(trend.label)}</h2>{_trend(trend)}</section>
<p class="note">{escape(text("suppressed", lang))}</p>
</body></html>"""
