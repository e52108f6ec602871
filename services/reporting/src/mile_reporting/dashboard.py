"""The dashboard: one HTML page with server-side SVG charts, no scripts, no CDN (works offline).

Every figure carries ``data-table``/``data-category`` attributes so a browser test can read
exactly what people see and compare it with the JSON API.
"""

from html import escape

from mile_reporting.i18n import text
from mile_reporting.indicators import LANGUAGES
from mile_reporting.report import Cell, Figure, IndicatorReport, IndicatorTable, Outcomes, Trend, Trends

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


def _trend(trend: Trend, width: int = 400, height: int = 120) -> str:
    months = trend.months[-24:]
    table = f"trend:{trend.stage}"
    if not months:
        return f'<p data-table="{escape(table)}" data-category="total">{escape(trend.total.display)}</p>'
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
            f'<text x="{x:.1f}" y="{height - h - 4:.1f}" data-table="{escape(table)}"'
            f' data-category="{escape(month.category)}">'
            f"{escape(month.display)}</text>"
        )
        parts.append(f'<text x="{x:.1f}" y="{height + 16}">{escape(month.label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _outcomes(outcomes: Outcomes) -> str:
    """Training hours by course type, why training and placements ended early, follow-up coverage."""
    lang = outcomes.lang
    hours = [
        (
            h.category,
            h.label,
            Figure(value=h.hours, display=str(h.hours) if h.hours is not None else h.participants.display),
        )
        for h in outcomes.training_hours
    ]
    coverage = outcomes.follow_up_coverage
    states = [(c.category, c.label, Figure(value=c.value, display=c.display)) for c in coverage.states]
    percent = "" if coverage.recorded_percent is None else f"{coverage.recorded_percent:g} %"
    parts = [
        f"<h3>{escape(text('training_hours', lang))} ({escape(text('hours', lang))})</h3>",
        _bars(hours, table="training_hours", width=520, label_w=220) if hours else "<p>0</p>",
        f"<h3>{escape(text('training_drop_out_reasons', lang))}</h3>",
        _reasons(outcomes.training_drop_out_reasons, "training_drop_out_reasons"),
        f"<h3>{escape(text('drop_out_reasons', lang))}</h3>",
        _reasons(outcomes.drop_out_reasons, "drop_out_reasons"),
        f"<h3>{escape(text('follow_up_coverage', lang))}</h3>",
        f'<p>{escape(text("due", lang))}: <b data-table="follow_up_coverage" data-category="due">'
        f"{escape(coverage.due.display)}</b> — {escape(text('recorded_percent', lang))}: "
        f'<b data-table="follow_up_coverage" data-category="recorded_percent">{escape(percent or "–")}</b></p>',
        _bars(states, table="follow_up_coverage", width=520, label_w=220),
    ]
    return "".join(parts)


def _reasons(cells: list[Cell], table: str) -> str:
    if not cells:
        return "<p>0</p>"
    rows = [(c.category, c.label, Figure(value=c.value, display=c.display)) for c in cells]
    return _bars(rows, table=table, width=520, label_w=220)


def render(indicators: IndicatorReport, stages: IndicatorReport, outcomes: Outcomes, trends: Trends) -> str:
    lang = indicators.lang
    # A city's own dashboard shows its funnel even before its first event.
    cities = (
        [stages.city] if stages.city else sorted({cell.category for table in stages.indicators for cell in table.cells})
    )
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
    months = "".join(f"<div><h3>{escape(trend.label)}</h3>{_trend(trend)}</div>" for trend in trends.stages)
    links = "".join(f'<a href="?lang={code}" hreflang="{code}">{code}</a>' for code in LANGUAGES)
    title = text("title", lang) + (f" — {text(indicators.city, lang)}" if indicators.city else "")
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_STYLE}</style></head>
<body><h1>{escape(title)}</h1><nav>{links}</nav>
<section><h2>{escape(text("progress", lang))}</h2>{progress}
{_bars(common_rows, table="indicators", width=920, label_w=620)}</section>
<section><h2>{escape(text("funnel", lang))}</h2><div class="cities">{"".join(funnels)}</div></section>
<section><h2>{escape(text("outcomes", lang))}</h2>{_outcomes(outcomes)}</section>
<section><h2>{escape(text("trends", lang))}</h2><div class="cities">{months}</div></section>
<p class="note">{escape(text("suppressed", lang))}</p>
</body></html>"""
