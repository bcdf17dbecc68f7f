"""Pages printed: A4 paper, no navigation, nothing wider than the page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .conftest import VARIANTS

A4_PT = (595.28, 841.89)  # 210 x 297 mm in PostScript points
A4_PX = 794  # 210 mm at 96 px/in
# the stylesheet's @page margins are 18 mm left and right: 174 mm of text
A4_CONTENT_PX = 657


def _media_boxes(pdf: bytes) -> list[tuple[float, float]]:
    number = rb"(-?[\d.]+)"
    pattern = rb"/MediaBox\s*\[\s*" + rb"\s+".join([number] * 4) + rb"\s*\]"
    return [
        (float(x1) - float(x0), float(y1) - float(y0))
        for x0, y0, x1, y1 in re.findall(pattern, pdf)
    ]


#: other pages than the issue (tests/browser/test_issue_print.py prints that), with the
#: most pages each may print to
OTHER_PAGES = (("articles/mouqu-1-2-3-x/", 4), ("", 4), ("counties/lin-ying-xian/", 2))


def test_other_pages_print_on_a4_without_navigation(
    page: Any, site_url: str, artifacts: Path
) -> None:
    for variant in VARIANTS:
        for path, most in OTHER_PAGES:
            page.goto(f"{site_url}{variant}/{path}")
            # the stylesheet's own @page size decides (prefer_css_page_size), A4 otherwise
            pdf = page.pdf(format="A4", prefer_css_page_size=True, print_background=True)
            name = path.strip("/").replace("/", "-") or "home"
            (artifacts / f"print-{name}-{variant}.pdf").write_bytes(pdf)
            assert pdf.startswith(b"%PDF-")
            boxes = _media_boxes(pdf)
            assert boxes, "no /MediaBox in the PDF"
            for width, height in boxes:
                assert abs(width - A4_PT[0]) < 2 and abs(height - A4_PT[1]) < 2, boxes
            assert 1 <= len(boxes) <= most, f"{path}: {len(boxes)} pages"
            page.emulate_media(media="print")
            try:
                for selector in (".site-nav", ".site-header", ".site-footer", ".breadcrumb"):
                    assert not page.locator(selector).is_visible(), f"{selector} shows in print"
                assert page.locator("h1").count() == 1
            finally:
                page.emulate_media(media="screen")


def test_print_media_hides_navigation_and_fits(page: Any, site_url: str, artifacts: Path) -> None:
    for variant in VARIANTS:
        page.set_viewport_size({"width": A4_PX, "height": 1123})
        page.goto(f"{site_url}{variant}/issues/2016-08/")
        assert page.locator(".site-nav").is_visible()
        page.emulate_media(media="print")
        try:
            for selector in (".site-nav", ".site-header", ".switcher", ".site-footer"):
                assert not page.locator(selector).is_visible(), f"{selector} shows in print"
            assert page.locator("h1").is_visible()
            assert page.locator(".issue-contents li").count() == 8
            page.screenshot(
                path=str(artifacts / f"print-media-issue-{variant}.png"), full_page=True
            )
            for width in (A4_PX, A4_CONTENT_PX):
                page.set_viewport_size({"width": width, "height": 1123})
                found = page.evaluate(
                    """() => ({
                        scroll: document.documentElement.scrollWidth,
                        inner: window.innerWidth,
                        widest: Math.max(...[...document.body.querySelectorAll('*')]
                            .map(e => e.getBoundingClientRect().right)),
                    })"""
                )
                assert found["scroll"] <= found["inner"], (variant, width, found)
                assert found["widest"] <= found["inner"] + 0.5, (variant, width, found)
        finally:
            page.emulate_media(media="screen")
