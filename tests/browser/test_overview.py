"""The overview and a timeline in Chromium: axe-core finds no serious or critical
violation, nothing scrolls sideways at 375 px, the charts draw, and the page prints on
A4 with the charts' data as tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import VARIANTS, shot
from .test_accessibility import AUDIT
from .test_mobile import OVERFLOW
from .test_print import A4_CONTENT_PX, A4_PT, A4_PX, _media_boxes

PAGES = (
    ("overview", "overview/"),
    ("county", "counties/lin-ying-xian/"),
    ("theme", "themes/fei-gong-dang-jian/"),
    ("slogan", "slogans/hong-se-lian-meng/"),
    ("county-theme", "counties/lin-ying-xian/themes/fei-gong-dang-jian/"),
)

#: Each chart drawn: its box on the page, its bars' painted size, and its text.
CHARTS = """() => [...document.querySelectorAll('svg.chart')].map(svg => {
    const box = svg.getBoundingClientRect();
    const bars = svg.querySelector('.chart-bar').getBBox();
    return {width: box.width, height: box.height, right: box.right,
            bars: bars.width * bars.height, title: svg.querySelector('title').textContent};
})"""


def _axe() -> Any:
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        pytest.fail("axe-playwright-python is a test dependency (pip install -e '.[test]')")
    return Axe()


def test_axe_finds_no_serious_or_critical_violation(page: Any, site_url: str) -> None:
    axe = _axe()
    found = []
    for variant in VARIANTS:
        for _name, path in PAGES:
            page.goto(f"{site_url}{variant}/{path}")
            results = axe.run(page)
            assert results.response["testEngine"]["name"] == "axe-core"
            assert results.response["passes"] or results.response["violations"] is not None
            for violation in results.response["violations"]:
                if violation["impact"] in ("serious", "critical"):
                    targets = [n["target"] for n in violation["nodes"]][:3]
                    found.append(f"{variant}/{path}: {violation['id']} {targets}")
            problems = page.evaluate(AUDIT)
            found += [f"{variant}/{path}: {problem}" for problem in problems]
    assert not found, "\n".join(found)


def test_axe_does_report_a_chart_without_a_name(page: Any, site_url: str) -> None:
    """The check above can fail: a chart stripped of its title is reported."""
    page.goto(f"{site_url}zh-hans/overview/")
    page.evaluate(
        """() => { const svg = document.querySelector('svg.chart');
                   svg.removeAttribute('aria-labelledby'); svg.querySelector('title').remove(); }"""
    )
    violations = _axe().run(page).response["violations"]
    assert [(v["id"], v["impact"]) for v in violations] == [("svg-img-alt", "serious")]


#: Contrast of each count's link on its cell, and of the charts' text and bars on the
#: page (axe leaves one- and two-digit text unjudged: "too short to determine").
CONTRAST = """() => {
    const rgb = c => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
    const lum = c => { const v = rgb(c).map(x => x / 255).map(x =>
        x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4);
        return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
    const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
        return (x + 0.05) / (y + 0.05); };
    const out = [];
    const a = document.querySelector('.crosstab td a'), td = a.parentElement;
    for (const shade of ['s1', 's2', 's3', 's4']) {  // every shade a cell can have
        td.className = shade;
        const cell = getComputedStyle(td).backgroundColor;
        out.push(['link ' + shade, ratio(getComputedStyle(a).color, cell), 4.5]);
    }
    const paper = getComputedStyle(document.body).backgroundColor;
    for (const t of document.querySelectorAll('svg.chart text')) {
        out.push(['chart text', ratio(getComputedStyle(t).fill, paper), 4.5]);
    }
    for (const bar of document.querySelectorAll('svg.chart .chart-bar')) {
        out.push(['bars', ratio(getComputedStyle(bar).fill, paper), 3]);
    }
    return out;
}"""


def test_counts_and_charts_meet_aa_contrast(page: Any, site_url: str) -> None:
    for variant in VARIANTS:
        page.goto(f"{site_url}{variant}/overview/")
        measured = page.evaluate(CONTRAST)
        assert {name for name, *_ in measured} >= {"link s1", "link s4", "chart text", "bars"}
        low = [(name, round(ratio, 2)) for name, ratio, least in measured if ratio < least]
        assert not low, (variant, low)


def test_overview_fits_375px_and_its_charts_draw(
    mobile_page: Any, site_url: str, artifacts: Path
) -> None:
    page = mobile_page
    for variant in VARIANTS:
        for name, path in PAGES:
            page.goto(f"{site_url}{variant}/{path}")
            found = page.evaluate(OVERFLOW)
            assert found["scrollWidth"] <= found["innerWidth"], (variant, path, found)
            assert not found["culprits"], (variant, path, found)
            charts = page.evaluate(CHARTS)
            assert bool(charts) == (name != "county-theme"), (variant, path)
            for chart in charts:
                assert chart["width"] > 200 and chart["height"] > 40, (variant, path, chart)
                assert chart["right"] <= 375 and chart["bars"] > 0, (variant, path, chart)
            shot(page, artifacts, f"overview-375-{name}-{variant}")
        # the wide table scrolls inside its own region, which a keyboard can reach
        page.goto(f"{site_url}{variant}/overview/")
        region = page.locator(".table-scroll").first
        assert region.get_attribute("tabindex") == "0"
        assert region.evaluate("e => e.scrollWidth > e.clientWidth")


def test_overview_at_desktop_width(page: Any, site_url: str, artifacts: Path) -> None:
    for variant in VARIANTS:
        page.goto(f"{site_url}{variant}/overview/")
        assert page.locator("nav.site-nav a[aria-current='page']").inner_text() in ("概览", "概覽")
        charts = page.evaluate(CHARTS)
        assert len(charts) == 4 and all(c["bars"] > 0 for c in charts)
        # the year chart has its table beside it, not below
        chart = page.locator("section[aria-labelledby='by-year'] svg").bounding_box()
        table = page.locator("section[aria-labelledby='by-year'] table").bounding_box()
        assert table["x"] > chart["x"] + chart["width"] and abs(table["y"] - chart["y"]) < 40
        shot(page, artifacts, f"overview-desktop-{variant}")


def test_overview_prints_on_a4_with_its_data(page: Any, site_url: str, artifacts: Path) -> None:
    for variant in VARIANTS:
        page.goto(f"{site_url}{variant}/overview/")
        pdf = page.pdf(format="A4", prefer_css_page_size=True, print_background=True)
        (artifacts / f"print-overview-{variant}.pdf").write_bytes(pdf)
        boxes = _media_boxes(pdf)
        assert boxes and all(abs(w - A4_PT[0]) < 2 and abs(h - A4_PT[1]) < 2 for w, h in boxes), (
            boxes
        )
        assert len(boxes) <= 6, f"{len(boxes)} pages"
        page.emulate_media(media="print")
        try:
            for path in ("overview/", "counties/lin-ying-xian/"):
                page.goto(f"{site_url}{variant}/{path}")
                assert not page.locator(".site-nav").is_visible()
                for width in (A4_PX, A4_CONTENT_PX):
                    page.set_viewport_size({"width": width, "height": 1123})
                    found = page.evaluate(OVERFLOW)
                    assert found["scrollWidth"] <= width and not found["culprits"], found
                    assert all(c["bars"] > 0 for c in page.evaluate(CHARTS))
            # a timeline's table is for screen readers on screen, and printed on paper
            data = page.locator(".chart-data table")
            assert data.bounding_box()["width"] > 50 and data.locator("tbody tr").count() >= 2
            page.screenshot(path=str(artifacts / f"print-county-{variant}.png"), full_page=True)
        finally:
            page.emulate_media(media="null")  # no emulation: the next page.pdf() prints
            page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"{site_url}{variant}/counties/lin-ying-xian/")
        assert page.locator(".chart-data").bounding_box()["width"] <= 1
