"""Bar chart layout (bulletin/charts.py) and its SVG (templates/charts.html)."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET

import pytest

from bulletin.charts import FONT, LABELS_HEIGHT, VALUES_HEIGHT, bar_layout, number, text_width
from bulletin.render import make_environment

SVG = "{http://www.w3.org/2000/svg}"


def _svg(points: list[tuple[object, int]], width: int = 340, height: int = 150) -> ET.Element:
    env = make_environment()
    macro = env.get_template("charts.html").module.bar_chart  # type: ignore[attr-defined]
    chart = bar_layout(points, width, height)
    return ET.fromstring(str(macro(chart, "c", "标题", "说明")))


def _bars(d: str) -> list[tuple[float, float, float, float]]:
    """(x, y, width, height) of each bar of a chart's path."""
    pattern = r"M([\d.]+) ([\d.]+)h([\d.]+)v([\d.]+)h-([\d.]+)z"
    found = re.findall(pattern, d)
    assert "".join(f"M{x} {y}h{w}v{h}h-{w2}z" for x, y, w, h, w2 in found) == d
    assert all(w == w2 for _, _, w, _, w2 in found)
    return [(float(x), float(y), float(w), float(h)) for x, y, w, h, _ in found]


def test_numbers_are_short_and_stable() -> None:
    assert [number(v) for v in (0, 1.0, 1.25, 2.04, -0.04, 12.349)] == [
        "0",
        "1",
        "1.2",
        "2",
        "0",
        "12.3",
    ]


def test_bar_heights_are_proportional_and_sit_on_the_axis() -> None:
    chart = bar_layout([(2015, 10), (2016, 5), (2017, 0), (2018, 1)], 340, 150)
    bars = _bars(chart.bars_path)
    assert len(bars) == 3  # a year with no article has no bar, but keeps its place
    baseline = 150 - LABELS_HEIGHT
    room = baseline - VALUES_HEIGHT
    assert [round(h, 1) for *_, h in bars] == [room, round(room / 2, 1), round(room / 10, 1)]
    assert all(abs(y + h - baseline) < 0.11 for _, y, _, h in bars)
    xs = [float(bar.centre) for bar in chart.bars]
    assert xs == sorted(xs) and xs[2] - xs[1] == pytest.approx(xs[1] - xs[0], abs=0.11)
    assert chart.values_shown and chart.largest == 10 and chart.total == 16
    assert chart.peak == "2015"


def test_a_small_count_still_shows_a_bar() -> None:
    bars = _bars(bar_layout([("a", 1000), ("b", 1)], 300, 72).bars_path)
    assert bars[1][3] >= 1


def test_crowded_labels_are_thinned_but_the_last_is_kept() -> None:
    chart = bar_layout([(year, year % 7) for year in range(1990, 2025)], 300, 72)
    shown = [bar.label for bar in chart.bars if bar.labelled]
    assert shown[-1] == "2024" and 2 <= len(shown) < 35
    centres = [float(bar.centre) for bar in chart.bars if bar.labelled]
    gaps = [b - a for a, b in itertools.pairwise(centres)]
    assert min(gaps) >= text_width("2024")  # no two labels touch
    assert not chart.values_shown  # 35 values do not fit: the largest is marked instead
    svg = _svg([(year, year % 7) for year in range(1990, 2025)], 300, 72)
    marks = [t.text for t in svg.iter(f"{SVG}text") if t.get("x") == "2"]
    assert marks == ["6"]


def test_month_labels_carry_their_unit_and_fit() -> None:
    chart = bar_layout([(m, m) for m in range(1, 13)], 340, 150, "月")
    assert chart.bars[0].label == "1月" and chart.peak == "12月"
    assert chart.bars[-1].labelled
    assert text_width("12月") == pytest.approx(2 * 0.62 * FONT + FONT)


@pytest.mark.parametrize(
    "points",
    [
        [],
        [(2020, 0)],
        [(2020, 0), (2021, 0)],
        [(2020, 3)],
        [(y, y - 1999) for y in range(2000, 2040)],
    ],
)
def test_every_chart_is_well_formed_svg(points: list[tuple[object, int]]) -> None:
    svg = _svg(points)
    assert svg.tag == f"{SVG}svg"
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "c-t c-d"
    assert svg.find(f"{SVG}title").text == "标题"  # type: ignore[union-attr]
    assert svg.find(f"{SVG}desc").text == "说明"  # type: ignore[union-attr]
    assert svg.get("viewBox") == "0 0 340 150"
    bars = svg.find(f"{SVG}path[@class='chart-bar']")
    assert bars is not None
    assert len(_bars(bars.get("d", ""))) == sum(1 for _, v in points if v)


def test_the_same_counts_give_the_same_bytes() -> None:
    points = [(2015, 3), (2016, 7), (2017, 2)]
    env = make_environment()
    macro = env.get_template("charts.html").module.bar_chart  # type: ignore[attr-defined]
    first = str(macro(bar_layout(points, 340, 150), "c", "t", "d"))
    assert first == str(macro(bar_layout(list(points), 340, 150), "c", "t", "d"))
    assert "script" not in first and "http" not in first.replace("http://www.w3.org/2000/svg", "")
