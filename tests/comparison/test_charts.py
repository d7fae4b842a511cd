"""The server-side SVG charts: geometry for known inputs, text alternatives, escaping, no inline styles."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

import pytest

from selfassess.comparison.charts import (
    BAR_PLOT_LEFT,
    BarPair,
    Guide,
    bar_x,
    guides_for,
    key_question_chart,
    line_x,
    line_y,
    trend_chart,
)
from selfassess.frameworks.scoring import RatingBand

SVG = "{http://www.w3.org/2000/svg}"
CQC_GUIDES = (
    Guide("Inadequate", 25),
    Guide("Requires improvement", 39),
    Guide("Good", 63),
    Guide("Outstanding", 88),
)


def parse(markup: str) -> ElementTree.Element:
    """Well-formed XML, or this fails: a stray '<' from a title would break it."""
    return ElementTree.fromstring(markup)


def bars(root: ElementTree.Element) -> list[ElementTree.Element]:
    """The data bars (the legend's samples sit above the plot)."""
    return [rect for rect in root.iter(f"{SVG}rect") if float(rect.get("y", 0)) >= 70]


def texts(root: ElementTree.Element) -> list[str]:
    return ["".join(text.itertext()) for text in root.iter(f"{SVG}text")]


def test_bar_lengths_are_four_units_per_percentage_point_from_the_axis() -> None:
    chart = key_question_chart(
        [BarPair("Safe", 75, 72), BarPair("Effective", 50, None)],
        CQC_GUIDES,
        chart_id="kq",
        title="Key questions",
        description="The table gives the same figures.",
    )
    root = parse(chart)
    safe_self, safe_officer, effective_self = bars(root)
    assert (safe_self.get("x"), safe_self.get("width"), safe_self.get("y")) == ("220", "300", "76")
    assert safe_self.get("fill") == "url(#kq-hatch)", "self-assessment bars are hatched"
    assert (safe_officer.get("width"), safe_officer.get("y")) == ("288", "94")
    assert safe_officer.get("fill") == "#505a63", "officer bars are solid"
    assert (effective_self.get("width"), effective_self.get("y")) == ("200", "124"), (
        "the next group, 48 lower"
    )
    labels = texts(root)
    assert {"Self-assessment 75%", "Officer 72%", "Self-assessment 50%", "Officer: not scored"} <= set(labels)
    # 2 groups of 48 under a 70-unit header, and 28 for the axis labels.
    assert root.get("viewBox") == "0 0 720 194"
    assert bar_x(0) == BAR_PLOT_LEFT and bar_x(100) == 620


def test_band_thresholds_are_light_dashed_guides_with_labels() -> None:
    root = parse(
        key_question_chart([BarPair("Safe", 75, 72)], CQC_GUIDES, chart_id="kq", title="t", description="d")
    )
    guides = [line for line in root.iter(f"{SVG}line") if line.get("stroke-dasharray")]
    assert [line.get("x1") for line in guides] == ["320", "376", "472", "572"]
    assert all(line.get("stroke") == "#8a949c" for line in guides)
    labels = texts(root)
    for label in ("Inadequate", "Requires improvement", "Good", "Outstanding", "25%", "39%", "63%", "88%"):
        assert label in labels
    rows = {
        text.get("y")
        for text in root.iter(f"{SVG}text")
        if "".join(text.itertext()) in {"Inadequate", "Good"}
    }
    neighbours = {
        text.get("y")
        for text in root.iter(f"{SVG}text")
        if "".join(text.itertext()) == "Requires improvement"
    }
    assert rows == {"38"} and neighbours == {"54"}, "neighbouring band names on alternate rows"


def test_guides_come_from_a_frameworks_own_bands() -> None:
    bands = (RatingBand("inadequate", "Poor", 25), RatingBand("outstanding", "Excellent", 85))
    assert guides_for(bands) == (Guide("Poor", 25), Guide("Excellent", 85))


def test_charts_have_a_text_alternative_and_no_inline_styles() -> None:
    for chart in (
        key_question_chart(
            [BarPair("Safe", 75, 72)],
            CQC_GUIDES,
            chart_id="a",
            title="Per key question",
            description="Same as the table.",
        ),
        trend_chart(
            ["2025/26"],
            [75],
            [70],
            CQC_GUIDES,
            chart_id="b",
            title="Over time",
            description="Same as the table.",
        ),
    ):
        root = parse(chart)
        chart_id = root.get("id")
        assert root.get("role") == "img"
        assert root.get("aria-labelledby") == f"{chart_id}-title {chart_id}-desc"
        assert root.find(f"{SVG}title").text in {"Per key question", "Over time"}
        assert root.find(f"{SVG}desc").text == "Same as the table."
        assert "style" not in chart and "<script" not in chart
        assert root.get("viewBox") and root.get("width") == "100%" and root.get("height") is None


def test_titles_and_labels_are_escaped() -> None:
    hostile = '<script>alert("kq")</script> & "quotes"'
    chart = key_question_chart(
        [BarPair(hostile, 75, 72)],
        [Guide(hostile, 63)],
        chart_id='x" onload="alert(1)',
        title=hostile,
        description=hostile,
    )
    assert "<script>" not in chart and 'onload="alert(1)"' not in chart
    assert "&lt;script&gt;" in chart
    root = parse(chart)
    assert root.find(f"{SVG}title").text == hostile, "escaped in the markup, the same text when read"
    trend = trend_chart(
        [hostile], [75], [70], [Guide(hostile, 63)], chart_id="t", title=hostile, description="d"
    )
    assert "<script>" not in trend
    assert '<script>alert("kq")</script>' in texts(parse(trend))


def test_long_key_question_titles_wrap_onto_two_lines() -> None:
    root = parse(
        key_question_chart(
            [
                BarPair(
                    "Capable, compassionate and inclusive leaders at every level of the organisation", 75, 72
                )
            ],
            CQC_GUIDES,
            chart_id="kq",
            title="t",
            description="d",
        )
    )
    left = [text for text in root.iter(f"{SVG}text") if text.get("text-anchor") == "end"]
    assert ["".join(text.itertext()) for text in left] == [
        "Capable, compassionate and",
        "inclusive leaders at every…",
    ]
    assert [text.get("y") for text in left] == ["91", "105"], "centred on the group"


def test_trend_points_sit_in_the_middle_of_each_cycle_at_two_units_per_point() -> None:
    chart = trend_chart(
        ["2024/25", "2025/26", "2026/27"],
        [100, 80, None],
        [75, None, 70],
        CQC_GUIDES,
        chart_id="trend",
        title="Overall",
        description="d",
    )
    root = parse(chart)
    assert [line_x(index, 3) for index in range(3)] == pytest.approx([156.7, 370, 583.3], abs=0.05)
    assert (line_y(100), line_y(75), line_y(0)) == (36, 86, 236)
    squares = [rect for rect in root.iter(f"{SVG}rect") if rect.get("width") == "10"]
    assert [(rect.get("x"), rect.get("y")) for rect in squares] == [("151.7", "31"), ("365", "71")]
    circles = [circle for circle in root.iter(f"{SVG}circle") if circle.get("r") == "5"]
    assert [(c.get("cx"), c.get("cy")) for c in circles] == [("156.7", "86"), ("583.3", "96")]
    self_line, officer_line = root.iter(f"{SVG}polyline")
    assert self_line.get("points") == "156.7,36 370,76" and self_line.get("stroke-dasharray") == "6 4"
    assert officer_line.get("points") == "156.7,86 583.3,96", "a missing cycle is skipped, not drawn at 0"
    assert officer_line.get("stroke-dasharray") is None
    labels = {("".join(text.itertext()), text.get("x"), text.get("y")) for text in root.iter(f"{SVG}text")}
    # Cycle 1: self 100 above its point (y 36 - 10), officer 75 below its point (y 86 + 20).
    assert {("100%", "156.7", "26"), ("75%", "156.7", "106")} <= labels, "the higher value labelled above"
    assert {("80%", "370", "66"), ("70%", "583.3", "86")} <= labels, "one side only: above its point"
    assert {"2024/25", "2025/26", "2026/27", "Good from 63%"} <= {label for label, _, _ in labels}


def test_a_single_cycle_has_points_but_no_lines() -> None:
    root = parse(trend_chart(["2026/27"], [75], [72], CQC_GUIDES, chart_id="one", title="t", description="d"))
    assert list(root.iter(f"{SVG}polyline")) == []
    assert len([c for c in root.iter(f"{SVG}circle") if c.get("r") == "5"]) == 1


def test_trend_values_must_match_the_cycles() -> None:
    with pytest.raises(ValueError, match="one self-assessment and one officer value"):
        trend_chart(
            ["2025/26", "2026/27"], [75], [70, 72], CQC_GUIDES, chart_id="t", title="t", description="d"
        )


def test_coordinates_are_written_compactly() -> None:
    chart = trend_chart(
        ["a", "b", "c"], [75, 75, 75], [None, None, None], (), chart_id="t", title="t", description="d"
    )
    assert not re.search(r'="\d+\.0"', chart), "no trailing .0"
    assert not re.search(r"\d\.\d\d", chart), "at most one decimal"
