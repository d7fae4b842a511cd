"""Inline SVG charts drawn on the server: no JavaScript, no chart library, nothing to download.

Every chart carries `role="img"`, a `<title>` and a `<desc>` that points to the table beside it
(the accessible equivalent), says which series is which in words, and tells the two series apart by
pattern, marker and direct text labels as well as by colour. Only SVG presentation attributes are
used: the Content Security Policy forbids inline styles. Sizes come from the viewBox, so a chart
scales to the width of its container. Every piece of text passes through `markupsafe.escape`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from markupsafe import Markup, escape

from selfassess.frameworks.scoring import RatingBand
from selfassess.web.templating import percent_share, signed

if TYPE_CHECKING:
    from selfassess.comparison.service import ServiceAccuracy

SELF_NAME = "Self-assessment"
OFFICER_NAME = "Officer"
SELF_COLOUR = "#0b4f5c"  # hatched bars, dashed line, hollow squares
OFFICER_COLOUR = "#505a63"  # solid bars, solid line, filled circles
GUIDE_COLOUR = "#8a949c"
TEXT_COLOUR = "#1b1f23"
FONT = 'font-family="system-ui, sans-serif"'


class ChartPair(NamedTuple):
    """One chart drawn twice: for wide screens, and for a phone (the stylesheet shows one)."""

    wide: Markup
    narrow: Markup


@dataclass(frozen=True)
class Guide:
    """A rating band threshold, drawn as a light line at the band's minimum percentage."""

    label: str
    percent: int


def guides_for(bands: Sequence[RatingBand]) -> tuple[Guide, ...]:
    return tuple(Guide(band.label, band.min_percent) for band in bands)


@dataclass(frozen=True)
class BarPair:
    """One key question: the provider's and the officer's percentage (None = not scored)."""

    label: str
    self_percent: int | None
    officer_percent: int | None


# --- shared pieces -----------------------------------------------------------------------------


def svg_number(value: float) -> str:
    """Coordinates with at most one decimal, without a trailing .0, so the markup stays readable."""
    rounded = round(value, 1)
    return str(int(rounded)) if rounded == int(rounded) else str(rounded)


def svg_text(
    x: float, y: float, content: str, *, size: int = 12, anchor: str = "start", extra: str = ""
) -> str:
    return (
        f'<text x="{svg_number(x)}" y="{svg_number(y)}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="{TEXT_COLOUR}" {FONT}{extra}>{escape(content)}</text>'
    )


def svg_open(chart_id: str, width: int, height: int, title: str, description: str) -> str:
    chart_id = str(escape(chart_id))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" id="{chart_id}">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
    )


def _hatch(chart_id: str) -> str:
    """Diagonal stripes, so the self-assessment bars differ from the officer's without colour."""
    return (
        f'<defs><pattern id="{escape(chart_id)}-hatch" patternUnits="userSpaceOnUse" width="6" height="6" '
        'patternTransform="rotate(45)">'
        '<rect width="6" height="6" fill="#ffffff"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{SELF_COLOUR}" stroke-width="4"/>'
        "</pattern></defs>"
    )


def _wrap(label: str, width: int) -> list[str]:
    """At most two lines of about `width` characters; a longer label ends with an ellipsis."""
    lines: list[str] = []
    current = ""
    for word in label.split():
        candidate = f"{current} {word}".strip()
        if len(candidate) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    lines.append(current)
    if len(lines) > 2:
        lines = [lines[0], " ".join(lines[1:])]
    if len(lines[-1]) > width:
        cut = lines[-1][: width - 1]
        lines[-1] = (cut[: cut.rindex(" ")] if " " in cut else cut).rstrip(" ,;:") + "…"
    return lines


# --- (a) self vs officer per key question ---------------------------------------------------------

BAR_WIDTH_TOTAL = 720
BAR_PLOT_LEFT = 220  # key question labels sit to the left of this
BAR_PLOT_WIDTH = 400  # 4 units per percentage point; value labels fit in the 100 units to the right
BAR_PLOT_TOP = 70  # legend and band labels above
BAR_GROUP_HEIGHT = 48
BAR_HEIGHT = 16
BAR_AXIS_HEIGHT = 28
LABEL_CHARACTERS = 30


def bar_x(percent: float) -> float:
    return BAR_PLOT_LEFT + BAR_PLOT_WIDTH * percent / 100


def key_question_chart(
    rows: Sequence[BarPair],
    guides: Sequence[Guide],
    *,
    chart_id: str,
    title: str,
    description: str,
) -> Markup:
    """Grouped horizontal bars, self-assessment (hatched) above officer (solid) for each key question,
    each labelled with its percentage, over light vertical lines at the rating band thresholds."""
    plot_bottom = BAR_PLOT_TOP + BAR_GROUP_HEIGHT * len(rows)
    height = plot_bottom + BAR_AXIS_HEIGHT
    parts = [svg_open(chart_id, BAR_WIDTH_TOTAL, height, title, description), _hatch(chart_id)]

    # Legend: a sample of each bar and its name.
    parts.append(
        f'<rect x="{BAR_PLOT_LEFT}" y="6" width="24" height="12" fill="url(#{escape(chart_id)}-hatch)" '
        f'stroke="{SELF_COLOUR}"/>'
    )
    parts.append(svg_text(BAR_PLOT_LEFT + 30, 16, SELF_NAME))
    parts.append(f'<rect x="{BAR_PLOT_LEFT + 160}" y="6" width="24" height="12" fill="{OFFICER_COLOUR}"/>')
    parts.append(svg_text(BAR_PLOT_LEFT + 190, 16, OFFICER_NAME))

    # Band thresholds: labels on two alternating rows so neighbouring names never overlap.
    for index, guide in enumerate(guides):
        x = bar_x(guide.percent)
        label_y = 38 if index % 2 == 0 else 54
        parts.append(
            f'<line x1="{svg_number(x)}" y1="{label_y + 4}" x2="{svg_number(x)}" y2="{plot_bottom}" '
            f'stroke="{GUIDE_COLOUR}" stroke-width="1" stroke-dasharray="4 3"/>'
        )
        parts.append(svg_text(x + 3, label_y, guide.label, size=11))
        parts.append(svg_text(x, plot_bottom + 18, f"{guide.percent}%", size=11, anchor="middle"))
    parts.append(svg_text(BAR_PLOT_LEFT, plot_bottom + 18, "0%", size=11, anchor="middle"))
    parts.append(svg_text(bar_x(100), plot_bottom + 18, "100%", size=11, anchor="middle"))
    parts.append(
        f'<line x1="{BAR_PLOT_LEFT}" y1="{BAR_PLOT_TOP}" x2="{BAR_PLOT_LEFT}" y2="{plot_bottom}" '
        f'stroke="{TEXT_COLOUR}" stroke-width="1"/>'
    )

    for index, row in enumerate(rows):
        top = BAR_PLOT_TOP + BAR_GROUP_HEIGHT * index
        lines = _wrap(row.label, LABEL_CHARACTERS)
        first_line_y = top + 28 - 7 * (len(lines) - 1)
        for number, line in enumerate(lines):
            parts.append(svg_text(BAR_PLOT_LEFT - 8, first_line_y + 14 * number, line, anchor="end"))
        for offset, name, percent, fill in (
            (6, SELF_NAME, row.self_percent, f"url(#{escape(chart_id)}-hatch)"),
            (6 + BAR_HEIGHT + 2, OFFICER_NAME, row.officer_percent, OFFICER_COLOUR),
        ):
            y = top + offset
            if percent is None:
                parts.append(svg_text(BAR_PLOT_LEFT + 6, y + 12, f"{name}: not scored", size=11))
                continue
            width = bar_x(percent) - BAR_PLOT_LEFT
            stroke = f' stroke="{SELF_COLOUR}"' if name == SELF_NAME else ""
            parts.append(
                f'<rect x="{BAR_PLOT_LEFT}" y="{y}" width="{svg_number(width)}" height="{BAR_HEIGHT}" '
                f'fill="{fill}"{stroke}/>'
            )
            parts.append(svg_text(bar_x(percent) + 6, y + 12, f"{name} {percent}%", size=11))
    parts.append("</svg>")
    return Markup("".join(parts))


# The same chart drawn for a phone: 360 units wide (shown at about 0.9 scale on a 390 px screen),
# each key question's name on its own line above its bars, one band threshold label per line.
NARROW_WIDTH = 360
NARROW_LEFT = 8
NARROW_PLOT_WIDTH = 250  # 2.5 units per point; "Officer 100%" still fits to the right
NARROW_GROUP_HEIGHT = 66
NARROW_CHARACTER = 7.2  # the width of one character at font size 13, roughly


def _narrow_x(percent: float) -> float:
    return NARROW_LEFT + NARROW_PLOT_WIDTH * percent / 100


def key_question_chart_narrow(
    rows: Sequence[BarPair],
    guides: Sequence[Guide],
    *,
    chart_id: str,
    title: str,
    description: str,
) -> Markup:
    """`key_question_chart` laid out for a narrow screen, with text large enough to read there."""
    plot_top = 34 + 18 * len(guides)
    plot_bottom = plot_top + NARROW_GROUP_HEIGHT * len(rows)
    height = plot_bottom + 26
    hatch = f"url(#{escape(chart_id)}-hatch)"
    parts = [svg_open(chart_id, NARROW_WIDTH, height, title, description), _hatch(chart_id)]
    parts.append(
        f'<rect x="{NARROW_LEFT}" y="6" width="24" height="14" fill="{hatch}" stroke="{SELF_COLOUR}"/>'
    )
    parts.append(svg_text(NARROW_LEFT + 30, 18, SELF_NAME, size=13))
    parts.append(f'<rect x="{NARROW_LEFT + 170}" y="6" width="24" height="14" fill="{OFFICER_COLOUR}"/>')
    parts.append(svg_text(NARROW_LEFT + 200, 18, OFFICER_NAME, size=13))
    for index, guide in enumerate(guides):
        x = _narrow_x(guide.percent)
        label_y = 40 + 18 * index
        label = f"{guide.label} {guide.percent}%"
        fits_right = x + 3 + len(label) * NARROW_CHARACTER * 12 / 13 <= NARROW_WIDTH
        parts.append(
            f'<line x1="{svg_number(x)}" y1="{label_y - 12}" x2="{svg_number(x)}" y2="{plot_bottom}" '
            f'stroke="{GUIDE_COLOUR}" stroke-width="1" stroke-dasharray="4 3"/>'
        )
        parts.append(
            svg_text(
                x + 3 if fits_right else x - 3,
                label_y,
                label,
                size=12,
                anchor="start" if fits_right else "end",
            )
        )
    parts.append(svg_text(NARROW_LEFT, plot_bottom + 18, "0%", size=12))
    parts.append(svg_text(_narrow_x(100), plot_bottom + 18, "100%", size=12, anchor="middle"))
    parts.append(
        f'<line x1="{NARROW_LEFT}" y1="{plot_top}" x2="{NARROW_LEFT}" y2="{plot_bottom}" '
        f'stroke="{TEXT_COLOUR}" stroke-width="1"/>'
    )
    for index, row in enumerate(rows):
        top = plot_top + NARROW_GROUP_HEIGHT * index
        name = _wrap(row.label, 44)[0]
        parts.append(svg_text(NARROW_LEFT + 4, top + 17, name, size=14, extra=' font-weight="700"'))
        for offset, label, percent, fill in (
            (24, SELF_NAME, row.self_percent, hatch),
            (24 + 18, OFFICER_NAME, row.officer_percent, OFFICER_COLOUR),
        ):
            y = top + offset
            if percent is None:
                parts.append(svg_text(NARROW_LEFT + 6, y + 13, f"{label}: not scored", size=12))
                continue
            stroke = f' stroke="{SELF_COLOUR}"' if label == SELF_NAME else ""
            parts.append(
                f'<rect x="{NARROW_LEFT}" y="{y}" width="{svg_number(_narrow_x(percent) - NARROW_LEFT)}" '
                f'height="16" fill="{fill}"{stroke}/>'
            )
            short = "Self" if label == SELF_NAME else label
            parts.append(svg_text(_narrow_x(percent) + 5, y + 13, f"{short} {percent}%", size=12))
    parts.append("</svg>")
    return Markup("".join(parts))


# --- (b) overall percentage per cycle ----------------------------------------------------------------

LINE_WIDTH_TOTAL = 720
LINE_PLOT_LEFT = 50
LINE_PLOT_WIDTH = 640
LINE_PLOT_TOP = 36  # legend above
LINE_PLOT_HEIGHT = 200  # 2 units per percentage point
LINE_AXIS_HEIGHT = 48  # two lines of cycle labels below


def line_x(index: int, count: int, plot_width: int = LINE_PLOT_WIDTH) -> float:
    """Cycles are evenly spaced, each in the middle of its own slot."""
    return LINE_PLOT_LEFT + plot_width * (index + 0.5) / count


def line_y(percent: float) -> float:
    return LINE_PLOT_TOP + LINE_PLOT_HEIGHT * (100 - percent) / 100


def svg_polyline(points: list[tuple[float, float]], colour: str, dashed: bool) -> str:
    if len(points) < 2:
        return ""
    coordinates = " ".join(f"{svg_number(x)},{svg_number(y)}" for x, y in points)
    dash = ' stroke-dasharray="6 4"' if dashed else ""
    return f'<polyline points="{coordinates}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>'


def _as_percent(value: int) -> str:
    return f"{value}%"


def _band_starts(guide: Guide) -> str:
    return f"{guide.label} from {guide.percent}%"


def trend_chart(
    cycles: Sequence[str],
    self_percents: Sequence[int | None],
    officer_percents: Sequence[int | None],
    guides: Sequence[Guide],
    *,
    chart_id: str,
    title: str,
    description: str,
    point_label: Callable[[int], str] = _as_percent,
    guide_label: Callable[[Guide], str] = _band_starts,
    axis: Sequence[int] = (0, 50, 100),
    narrow: bool = False,
) -> Markup:
    """A small line chart over cycles (oldest first): self-assessment as a dashed line with hollow
    squares, officer as a solid line with filled circles, every point labelled with its percentage
    (the higher of a cycle's two above its point, the lower below), over horizontal lines at the band
    thresholds. A cycle missing one side has no point for it; the line joins the points either side.

    Overall ratings by the rating principles have no percentage: they are drawn as levels on the same
    0-100 height, with `point_label` and `guide_label` naming the band and no percentage axis.

    `narrow` draws it 360 units wide with larger text, for a phone."""
    if not len(cycles) == len(self_percents) == len(officer_percents):
        raise ValueError("Each cycle needs one self-assessment and one officer value (or None).")
    count = max(len(cycles), 1)
    height = LINE_PLOT_TOP + LINE_PLOT_HEIGHT + LINE_AXIS_HEIGHT
    plot_width = NARROW_WIDTH - LINE_PLOT_LEFT - 8 if narrow else LINE_PLOT_WIDTH
    right = LINE_PLOT_LEFT + plot_width
    small, wrap_at = (12, 10) if narrow else (11, 18)
    parts = [svg_open(chart_id, NARROW_WIDTH if narrow else LINE_WIDTH_TOTAL, height, title, description)]

    parts.append(
        f'<line x1="{LINE_PLOT_LEFT}" y1="12" x2="{LINE_PLOT_LEFT + 28}" y2="12" stroke="{SELF_COLOUR}" '
        'stroke-width="2" stroke-dasharray="6 4"/>'
    )
    parts.append(
        f'<rect x="{LINE_PLOT_LEFT + 10}" y="8" width="8" height="8" fill="#ffffff" stroke="{SELF_COLOUR}" '
        'stroke-width="2"/>'
    )
    parts.append(svg_text(LINE_PLOT_LEFT + 36, 16, SELF_NAME))
    parts.append(
        f'<line x1="{LINE_PLOT_LEFT + 170}" y1="12" x2="{LINE_PLOT_LEFT + 198}" y2="12" '
        f'stroke="{OFFICER_COLOUR}" stroke-width="2"/>'
    )
    parts.append(f'<circle cx="{LINE_PLOT_LEFT + 184}" cy="12" r="4" fill="{OFFICER_COLOUR}"/>')
    parts.append(svg_text(LINE_PLOT_LEFT + 206, 16, OFFICER_NAME))

    for percent in axis:
        parts.append(
            svg_text(LINE_PLOT_LEFT - 6, line_y(percent) + 4, f"{percent}%", size=small, anchor="end")
        )
    for guide in guides:
        y = line_y(guide.percent)
        parts.append(
            f'<line x1="{LINE_PLOT_LEFT}" y1="{svg_number(y)}" x2="{right}" y2="{svg_number(y)}" '
            f'stroke="{GUIDE_COLOUR}" stroke-width="1" stroke-dasharray="4 3"/>'
        )
        parts.append(svg_text(right, y - 3, guide_label(guide), size=small - 1, anchor="end"))
    parts.append(
        f'<line x1="{LINE_PLOT_LEFT}" y1="{svg_number(line_y(0))}" x2="{right}" y2="{svg_number(line_y(0))}" '
        f'stroke="{TEXT_COLOUR}" stroke-width="1"/>'
    )

    self_points = [
        (line_x(i, count, plot_width), line_y(p)) for i, p in enumerate(self_percents) if p is not None
    ]
    officer_points = [
        (line_x(i, count, plot_width), line_y(p)) for i, p in enumerate(officer_percents) if p is not None
    ]
    parts.append(svg_polyline(self_points, SELF_COLOUR, dashed=True))
    parts.append(svg_polyline(officer_points, OFFICER_COLOUR, dashed=False))
    for index, (self_percent, officer_percent) in enumerate(
        zip(self_percents, officer_percents, strict=True)
    ):
        x = line_x(index, count, plot_width)
        # The higher of the two points is labelled above, the lower below, so labels never collide.
        self_on_top = officer_percent is None or (
            self_percent is not None and self_percent >= officer_percent
        )
        if self_percent is not None:
            y = line_y(self_percent)
            parts.append(
                f'<rect x="{svg_number(x - 5)}" y="{svg_number(y - 5)}" width="10" height="10" '
                f'fill="#ffffff" stroke="{SELF_COLOUR}" stroke-width="2"/>'
            )
            parts.append(
                svg_text(
                    x,
                    y - 10 if self_on_top else y + 20,
                    point_label(self_percent),
                    size=small,
                    anchor="middle",
                )
            )
        if officer_percent is not None:
            y = line_y(officer_percent)
            parts.append(f'<circle cx="{svg_number(x)}" cy="{svg_number(y)}" r="5" fill="{OFFICER_COLOUR}"/>')
            parts.append(
                svg_text(
                    x,
                    y + 20 if self_on_top else y - 10,
                    point_label(officer_percent),
                    size=small,
                    anchor="middle",
                )
            )
    for index, cycle in enumerate(cycles):
        for number, line in enumerate(_wrap(cycle, wrap_at)):
            parts.append(
                svg_text(
                    line_x(index, count, plot_width),
                    line_y(0) + 18 + 14 * number,
                    line,
                    size=small,
                    anchor="middle",
                )
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def service_accuracy_rows(services: Sequence[ServiceAccuracy]) -> Markup:
    """The provider accuracy page's table by service, made in one piece: a national chain has
    hundreds of services, and as a template loop their rows cost more than the rest of the page."""
    return Markup(
        "".join(
            f'<tr><th scope="row"><a href="/services/{row.service_id}/comparison">'
            f"{escape(row.service_name)}</a></th>"
            f'<td class="num">{row.visits}</td><td class="num">{row.pairs}</td>'
            f'<td class="num">{signed(row.mean_difference)}</td>'
            f'<td class="num">{percent_share(row.overrated_share)}</td></tr>'
            for row in services
        )
    )
