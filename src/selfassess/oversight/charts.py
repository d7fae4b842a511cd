"""The share of services rated good or better, quarter by quarter: two lines on one inline SVG,
drawn the way comparison/charts.py draws its charts (role="img", title and description pointing to
the table beside it, series told apart by dash pattern and marker shape as well as colour)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

from selfassess.comparison.charts import (
    GUIDE_COLOUR,
    OFFICER_COLOUR,
    SELF_COLOUR,
    TEXT_COLOUR,
    svg_number,
    svg_open,
    svg_polyline,
    svg_text,
)
from selfassess.oversight.trend import QuarterFigures

COUNCIL_NAME = "Council ratings"
REGULATOR_NAME = "Regulator (CQC) ratings"
COUNCIL_COLOUR = OFFICER_COLOUR  # solid line, filled circles
REGULATOR_COLOUR = SELF_COLOUR  # dashed line, hollow squares

WIDTH = 720
LEFT = 50
PLOT_WIDTH = 640
TOP = 36
PLOT_HEIGHT = 200
AXIS_HEIGHT = 30


def _x(index: int, count: int) -> float:
    return LEFT + PLOT_WIDTH * (index + 0.5) / count


def _y(percent: float) -> float:
    return TOP + PLOT_HEIGHT * (100 - percent) / 100


def share_chart(
    labels: Sequence[str],
    council: Sequence[int | None],
    regulator: Sequence[int | None] | None,
    *,
    chart_id: str,
    title: str,
    description: str,
) -> Markup:
    """Quarters oldest first; a quarter with nothing rated has no point. Years are written under
    their first quarter, and the first and last point of each line carry their percentage."""
    count = max(len(labels), 1)
    right = LEFT + PLOT_WIDTH
    parts = [svg_open(chart_id, WIDTH, TOP + PLOT_HEIGHT + AXIS_HEIGHT, title, description)]
    parts.append(
        f'<line x1="{LEFT}" y1="12" x2="{LEFT + 28}" y2="12" stroke="{COUNCIL_COLOUR}" stroke-width="2"/>'
    )
    parts.append(f'<circle cx="{LEFT + 14}" cy="12" r="4" fill="{COUNCIL_COLOUR}"/>')
    parts.append(svg_text(LEFT + 36, 16, COUNCIL_NAME))
    if regulator is not None:
        parts.append(
            f'<line x1="{LEFT + 200}" y1="12" x2="{LEFT + 228}" y2="12" stroke="{REGULATOR_COLOUR}" '
            'stroke-width="2" stroke-dasharray="6 4"/>'
        )
        parts.append(
            f'<rect x="{LEFT + 210}" y="8" width="8" height="8" fill="#ffffff" stroke="{REGULATOR_COLOUR}" '
            'stroke-width="2"/>'
        )
        parts.append(svg_text(LEFT + 236, 16, REGULATOR_NAME))
    for percent in (0, 25, 50, 75, 100):
        y = _y(percent)
        parts.append(svg_text(LEFT - 6, y + 4, f"{percent}%", size=11, anchor="end"))
        colour, dash = (TEXT_COLOUR, "") if percent == 0 else (GUIDE_COLOUR, ' stroke-dasharray="4 3"')
        parts.append(
            f'<line x1="{LEFT}" y1="{svg_number(y)}" x2="{right}" y2="{svg_number(y)}" stroke="{colour}" '
            f'stroke-width="1"{dash}/>'
        )
    lines = [(council, COUNCIL_COLOUR, False)]
    if regulator is not None:
        lines.append((regulator, REGULATOR_COLOUR, True))
    for values, colour, dashed in lines:
        points = [(i, _x(i, count), _y(value)) for i, value in enumerate(values) if value is not None]
        parts.append(svg_polyline([(x, y) for _, x, y in points], colour, dashed))
        for _, x, y in points:
            if dashed:
                parts.append(
                    f'<rect x="{svg_number(x - 4)}" y="{svg_number(y - 4)}" width="8" height="8" '
                    f'fill="#ffffff" stroke="{colour}" stroke-width="2"/>'
                )
            else:
                parts.append(f'<circle cx="{svg_number(x)}" cy="{svg_number(y)}" r="4" fill="{colour}"/>')
        for index, x, y in points[:1] + points[-1:] if len(points) > 1 else points:
            parts.append(
                svg_text(x, y + 18 if dashed else y - 9, f"{values[index]}%", size=11, anchor="middle")
            )
    for index, label in enumerate(labels):
        if label.startswith("Q1 "):
            parts.append(svg_text(_x(index, count), _y(0) + 18, label, size=11, anchor="middle"))
    parts.append("</svg>")
    return Markup("".join(parts))


SERVICES_LIST = "/oversight/quality/services?"


def trend_table_rows(
    council: Sequence[QuarterFigures],
    regulator: Sequence[QuarterFigures] | None,
    query: Callable[..., str],
) -> Markup:
    """The table beside the chart, newest quarter first, each count linked to its services
    (``query`` is the filters' own). Made in one piece: as a template loop, the twenty rows' hundred
    links and cells cost more than the rest of the page."""
    rows = []
    for index in range(len(council) - 1, -1, -1):
        point = council[index]
        day = point.on.isoformat()
        to_date = ' <span class="muted small">(to date)</span>' if point.on < point.quarter.end else ""
        cells = [_share_cell(point, query, day)]
        if regulator is not None:
            cells.append(_share_cell(regulator[index], query, day, source="regulator"))
        unrated = escape(SERVICES_LIST + query(what="unrated", on=day))
        rows.append(
            f'<tr><th scope="row">{escape(point.quarter.label)}{to_date}</th>{"".join(cells)}'
            f'<td class="num"><a href="{unrated}">{point.unrated}</a></td></tr>'
        )
    return Markup("".join(rows))


def _share_cell(point: QuarterFigures, query: Callable[..., str], day: str, **source: str) -> str:
    percent = f"<strong>{point.percent}%</strong><br>" if point.percent is not None else ""
    good = escape(SERVICES_LIST + query(what="good", **source, on=day))
    rated = escape(SERVICES_LIST + query(what="rated", **source, on=day))
    return (
        f'<td class="num">{percent}<a class="small" href="{good}">{point.good}</a> '
        f'<span class="small">of</span> <a class="small" href="{rated}">{point.rated}</a></td>'
    )
