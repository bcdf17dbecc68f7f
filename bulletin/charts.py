"""Bar charts laid out at build time, drawn as inline SVG by templates/charts.html.

The layout is computed here (plain geometry, numbers written with at most one decimal,
so the same counts give the same bytes); the template writes the SVG with its title,
description and text in the page's script, and every chart's data is also a table.

A chart is drawn at its own size in CSS pixels (``width``/``height``) and only ever
shrinks to fit (``max-width: 100%``): its labels keep their size on a desktop, and the
widths chosen here are at most a phone's column (375 px less the page's margins).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: Font size of a chart's labels, in its own units (CSS pixels at its natural size).
FONT = 11
#: Width of a digit and of a CJK character at FONT, for fitting labels (estimates that
#: err on the wide side for the system fonts of both scripts).
DIGIT_WIDTH = 0.62 * FONT
CJK_WIDTH = 1.0 * FONT
VALUES_HEIGHT = FONT + 4  # room above the tallest bar for its value
LABELS_HEIGHT = FONT + 6  # room below the axis for the labels
SIDE = 2  # room left and right of the bars
BAR_SHARE = 0.72  # of a bar's slot; the rest is the gap between bars


def number(value: float) -> str:
    """A coordinate as SVG text: at most one decimal, no trailing zero, no ``-0``."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def text_width(text: str) -> float:
    return sum(DIGIT_WIDTH if ch.isascii() else CJK_WIDTH for ch in text)


@dataclass(frozen=True)
class Bar:
    label: str  # below the axis, e.g. "2016"
    value: int
    x: str  # the bar's left, top, width and height, as SVG numbers
    y: str
    width: str
    height: str
    centre: str  # x of its labels
    value_y: str  # baseline of its value, above the bar
    labelled: bool  # whether its label is drawn (crowded labels are thinned out)

    @property
    def path(self) -> str:
        """The bar as a path segment (all bars make one path: fewer bytes)."""
        return f"M{self.x} {self.y}h{self.width}v{self.height}h-{self.width}z"


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    baseline: str  # y of the axis
    axis_end: str  # x where the axis ends
    label_y: str  # y of the labels' baseline
    values_shown: bool  # every value fits above its bar (else the largest is marked)
    top_y: str  # y of the tallest bar's top

    @property
    def top_label_y(self) -> str:
        return number(float(self.top_y) - 3)

    @property
    def bars_path(self) -> str:
        return "".join(bar.path for bar in self.bars if bar.value > 0)

    @property
    def largest(self) -> int:
        return max((bar.value for bar in self.bars), default=0)

    @property
    def total(self) -> int:
        return sum(bar.value for bar in self.bars)

    @property
    def peak(self) -> str:
        """The label of the first bar with the largest value."""
        return next((bar.label for bar in self.bars if bar.value == self.largest), "")


def bar_layout(
    points: Sequence[tuple[object, int]], width: int, height: int, unit: str = ""
) -> BarChart:
    """The layout of one bar per ``(label, value)`` (labelled ``f"{label}{unit}"``),
    left to right, in a box of ``width`` × ``height``; labels that would touch are
    thinned to every k-th, counted from the last (the latest year is always named)."""
    points = [(f"{label}{unit}", value) for label, value in points]
    count = max(len(points), 1)
    slot = (width - 2 * SIDE) / count
    bar_width = max(slot * BAR_SHARE, 1.0)
    baseline = height - LABELS_HEIGHT
    room = baseline - VALUES_HEIGHT
    largest = max((value for _, value in points), default=0)
    widest_label = max((text_width(label) for label, _ in points), default=0.0)
    step = 1
    while step * slot < widest_label + 4 and step < count:
        step += 1
    values_shown = slot >= len(str(largest)) * DIGIT_WIDTH + 2
    bars = []
    for index, (label, value) in enumerate(points):
        bar_height = 0.0 if largest == 0 else max(value / largest * room, 1.0 if value else 0)
        left = SIDE + index * slot + (slot - bar_width) / 2
        bars.append(
            Bar(
                label=label,
                value=value,
                x=number(left),
                y=number(baseline - bar_height),
                width=number(bar_width),
                height=number(bar_height),
                centre=number(SIDE + (index + 0.5) * slot),
                value_y=number(baseline - bar_height - 3),
                labelled=(count - 1 - index) % step == 0,
            )
        )
    return BarChart(
        width=width,
        height=height,
        bars=tuple(bars),
        baseline=number(baseline + 0.5),
        axis_end=number(width - SIDE),
        label_y=number(height - 4),
        values_shown=values_shown,
        top_y=number(VALUES_HEIGHT),
    )
