"""At a phone's 375 px no page scrolls sideways, in either script."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .conftest import VARIANTS, sample_pages, shot

# the elements sticking out past the right edge, to name them in a failure
OVERFLOW = """() => {
    const width = window.innerWidth;
    const out = [];
    for (const el of document.body.querySelectorAll('*')) {
        const box = el.getBoundingClientRect();
        if (box.width && box.right > width + 0.5) {
            let inside = el.parentElement, clipped = false;
            while (inside && inside !== document.body) {
                const ox = getComputedStyle(inside).overflowX;
                if (ox !== 'visible') { clipped = true; break; }
                inside = inside.parentElement;
            }
            if (!clipped) {
                const name = el.tagName.toLowerCase() + (el.className ? '.' + el.className : '');
                out.push(`${name} right=${Math.round(box.right)}`);
            }
        }
    }
    return {
        scrollWidth: document.documentElement.scrollWidth,
        innerWidth: width,
        culprits: out.slice(0, 5),
    };
}"""


def test_no_sideways_scroll_at_375px(mobile_page: Any, site_url: str, artifacts: Path) -> None:
    page = mobile_page
    problems = []
    for variant in VARIANTS:
        for name, path in sample_pages(variant):
            page.goto(site_url + path)
            assert page.evaluate("window.innerWidth") == 375
            found = page.evaluate(OVERFLOW)
            if found["scrollWidth"] > found["innerWidth"]:
                problems.append(f"{path}: {found}")
            shot(page, artifacts, f"mobile-375-{variant}-{name}")
    assert not problems, "pages that scroll sideways at 375 px:\n" + "\n".join(problems)
